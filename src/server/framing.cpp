#include "server/framing.hpp"

#include <cctype>

namespace henge::server {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The codings of every Transfer-Encoding field in order, lower case, without their
// parameters; empty list elements are skipped (RFC 9110 §5.6.1).
std::vector<std::string> transfer_codings(const HeaderFields& fields) {
  std::vector<std::string> out;
  for (const auto& [name, value] : fields) {
    if (name != "transfer-encoding") continue;
    std::string_view rest = value;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      auto item = rest.substr(0, comma);
      item = trim(item.substr(0, item.find(';')));
      if (!item.empty()) out.push_back(lower(item));
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
  }
  return out;
}

core::Error refuse(core::Errc code, std::string message) {
  return core::Error{code, std::move(message), {}};
}

}  // namespace

std::optional<core::Error> framing_error(unsigned version, std::string_view target, const HeaderFields& fields,
                                         std::size_t max_target) {
  using core::Errc;
  if (target.size() > max_target) {
    return refuse(Errc::uri_too_long,
                  "the request target is over the limit of " + std::to_string(max_target) + " bytes");
  }
  std::size_t hosts = 0;
  bool has_te = false;
  bool has_length = false;
  for (const auto& [name, value] : fields) {
    hosts += name == "host" ? 1 : 0;
    has_te = has_te || name == "transfer-encoding";
    has_length = has_length || name == "content-length";
  }
  if (version >= 11 && hosts != 1) {
    return refuse(Errc::invalid,
                  hosts == 0 ? "an HTTP/1.1 request needs a Host header" : "a request may have only one Host header");
  }
  if (!has_te) return std::nullopt;
  if (version < 11) return refuse(Errc::invalid, "Transfer-Encoding is not allowed in an HTTP/1.0 request");
  if (has_length) return refuse(Errc::invalid, "a request may not have both Transfer-Encoding and Content-Length");
  const auto codings = transfer_codings(fields);
  if (codings.empty() || codings.back() != "chunked") {
    return refuse(Errc::invalid, "the final transfer coding must be chunked: the body's length cannot be known");
  }
  for (std::size_t i = 0; i + 1 < codings.size(); ++i) {
    if (codings[i] == "chunked") return refuse(Errc::invalid, "chunked may be applied only once");
    return refuse(Errc::not_implemented, "transfer coding " + codings[i] + " is not implemented (only chunked is)");
  }
  return std::nullopt;
}

std::string origin_form(std::string_view target) {
  const auto scheme_end = target.find("://");
  if (target.empty() || target.front() == '/' || scheme_end == std::string_view::npos) return std::string(target);
  const std::string scheme = lower(target.substr(0, scheme_end));
  if (scheme != "http" && scheme != "https") return std::string(target);
  const auto rest = target.substr(scheme_end + 3);
  const auto path = rest.find_first_of("/?");
  if (path == std::string_view::npos) return "/";
  if (rest[path] == '?') return "/" + std::string(rest.substr(path));
  return std::string(rest.substr(path));
}

}  // namespace henge::server
