#include "push/event_queue.hpp"

namespace henge::push {

EventQueue::EventQueue(std::string preamble, std::size_t max_events, Frame overflow_frame)
    : preamble_(std::move(preamble)), max_events_(max_events), overflow_frame_(std::move(overflow_frame)) {}

void EventQueue::notify_locked(std::unique_lock<std::mutex>& lock) {
  auto notify = notify_;
  lock.unlock();
  if (notify) notify();
}

void EventQueue::push_config(std::uint64_t revision, Frame frame, std::chrono::steady_clock::time_point committed) {
  std::unique_lock lock(mu_);
  if (closing_ || revision <= config_revision_) return;
  config_revision_ = revision;
  config_ = std::move(frame);
  config_committed_ = committed;
  notify_locked(lock);
}

void EventQueue::push(Frame frame) {
  std::unique_lock lock(mu_);
  if (closing_) return;
  if (events_.size() >= max_events_) {
    closing_ = true;
    last_ = overflow_frame_;
  } else {
    events_.push_back(std::move(frame));
  }
  notify_locked(lock);
}

void EventQueue::close(Frame last) {
  std::unique_lock lock(mu_);
  if (closing_) return;
  closing_ = true;
  last_ = std::move(last);
  notify_locked(lock);
}

EventQueue::Batch EventQueue::take() {
  std::lock_guard lock(mu_);
  Batch b;
  if (!preamble_sent_) {
    preamble_sent_ = true;
    if (!preamble_.empty()) b.frames.push_back(std::make_shared<const std::string>(preamble_));
  }
  if (closed_taken_) {
    b.closed = true;
    return b;
  }
  for (auto& e : events_) b.frames.push_back(std::move(e));
  events_.clear();
  if (config_) {
    b.frames.push_back(std::move(config_));
    b.due = config_committed_;
  }
  config_.reset();
  if (closing_) {
    if (last_) b.frames.push_back(std::move(last_));
    closed_taken_ = true;
    b.closed = true;
  }
  return b;
}

bool EventQueue::ready() const {
  std::lock_guard lock(mu_);
  return !preamble_sent_ || config_ || !events_.empty() || (closing_ && !closed_taken_);
}

bool EventQueue::is_closed() const {
  std::lock_guard lock(mu_);
  return closing_;
}

void EventQueue::set_notify(std::function<void()> notify) {
  std::lock_guard lock(mu_);
  notify_ = std::move(notify);
}

}  // namespace henge::push
