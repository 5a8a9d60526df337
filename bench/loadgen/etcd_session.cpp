// An etcd v3 watcher over etcd's JSON gateway: one POST /v3/watch whose body holds two
// create requests, one for the stream's own key and one for the shared key. The answer
// is chunked, one JSON watch response a line; open once both watches are created, and
// each response with events is an event, numbered by its newest mod_revision.

#include <algorithm>
#include <charconv>
#include <memory>

#include "http_head.hpp"
#include "session.hpp"

namespace henge::loadgen {

namespace {

constexpr std::size_t kMaxLine = 1 << 20;

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const unsigned v = static_cast<std::uint8_t>(in[i]) << 16 | static_cast<std::uint8_t>(in[i + 1]) << 8 |
                       static_cast<std::uint8_t>(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(kAlphabet[(v >> s) & 63]);
  }
  if (const auto left = in.size() - i; left > 0) {
    unsigned v = static_cast<std::uint8_t>(in[i]) << 16;
    if (left == 2) v |= static_cast<std::uint8_t>(in[i + 1]) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(left == 2 ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

// The largest "mod_revision":"N" in a watch response: its events' newest revision.
std::int64_t newest_mod_revision(std::string_view line) {
  static constexpr std::string_view kField = R"("mod_revision":")";
  std::int64_t newest = -1;
  for (auto at = line.find(kField); at != std::string_view::npos; at = line.find(kField, at)) {
    at += kField.size();
    const auto end = line.find('"', at);
    if (end == std::string_view::npos) break;
    newest = std::max(newest, parse_number(line.substr(at, end - at)));
  }
  return newest;
}

class EtcdSession final : public Session {
 public:
  EtcdSession(const Identity& who, const SessionOptions& options) {
    const std::string body = R"({"create_request":{"key":")" + base64(options.prefix + who.id) +
                             R"("}}{"create_request":{"key":")" + base64(options.shared) + R"("}})";
    request_ = "POST /v3/watch HTTP/1.1\r\nHost: etcd\r\nContent-Type: application/json\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\n\r\n" + body;
  }

  [[nodiscard]] std::string greeting(std::int64_t) const override { return request_; }

  void feed(std::string_view bytes, Heard& out) override {
    if (!streaming_) {
      if (const auto step = head_.feed(bytes); step != HttpHead::Step::done) {
        out.failed = step == HttpHead::Step::too_big;
        return;
      }
      if (head_.status() != 200) {
        out.failed = true;
        return;
      }
      streaming_ = true;
    }
    if (!dechunk(bytes)) {
      out.failed = true;
      return;
    }
    std::size_t at = 0;
    for (auto nl = body_.find('\n'); nl != std::string::npos; nl = body_.find('\n', at)) {
      on_line(std::string_view(body_).substr(at, nl - at), out);
      at = nl + 1;
    }
    body_.erase(0, at);
    if (body_.size() > kMaxLine) out.failed = true;
  }

 private:
  void on_line(std::string_view line, Heard& out) {
    if (line.find(R"("canceled":true)") != std::string_view::npos ||
        line.find(R"("error")") != std::string_view::npos) {
      out.failed = true;
    } else if (line.find(R"("created":true)") != std::string_view::npos) {
      if (++created_ == 2) out.opened = true;
    } else if (const auto revision = newest_mod_revision(line); revision > 0) {
      out.revisions.push_back(revision);
    }
  }

  // Transfer-Encoding: chunked (RFC 9112, section 7.1), without extensions or trailers,
  // which the gateway does not send. Appends the data to body_; false when malformed or
  // at the last chunk (the watch ended).
  bool dechunk(std::string_view bytes) {
    while (!bytes.empty()) {
      if (chunk_ == Chunk::data) {
        const auto n = std::min(chunk_left_, bytes.size());
        body_.append(bytes.substr(0, n));
        bytes.remove_prefix(n);
        chunk_left_ -= n;
        if (chunk_left_ == 0) chunk_ = Chunk::crlf;
        continue;
      }
      const auto nl = bytes.find('\n');
      if (chunk_ == Chunk::crlf) {  // the line end after a chunk's data
        bytes.remove_prefix(nl == std::string_view::npos ? bytes.size() : nl + 1);
        if (nl != std::string_view::npos) chunk_ = Chunk::size;
        continue;
      }
      size_line_.append(bytes.substr(0, nl));
      if (nl == std::string_view::npos) return size_line_.size() < 64;
      bytes.remove_prefix(nl + 1);
      std::string_view line = size_line_;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      std::size_t size = 0;
      const auto [ptr, ec] = std::from_chars(line.data(), line.data() + line.size(), size, 16);
      if (ec != std::errc() || ptr != line.data() + line.size() || size == 0) return false;
      chunk_left_ = size;
      chunk_ = Chunk::data;
      size_line_.clear();
    }
    return true;
  }

  enum class Chunk : std::uint8_t { size, data, crlf };
  std::string request_;
  HttpHead head_;
  bool streaming_ = false;
  Chunk chunk_ = Chunk::size;
  std::size_t chunk_left_ = 0;
  std::string size_line_;  // a chunk-size line so far
  std::string body_;       // de-chunked data not yet a whole line
  int created_ = 0;
};

}  // namespace

std::unique_ptr<Session> make_etcd_session(const Identity& who, const SessionOptions& options) {
  return std::make_unique<EtcdSession>(who, options);
}

}  // namespace henge::loadgen
