#pragma once
// Copies SQLite's write-ahead log back into the database on a thread of its own. By
// default the commit that takes the log past 1,000 pages does the copy itself, so one
// write in every few paid for it while holding the write lock (about 11 ms of a
// 19,000-device group write). Here the writer's commit hook only says the log is long;
// this thread runs a PASSIVE checkpoint, which blocks neither the writer nor readers.
// If it falls behind, the log grows until it catches up; SQLite restarts the log from
// its beginning at the next write after a checkpoint that copied everything.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "store/sqlite/db.hpp"

namespace henge::store::sqlite {

class Checkpointer final {
 public:
  /// Opens a connection of its own to `path` and takes over `writer`'s commit hook,
  /// checkpointing once the log holds `wal_pages` pages or more.
  Checkpointer(const std::string& path, Db& writer, int wal_pages = 1000);
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  /// Checkpoints run so far (for tests).
  [[nodiscard]] std::uint64_t runs() const;

 private:
  static int on_commit(void* self, sqlite3* db, const char* name, int pages);
  void loop();

  Db& writer_;
  Db own_;
  const int wal_pages_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool due_ = false;
  bool stopping_ = false;
  std::uint64_t runs_ = 0;
  std::thread thread_;  // last: started once what it uses is (it touches own_ only once the hook fires)
};

}  // namespace henge::store::sqlite
