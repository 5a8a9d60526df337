#pragma once
// The hub: which device holds which stream, and the path from a committed change to
// those streams. The store's change listener hands each ChangeEvent to publish(),
// which only queues it; the hub's dispatcher thread serializes each distinct frame
// once and offers it to each device's stream (a change to thousands of devices is
// split over a thread per core, as offering a frame to a plain stream writes it). A
// slow or stalled device holds at most one waiting config frame (EventQueue),
// so it never delays the writer, the dispatcher or any other device.

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "push/event_queue.hpp"
#include "store/store.hpp"

namespace henge::push {

class Presence;

class Hub final {
 public:
  /// `retry` is what streams tell clients to wait before reconnecting. When
  /// `presence` is given, every attach and detach is recorded there.
  explicit Hub(std::chrono::milliseconds retry = std::chrono::milliseconds(2000), Presence* presence = nullptr);
  ~Hub();
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  /// A new stream for `device`. A stream the device already had gets goaway
  /// `replaced` and is closed.
  std::shared_ptr<EventQueue> attach(const std::string& device);
  /// Forgets `queue` if it is still `device`'s stream; true when it was.
  bool detach(const std::string& device, const EventQueue* queue);
  /// Closes `device`'s stream, if any, with goaway `reason`.
  void close(const std::string& device, std::string_view reason);

  /// Queues a committed change for dispatch. Cheap; any thread.
  void publish(store::ChangeEvent event);
  /// Called on the dispatcher thread after each event went out (for the fleet feed).
  void set_after_dispatch(std::function<void(const store::ChangeEvent&)> fn);

  /// Sends goaway `shutdown` to every stream, spread evenly with jitter over
  /// `period`, on a thread of its own. Streams attached later are closed at once.
  void drain(std::chrono::milliseconds period);

  /// Records every attached stream with the presence again (after the store forgot
  /// this node's connections).
  void record_all();

  /// Streams currently attached.
  [[nodiscard]] std::size_t streams() const;

 private:
  static constexpr std::size_t kShards = 16;
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, std::shared_ptr<EventQueue>> streams;
  };
  Shard& shard(const std::string& device);
  void dispatch_loop();
  void dispatch(const store::ChangeEvent& event, std::chrono::steady_clock::time_point published);
  void dispatch_range(const store::DesiredChange* first, const store::DesiredChange* last,
                      std::chrono::steady_clock::time_point published);

  std::chrono::milliseconds retry_;
  Presence* presence_;
  std::array<Shard, kShards> shards_;
  std::atomic<bool> draining_{false};

  std::mutex mu_;
  std::condition_variable cv_;
  /// Changes not yet dispatched, with when they were published (just after commit).
  std::deque<std::pair<store::ChangeEvent, std::chrono::steady_clock::time_point>> pending_;
  bool stopping_ = false;
  std::function<void(const store::ChangeEvent&)> after_dispatch_;
  std::thread dispatcher_;
  std::thread drainer_;
};

}  // namespace henge::push
