#include "cli/assignment.hpp"

#include <boost/json.hpp>

#include "core/json_pointer.hpp"

namespace henge::cli {

using core::Errc;
using core::make_error;

core::Result<std::string> key_to_pointer(std::string_view key) {
  if (key.empty()) return make_error(Errc::invalid, "empty key");
  if (key.front() == '/') {
    if (auto parsed = core::JsonPointer::parse(key); !parsed.ok()) return std::move(parsed).error();
    return std::string(key);
  }
  std::string pointer;
  std::size_t start = 0;
  for (;;) {
    const auto dot = key.find('.', start);
    const auto segment = key.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (segment.empty()) return make_error(Errc::invalid, "key '" + std::string(key) + "' has an empty segment");
    pointer += "/" + core::escape_pointer_token(segment);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return pointer;
}

core::Result<Assignment> parse_assignment(std::string_view text) {
  const auto eq = text.find('=');
  if (eq == std::string_view::npos) {
    return make_error(Errc::invalid, "'" + std::string(text) + "' is not KEY=VALUE");
  }
  auto pointer = key_to_pointer(text.substr(0, eq));
  if (!pointer.ok()) return std::move(pointer).error();
  const auto raw = text.substr(eq + 1);
  boost::system::error_code ec;
  auto value = boost::json::parse(raw, ec);
  if (ec) value = boost::json::string(raw);
  return Assignment{std::move(*pointer), std::move(value)};
}

}  // namespace henge::cli
