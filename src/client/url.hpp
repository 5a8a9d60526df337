#pragma once
// The server address a client is given: http:// or https://, a host, an optional port
// and an optional base path that every request's target is put under.

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace henge::client {

struct Url {
  std::string scheme;     ///< "http" or "https"
  std::string host;       ///< a name, an IPv4 address, or an IPv6 address without brackets
  std::string port;       ///< always set: the given one, or 80 / 443
  std::string base_path;  ///< "" or "/prefix" with no trailing slash

  [[nodiscard]] bool tls() const { return scheme == "https"; }
  /// The Host header's value: host[:port], bracketing IPv6 literals.
  [[nodiscard]] std::string host_header() const;
  /// `base_path` + `target`; `target` starts with '/'.
  [[nodiscard]] std::string target(std::string_view path) const;
};

/// Parses "http[s]://host[:port][/base]"; anything else (user info, a query, a
/// fragment, another scheme) is an `invalid` error naming what is wrong.
core::Result<Url> parse_url(std::string_view text);

}  // namespace henge::client
