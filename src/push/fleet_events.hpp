#pragma once
// The fleet's live events for operators and scripts (GET /v1/events): config
// changes, devices connecting and disconnecting, acknowledgements and reports. Each
// event has an id that grows across restarts (it starts from the boot time in
// microseconds); the last `capacity` events are kept in memory so a client that
// reconnects with Last-Event-ID misses nothing within that window.

#include <boost/json/object.hpp>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "push/event_queue.hpp"
#include "store/store.hpp"

namespace henge::push {

class FleetEvents final {
 public:
  explicit FleetEvents(std::size_t capacity = 10000, std::size_t max_queued_per_client = 4096);

  /// Records an event and sends it to every subscriber. Any thread.
  void emit(std::string_view type, boost::json::object data);
  /// A `config_changed` event for a committed change.
  void config_changed(const store::ChangeEvent& event);

  /// A stream of events after `last_event_id` (the kept ones first), then live ones.
  std::shared_ptr<EventQueue> subscribe(std::optional<std::uint64_t> last_event_id);
  void unsubscribe(const EventQueue* queue);
  /// Closes every subscriber with goaway `reason`; later subscribers are closed at once.
  void close_all(std::string_view reason);

 private:
  struct Event {
    std::uint64_t id;
    server::Frame frame;
  };
  std::mutex mu_;
  std::size_t capacity_;
  std::size_t max_queued_;
  std::uint64_t next_id_;
  std::deque<Event> recent_;
  std::vector<std::shared_ptr<EventQueue>> subscribers_;
  std::optional<std::string> closed_reason_;
};

}  // namespace henge::push
