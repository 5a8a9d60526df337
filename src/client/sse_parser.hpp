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
  /// Non-zero when a line or the data of this event passed the limit: the data was
  /// dropped (it is empty) and this is how many bytes of the event were seen. The
  /// event still comes, so a client can answer it (reject a config it cannot hold).
  std::size_t oversized = 0;
};

class SseParser final {
 public:
  /// `max_event_bytes` bounds one line and one event's data: what passes it is
  /// skipped, not kept (SseEvent::oversized), and the stream goes on.
  explicit SseParser(std::size_t max_event_bytes) : max_(max_event_bytes) {}

  /// Feeds the next bytes; appends each complete event to `out`.
  void feed(std::string_view bytes, std::vector<SseEvent>& out);

  /// The last `retry:` value in milliseconds, if any was sent.
  [[nodiscard]] std::optional<unsigned long> retry_ms() const { return retry_ms_; }

 private:
  void on_line(std::string_view line, std::vector<SseEvent>& out);
  void on_long_line(std::string_view start);

  std::size_t max_;
  std::string line_;
  std::string type_;
  std::string data_;
  std::string last_id_;
  std::optional<unsigned long> retry_ms_;
  bool saw_cr_ = false;        // the previous chunk ended in '\r': a '\n' next is the same line end
  bool at_start_ = true;       // a byte-order mark is allowed (and dropped) only here
  std::size_t skipping_ = 0;   // > 0: the current line passed the limit; its length so far
  std::size_t oversized_ = 0;  // > 0: the current event passed the limit; its size so far
};

}  // namespace henge::client
