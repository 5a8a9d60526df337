#include "store/sqlite/checkpointer.hpp"

namespace henge::store::sqlite {

Checkpointer::Checkpointer(const std::string& path, Db& writer, int wal_pages)
    : writer_(writer), own_(path), wal_pages_(wal_pages), thread_([this] { loop(); }) {
  // A connection checkpoints only once it has opened the log, which reading does.
  own_.exec("SELECT COUNT(*) FROM sqlite_schema");
  sqlite3_wal_hook(writer_.handle(), &Checkpointer::on_commit, this);  // replaces the automatic checkpoint
}

Checkpointer::~Checkpointer() {
  sqlite3_wal_autocheckpoint(writer_.handle(), 1000);  // back to SQLite's own
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

std::uint64_t Checkpointer::runs() const {
  std::lock_guard lock(mu_);
  return runs_;
}

int Checkpointer::on_commit(void* self, sqlite3*, const char*, int pages) {
  auto* c = static_cast<Checkpointer*>(self);
  if (pages >= c->wal_pages_) {
    {
      std::lock_guard lock(c->mu_);
      c->due_ = true;
    }
    c->cv_.notify_one();
  }
  return SQLITE_OK;
}

void Checkpointer::loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || due_; });
    if (stopping_) return;
    due_ = false;
    lock.unlock();
    // A failure (the database is busy being written or read) leaves the log as it is;
    // the next long commit asks again.
    sqlite3_wal_checkpoint_v2(own_.handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    lock.lock();
    ++runs_;
  }
}

}  // namespace henge::store::sqlite
