#include "push/hub.hpp"

#include <algorithm>
#include <random>
#include <system_error>
#include <vector>

#include "log/log.hpp"
#include "push/frames.hpp"
#include "push/presence.hpp"

namespace henge::push {

namespace {
// A device stream carries only configs and a final goaway, so other events never queue.
constexpr std::size_t kMaxQueuedEvents = 4;
// Dispatching an event to this many devices or more is split over threads, at most so many.
constexpr std::size_t kParallelFrom = 2048;
constexpr unsigned kMaxDispatchThreads = 4;

server::Frame shared_frame(std::string text) {
  return std::make_shared<const std::string>(std::move(text));
}
}  // namespace

Hub::Hub(std::chrono::milliseconds retry, Presence* presence)
    : retry_(retry), presence_(presence), dispatcher_([this] { dispatch_loop(); }) {}

Hub::~Hub() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  dispatcher_.join();
  if (drainer_.joinable()) drainer_.join();
}

Hub::Shard& Hub::shard(const std::string& device) {
  return shards_[std::hash<std::string>{}(device) % kShards];
}

std::shared_ptr<EventQueue> Hub::attach(const std::string& device) {
  auto queue = std::make_shared<EventQueue>(retry_preamble(retry_.count()), kMaxQueuedEvents,
                                            shared_frame(goaway_frame("overflow")));
  if (draining_) {
    queue->close(shared_frame(goaway_frame("shutdown")));
    return queue;
  }
  std::shared_ptr<EventQueue> previous;
  {
    auto& s = shard(device);
    std::lock_guard lock(s.mu);
    auto& slot = s.streams[device];
    previous = std::exchange(slot, queue);
    // Under the shard's lock, so presence sees attaches and detaches in map order.
    if (presence_ != nullptr) presence_->record(device, true);
  }
  if (previous) previous->close(shared_frame(goaway_frame("replaced")));
  return queue;
}

bool Hub::detach(const std::string& device, const EventQueue* queue) {
  auto& s = shard(device);
  std::lock_guard lock(s.mu);
  auto it = s.streams.find(device);
  if (it == s.streams.end() || it->second.get() != queue) return false;
  s.streams.erase(it);
  if (presence_ != nullptr) presence_->record(device, false);
  return true;
}

void Hub::close(const std::string& device, std::string_view reason) {
  std::shared_ptr<EventQueue> queue;
  {
    auto& s = shard(device);
    std::lock_guard lock(s.mu);
    if (auto it = s.streams.find(device); it != s.streams.end()) queue = it->second;
  }
  if (queue) queue->close(shared_frame(goaway_frame(reason)));
}

void Hub::publish(store::ChangeEvent event) {
  {
    std::lock_guard lock(mu_);
    pending_.emplace_back(std::move(event), std::chrono::steady_clock::now());
  }
  cv_.notify_one();
}

void Hub::set_after_dispatch(std::function<void(const store::ChangeEvent&)> fn) {
  std::lock_guard lock(mu_);
  after_dispatch_ = std::move(fn);
}

void Hub::dispatch_loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
    if (stopping_) return;
    auto [event, published] = std::move(pending_.front());
    pending_.pop_front();
    auto after = after_dispatch_;
    lock.unlock();
    dispatch(event, published);
    if (after) after(event);
    lock.lock();
  }
}

void Hub::dispatch(const store::ChangeEvent& event, std::chrono::steady_clock::time_point published) {
  // A plain stream's frame is written to its socket by the thread that queues it, and
  // on loopback or a fast network that write is most of a push: a change to thousands
  // of devices is split over a thread per core. Each device has one change an event,
  // and the next event waits for all of this one, so every device still gets its
  // changes in revision order.
  const auto* first = event.changes.data();
  const std::size_t n = event.changes.size();
  const std::size_t parts =
      n < kParallelFrom ? 1 : std::max(1u, std::min(kMaxDispatchThreads, std::thread::hardware_concurrency()));
  std::vector<std::thread> helpers;
  std::size_t begin = 0;
  for (std::size_t p = 1; p < parts; ++p) {
    const std::size_t end = n * p / parts;
    try {
      helpers.emplace_back(
          [this, first, begin, end, published] { dispatch_range(first + begin, first + end, published); });
      begin = end;
    } catch (const std::system_error&) {
      break;  // no thread to be had: this one does the rest
    }
  }
  dispatch_range(first + begin, first + n, published);
  for (auto& h : helpers) h.join();
}

void Hub::dispatch_range(const store::DesiredChange* first, const store::DesiredChange* last,
                         std::chrono::steady_clock::time_point published) {
  // A frame depends only on the desired config (revision, schema, digest), and a group
  // write gives thousands of devices the same one: each distinct frame is built once and
  // shared by every queue it goes to.
  std::unordered_map<std::string, server::Frame> frames;
  for (const auto* change = first; change != last; ++change) {
    std::shared_ptr<EventQueue> queue;
    {
      auto& s = shard(change->device);
      std::lock_guard lock(s.mu);
      if (auto it = s.streams.find(change->device); it != s.streams.end()) queue = it->second;
    }
    // Serialized only for a device that listens.
    if (!queue) continue;
    const auto& d = change->desired;
    auto [frame, fresh] = frames.try_emplace(d.sha256 + '\n' + d.schema);
    if (fresh || d.sha256.empty()) frame->second = shared_frame(config_frame(d));
    queue->push_config(d.revision, frame->second, published);
  }
}

void Hub::drain(std::chrono::milliseconds period) {
  if (draining_.exchange(true)) return;
  std::vector<std::shared_ptr<EventQueue>> all;
  for (auto& s : shards_) {
    std::lock_guard lock(s.mu);
    for (auto& [device, queue] : s.streams) all.push_back(queue);
  }
  log::info("draining streams", {{"streams", all.size()}, {"period_ms", period.count()}});
  drainer_ = std::thread([all = std::move(all), period]() mutable {
    // Spread the goaways so the fleet does not reconnect to the next replica at once:
    // stream i goes at a random moment within its own slice of the period.
    std::mt19937_64 rng(std::random_device{}());
    std::shuffle(all.begin(), all.end(), rng);
    const auto start = std::chrono::steady_clock::now();
    const auto slice = all.empty() ? period : period / static_cast<long>(all.size());
    const auto frame = shared_frame(goaway_frame("shutdown"));
    for (std::size_t i = 0; i < all.size(); ++i) {
      std::uniform_int_distribution<long long> jitter(0, std::max<long long>(0, slice.count() - 1));
      std::this_thread::sleep_until(start + slice * static_cast<long>(i) + std::chrono::milliseconds(jitter(rng)));
      all[i]->close(frame);
    }
  });
}

void Hub::record_all() {
  if (presence_ == nullptr) return;
  for (auto& s : shards_) {
    std::lock_guard lock(s.mu);
    for (const auto& [device, queue] : s.streams) presence_->record(device, true);
  }
}

std::size_t Hub::streams() const {
  std::size_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard lock(s.mu);
    n += s.streams.size();
  }
  return n;
}

}  // namespace henge::push
