#include "client/url.hpp"

#include <charconv>

namespace henge::client {

using core::Errc;
using core::make_error;

std::string Url::host_header() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  std::string out = ipv6 ? "[" + host + "]" : host;
  const bool default_port = (scheme == "http" && port == "80") || (scheme == "https" && port == "443");
  if (!default_port) out += ":" + port;
  return out;
}

std::string Url::target(std::string_view path) const {
  return base_path + std::string(path);
}

core::Result<Url> parse_url(std::string_view text) {
  Url url;
  const auto sep = text.find("://");
  if (sep == std::string_view::npos) {
    return make_error(Errc::invalid, "server URL must start with http:// or https://");
  }
  url.scheme = std::string(text.substr(0, sep));
  for (auto& c : url.scheme) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (url.scheme != "http" && url.scheme != "https") {
    return make_error(Errc::invalid, "server URL scheme must be http or https, not '" + url.scheme + "'");
  }
  std::string_view rest = text.substr(sep + 3);
  const auto path_at = rest.find('/');
  std::string_view authority = rest.substr(0, path_at);
  std::string_view path = path_at == std::string_view::npos ? std::string_view{} : rest.substr(path_at);
  if (authority.find('@') != std::string_view::npos) {
    return make_error(Errc::invalid, "server URL must not carry user info; give the token separately");
  }
  if (path.find_first_of("?#") != std::string_view::npos) {
    return make_error(Errc::invalid, "server URL must not have a query or a fragment");
  }
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return make_error(Errc::invalid, "server URL has an unclosed '['");
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return make_error(Errc::invalid, "server URL has text after its IPv6 address");
      port = after.substr(1);
    }
  } else {
    const auto colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    if (url.host.find(':') != std::string::npos) {
      return make_error(Errc::invalid, "server URL: put an IPv6 address in brackets");
    }
  }
  if (url.host.empty()) return make_error(Errc::invalid, "server URL has no host");
  if (port.empty()) {
    url.port = url.tls() ? "443" : "80";
  } else {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535) {
      return make_error(Errc::invalid, "server URL port must be a number from 1 to 65535");
    }
    url.port = std::to_string(value);
  }
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  url.base_path = std::string(path);
  return url;
}

}  // namespace henge::client
