#pragma once
// An HTTP/1.1 response head, collected from bytes split anywhere: enough of HTTP for
// the load generator's streams (henge's event stream and etcd's watch gateway).

#include <cstdint>
#include <string>
#include <string_view>

namespace henge::loadgen {

/// The decimal number `s` holds entirely, or -1.
std::int64_t parse_number(std::string_view s);

class HttpHead final {
 public:
  enum class Step : std::uint8_t { more, done, too_big };
  /// Feeds the next bytes. On `done`, `bytes` is left holding what followed the head.
  Step feed(std::string_view& bytes);
  /// The status code, once done (-1 when the status line is not one).
  [[nodiscard]] int status() const;
  /// The value of header `lower_name` (given in lower case), or empty.
  [[nodiscard]] std::string_view header(std::string_view lower_name) const;

 private:
  std::string head_;  // up to and including the last header line's CRLF
};

}  // namespace henge::loadgen
