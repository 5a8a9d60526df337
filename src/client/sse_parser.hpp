#pragma once
// An incremental parser for server-sent events (the WHATWG text/event-stream format).
// Bytes may arrive split anywhere, including between the '\r' and '\n' of a line end;
// the parser keeps what it needs between calls and nothing more than its limit.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace henge::client {

/// One dispatched event. `type` is "message" when the stream named none.
struct SseEvent {
  std::string type;
  std::string data;
  std::string id;  ///< the last event id in force when the event was dispatched
};

class SseParser final {
 public:
  /// `max_event_bytes` bounds one line and one event's data; a stream over it is broken.
  explicit SseParser(std::size_t max_event_bytes) : max_(max_event_bytes) {}

  /// Feeds the next bytes; appends each complete event to `out`. False once the stream
  /// broke the limit; the parser then stays broken.
  bool feed(std::string_view bytes, std::vector<SseEvent>& out);

  /// The last `retry:` value in milliseconds, if any was sent.
  [[nodiscard]] std::optional<unsigned long> retry_ms() const { return retry_ms_; }
  [[nodiscard]] bool broken() const { return broken_; }

 private:
  void on_line(std::string_view line, std::vector<SseEvent>& out);

  std::size_t max_;
  std::string line_;
  std::string type_;
  std::string data_;
  std::string last_id_;
  std::optional<unsigned long> retry_ms_;
  bool saw_cr_ = false;   // the previous chunk ended in '\r': a '\n' next is the same line end
  bool at_start_ = true;  // a byte-order mark is allowed (and dropped) only here
  bool broken_ = false;
};

}  // namespace henge::client
