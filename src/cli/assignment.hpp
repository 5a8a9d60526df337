#pragma once
// KEY=VALUE arguments of `henge config set` and `henge group set`: KEY is a dotted path
// (led.on) or a JSON pointer (/led/on); VALUE is JSON when it parses as JSON, else a
// string (so name=kitchen needs no quotes, and "42" in quotes stays a string).

#include <boost/json/value.hpp>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace henge::cli {

struct Assignment {
  std::string pointer;  ///< RFC 6901
  boost::json::value value;
};

/// A dotted path or a JSON pointer as a JSON pointer; `invalid` for an empty key or
/// an empty segment ("a..b").
core::Result<std::string> key_to_pointer(std::string_view key);

/// Parses one KEY=VALUE argument.
core::Result<Assignment> parse_assignment(std::string_view text);

}  // namespace henge::cli
