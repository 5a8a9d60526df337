#pragma once
// Which devices hold a stream, written to the store in batches. Opening and closing
// streams is frequent (a fleet reconnecting after a restart opens thousands at once)
// and the state is soft, so each change is recorded in memory and a flusher thread
// writes everything pending in one transaction, at most every `min_interval`. An
// idle henged flushes a single change at once; a reconnect storm costs one durable
// commit per interval, not one per device.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "core/model.hpp"
#include "store/store.hpp"

namespace henge::push {

class Presence final {
 public:
  Presence(store::Store& store, std::function<core::TimeMs()> now,
           std::chrono::milliseconds min_interval = std::chrono::milliseconds(100));
  /// Writes what is pending, then stops.
  ~Presence();
  Presence(const Presence&) = delete;
  Presence& operator=(const Presence&) = delete;

  /// Records that `device` now has (or no longer has) a stream. Callers serialize
  /// the calls for one device (the hub does, under its lock), so the last call wins.
  void record(const std::string& device, bool connected);

  /// Blocks until everything recorded before the call is in the store (or the
  /// presence stops).
  void flush();

 private:
  struct Change {
    bool connected;
    core::TimeMs at;
  };
  void run();
  /// Writes a batch; on failure puts it back in pending_ and returns false.
  bool write(std::unordered_map<std::string, Change>& batch);

  store::Store& store_;
  std::function<core::TimeMs()> now_;
  std::chrono::milliseconds min_interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_map<std::string, Change> pending_;
  std::uint64_t recorded_ = 0;  ///< changes recorded so far
  std::uint64_t written_ = 0;   ///< changes in the store so far
  std::uint64_t failures_ = 0;  ///< failed writes in a row
  bool stopping_ = false;
  std::thread flusher_;
};

}  // namespace henge::push
