#include "client/sse_parser.hpp"

#include <algorithm>
#include <charconv>

namespace henge::client {

void SseParser::feed(std::string_view bytes, std::vector<SseEvent>& out) {
  if (at_start_ && !bytes.empty()) {
    // The UTF-8 byte-order mark may come split too; wait until three bytes or a mismatch.
    static constexpr std::string_view kBom = "\xEF\xBB\xBF";
    line_.append(bytes);
    if (line_.size() < kBom.size() && kBom.starts_with(line_)) return;
    at_start_ = false;
    std::string pending = line_.starts_with(kBom) ? line_.substr(kBom.size()) : line_;
    line_.clear();
    feed(pending, out);
    return;
  }
  for (const char c : bytes) {
    if (saw_cr_) {
      saw_cr_ = false;
      if (c == '\n') continue;
    }
    if (c == '\r' || c == '\n') {
      saw_cr_ = c == '\r';
      if (skipping_ > 0) {
        on_long_line(line_);
        skipping_ = 0;
      } else {
        on_line(line_, out);
      }
      line_.clear();
      continue;
    }
    if (skipping_ > 0) {
      ++skipping_;
    } else if (line_.size() >= max_) {
      skipping_ = line_.size() + 1;  // keep the start: it names the field
    } else {
      line_.push_back(c);
    }
  }
}

void SseParser::on_long_line(std::string_view start) {
  // Whatever field it was, the event cannot be trusted whole: it is dropped, and
  // reported once it ends.
  oversized_ = std::max(oversized_, data_.size()) + skipping_;
  data_.clear();
  (void)start;
}

void SseParser::on_line(std::string_view line, std::vector<SseEvent>& out) {
  if (line.empty()) {
    if (oversized_ > 0) {
      out.push_back(SseEvent{type_.empty() ? "message" : type_, {}, last_id_, oversized_});
    } else if (!data_.empty()) {
      data_.pop_back();  // every data line appended a '\n'; the last one is not data
      out.push_back(SseEvent{type_.empty() ? "message" : type_, std::move(data_), last_id_});
    }
    data_.clear();
    type_.clear();
    oversized_ = 0;
    return;
  }
  if (line.front() == ':') return;  // a comment, such as a keepalive
  std::string_view field = line;
  std::string_view value;
  if (const auto colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "event") {
    type_ = std::string(value);
  } else if (field == "data") {
    if (oversized_ > 0 || data_.size() + value.size() + 1 > max_) {
      oversized_ = std::max(oversized_, data_.size()) + value.size() + 1;
      data_.clear();
      return;
    }
    data_.append(value);
    data_.push_back('\n');
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) last_id_ = std::string(value);
  } else if (field == "retry") {
    unsigned long ms = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
    if (ec == std::errc{} && end == value.data() + value.size() && !value.empty()) retry_ms_ = ms;
  }
  // Any other field is ignored, as the format requires.
}

}  // namespace henge::client
