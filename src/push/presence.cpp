#include "push/presence.hpp"

#include "log/log.hpp"

namespace henge::push {

Presence::Presence(store::Store& store, std::function<core::TimeMs()> now, std::chrono::milliseconds min_interval)
    : store_(store), now_(std::move(now)), min_interval_(min_interval), flusher_([this] { run(); }) {}

Presence::~Presence() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  flusher_.join();
}

void Presence::record(const std::string& device, bool connected) {
  {
    std::lock_guard lock(mu_);
    pending_[device] = Change{connected, now_()};
    ++recorded_;
  }
  cv_.notify_all();
}

void Presence::flush() {
  std::unique_lock lock(mu_);
  const auto target = recorded_;
  cv_.wait(lock, [&] { return written_ >= target || stopping_; });
}

void Presence::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
    if (pending_.empty() && stopping_) return;
    auto batch = std::exchange(pending_, {});
    const auto covered = recorded_;
    lock.unlock();
    const bool ok = write(batch);
    lock.lock();
    if (ok) {
      written_ = covered;
      failures_ = 0;
    } else {
      ++failures_;
    }
    cv_.notify_all();
    if (stopping_) {
      if (!ok) return;  // the store is away; connections are soft state, recorded again at start
      continue;
    }
    // Pace the commits; what arrives meanwhile goes into the next batch. After
    // failures, back off (up to 5 s) until the store answers again.
    const std::chrono::milliseconds backoff(min_interval_.count() << std::min<std::uint64_t>(failures_, 6));
    const auto pause = failures_ == 0 ? min_interval_ : std::min(std::chrono::milliseconds(5000), backoff);
    cv_.wait_for(lock, pause, [this] { return stopping_; });
  }
}

bool Presence::write(std::unordered_map<std::string, Change>& batch) {
  auto status = store_.write([&](store::WriteTx& tx) -> core::Status {
    for (const auto& [device, change] : batch) {
      tx.set_connection(device, change.connected, change.at);  // a deleted device is no row to change
    }
    return {};
  });
  if (!status) {
    log::warn("could not record device connections; will retry",
              {{"devices", batch.size()}, {"error", status.error().message}});
    // Keep them for the next batch (the store may be back by then); what was recorded
    // since is newer and wins.
    std::lock_guard lock(mu_);
    for (auto& [device, change] : batch) pending_.try_emplace(device, change);
    return false;
  }
  return true;
}

}  // namespace henge::push
