#include "push/fleet_events.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>

#include "push/frames.hpp"

namespace henge::push {
namespace json = boost::json;

namespace {
constexpr std::size_t kMaxDevicesNamed = 1000;
constexpr long long kRetryMs = 2000;
}  // namespace

FleetEvents::FleetEvents(std::size_t capacity, std::size_t max_queued_per_client)
    : capacity_(capacity),
      max_queued_(max_queued_per_client),
      next_id_(static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
              .count())) {}

void FleetEvents::emit(std::string_view type, json::object data) {
  std::vector<std::shared_ptr<EventQueue>> targets;
  server::Frame frame;
  {
    std::lock_guard lock(mu_);
    const auto id = next_id_++;
    data["type"] = type;
    frame = std::make_shared<const std::string>(event_frame(type, id, json::serialize(data)));
    recent_.push_back({id, frame});
    if (recent_.size() > capacity_) recent_.pop_front();
    targets = subscribers_;
  }
  for (auto& q : targets) q->push(frame);
}

void FleetEvents::config_changed(const store::ChangeEvent& event) {
  json::array devices;
  for (const auto& c : event.changes) {
    if (devices.size() >= kMaxDevicesNamed) break;
    devices.emplace_back(c.device);
  }
  emit("config_changed",
       json::object{
           {"revision", event.revision}, {"device_count", event.changes.size()}, {"devices", std::move(devices)}});
}

std::shared_ptr<EventQueue> FleetEvents::subscribe(std::optional<std::uint64_t> last_event_id) {
  auto queue = std::make_shared<EventQueue>(retry_preamble(kRetryMs), max_queued_ + capacity_,
                                            std::make_shared<const std::string>(goaway_frame("overflow")));
  std::lock_guard lock(mu_);
  if (closed_reason_) {
    queue->close(std::make_shared<const std::string>(goaway_frame(*closed_reason_)));
    return queue;
  }
  if (last_event_id) {
    for (const auto& e : recent_) {
      if (e.id > *last_event_id) queue->push(e.frame);
    }
  }
  subscribers_.push_back(queue);
  return queue;
}

void FleetEvents::unsubscribe(const EventQueue* queue) {
  std::lock_guard lock(mu_);
  std::erase_if(subscribers_, [&](const auto& q) { return q.get() == queue; });
}

void FleetEvents::close_all(std::string_view reason) {
  std::vector<std::shared_ptr<EventQueue>> all;
  {
    std::lock_guard lock(mu_);
    closed_reason_ = std::string(reason);
    all.swap(subscribers_);
  }
  const auto frame = std::make_shared<const std::string>(goaway_frame(reason));
  for (auto& q : all) q->close(frame);
}

}  // namespace henge::push
