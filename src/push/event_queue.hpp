#pragma once
// What one of henge's event streams (a device's, the fleet feed's) has yet to write,
// filled from any thread and drained by the server (a server::StreamSource).
// No Asio here: handlers and the hub fill it.
//
// Bounded by construction: configs are level-triggered, so at most one config frame
// waits (a newer revision replaces it, an older or equal one is dropped), and other
// events wait in a queue of at most `max_events`; past that the stream is closed
// with `overflow_frame`, and the client resumes from its last event id.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "server/stream_source.hpp"

namespace henge::push {

using server::Frame;

class EventQueue final : public server::StreamSource {
 public:
  /// `preamble` is written before anything else (e.g. "retry: 2000\n\n").
  EventQueue(std::string preamble, std::size_t max_events, Frame overflow_frame);

  /// Queues a config frame for `revision` unless this stream already has one as new.
  /// `committed` (when the change committed) stamps the batch that takes it (its `due`).
  void push_config(std::uint64_t revision, Frame frame, std::chrono::steady_clock::time_point committed = {});
  /// Queues any other frame; closes the stream with the overflow frame when full.
  void push(Frame frame);
  /// Queues `last` (may be null) and then closes. Later pushes are ignored.
  void close(Frame last);

  /// What the server writes next, in order; `closed` once close() was taken, `due`
  /// the commit time of the config frame in it, if any.
  Batch take() override;
  [[nodiscard]] bool ready() const override;
  [[nodiscard]] bool is_closed() const;
  void set_notify(std::function<void()> notify) override;

 private:
  void notify_locked(std::unique_lock<std::mutex>& lock);

  mutable std::mutex mu_;
  std::string preamble_;
  bool preamble_sent_ = false;
  std::size_t max_events_;
  Frame overflow_frame_;
  std::uint64_t config_revision_ = 0;  ///< newest revision queued or sent
  Frame config_;                       ///< waiting config frame, if any
  std::chrono::steady_clock::time_point config_committed_{};
  std::vector<Frame> events_;  // a vector: an empty deque costs half a KiB per stream
  bool closing_ = false;
  bool closed_taken_ = false;
  Frame last_;
  std::function<void()> notify_;
};

}  // namespace henge::push
