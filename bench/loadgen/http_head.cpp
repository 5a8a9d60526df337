#include "http_head.hpp"

#include <algorithm>
#include <charconv>

namespace henge::loadgen {

namespace {
constexpr std::size_t kMaxHead = 16 << 10;
}

std::int64_t parse_number(std::string_view s) {
  std::int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && ptr == s.data() + s.size() ? v : -1;
}

HttpHead::Step HttpHead::feed(std::string_view& bytes) {
  const auto before = head_.size();
  head_.append(bytes);
  // The blank line may begin in what came before, never end there (it was not found).
  const auto end = head_.find("\r\n\r\n", before >= 3 ? before - 3 : 0);
  if (end == std::string::npos) return head_.size() > kMaxHead ? Step::too_big : Step::more;
  bytes.remove_prefix(end + 4 - before);
  head_.resize(end + 2);
  return Step::done;
}

int HttpHead::status() const {
  if (head_.size() < 12 || head_.compare(0, 5, "HTTP/") != 0) return -1;
  return static_cast<int>(parse_number(std::string_view(head_).substr(9, 3)));
}

std::string_view HttpHead::header(std::string_view lower_name) const {
  const std::string_view head = head_;
  std::size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos + 2 < head.size()) {
    const auto start = pos + 2;
    const auto end = head.find("\r\n", start);
    const auto line = head.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    const auto colon = line.find(':');
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (colon == lower_name.size() &&
        std::equal(lower_name.begin(), lower_name.end(), line.begin(), [&](char a, char b) { return a == lower(b); })) {
      auto value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      return value;
    }
    pos = end;
  }
  return {};
}

}  // namespace henge::loadgen
