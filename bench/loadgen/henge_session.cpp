// henge's device stream: GET /v1/device/stream with the device's token (and the last
// revision it has, to resume), then server-sent events. What a goaway says decides
// what henge-agent would do next, and so what this stream does.

#include <memory>

#include "client/sse_parser.hpp"
#include "http_head.hpp"
#include "session.hpp"

namespace henge::loadgen {

namespace {

constexpr std::size_t kMaxEvent = 1 << 20;

class HengeSession final : public Session {
 public:
  explicit HengeSession(std::string token) : token_(std::move(token)) {}

  [[nodiscard]] std::string greeting(std::int64_t last_revision) const override {
    std::string request = "GET /v1/device/stream HTTP/1.1\r\nHost: henge\r\nAuthorization: Bearer " + token_ + "\r\n";
    if (last_revision > 0) request += "Last-Event-ID: " + std::to_string(last_revision) + "\r\n";
    return request + "\r\n";
  }

  void feed(std::string_view bytes, Heard& out) override {
    if (!sse_) {
      if (const auto step = head_.feed(bytes); step != HttpHead::Step::done) {
        out.failed = step == HttpHead::Step::too_big;
        return;
      }
      const int status = head_.status();
      if (status == 401 || status == 403) {
        out.refused = true;
        return;
      }
      if (status != 200) {
        const auto retry_after = parse_number(head_.header("retry-after"));  // 429, 503
        out.failed = true;
        out.retry_after_ms = retry_after > 0 ? retry_after * 1000 : 0;
        return;
      }
      out.opened = true;
      sse_ = std::make_unique<client::SseParser>(kMaxEvent);
    }
    events_.clear();
    sse_->feed(bytes, events_);
    for (const auto& e : events_) {
      if (e.oversized > 0) {
        out.failed = true;
        return;
      }
      if (e.type == "config") {
        if (const auto revision = parse_number(e.id); revision > 0) out.revisions.push_back(revision);
      } else if (e.type == "goaway") {
        // shutdown and overflow: come back; replaced, deleted, token_rotated: the agent
        // would not, nor does this stream.
        if (e.data.find("shutdown") != std::string::npos) {
          out.shutdown = true;
        } else if (e.data.find("overflow") == std::string::npos) {
          out.refused = true;
          return;
        }
      }
    }
    if (auto r = sse_->retry_ms()) out.retry_ms = static_cast<std::int64_t>(*r);
  }

 private:
  std::string token_;
  HttpHead head_;
  std::unique_ptr<client::SseParser> sse_;  // once the head said 200
  std::vector<client::SseEvent> events_;    // scratch
};

}  // namespace

std::unique_ptr<Session> make_henge_session(const Identity& who) {
  return std::make_unique<HengeSession>(who.token);
}

}  // namespace henge::loadgen
