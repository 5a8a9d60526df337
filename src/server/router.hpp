#pragma once
// Maps (method, path) to a handler. Patterns are literal segments, `{name}` for one
// segment, and a final `{name*}` for the rest of the path. Captured segments are
// percent-decoded. A path that matches no pattern is 404; one that matches only for
// other methods is 405 with those methods in Allow. HEAD matches wherever GET does.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "server/http_types.hpp"

namespace henge::server {

struct RouteMatch {
  enum class Kind { found, not_found, method_not_allowed, bad_path } kind = Kind::not_found;
  const void* handler = nullptr;    ///< the value given to add(), when found
  std::vector<std::string> params;  ///< captured segments in pattern order
  std::string allow;                ///< for method_not_allowed: "GET, PUT"
};

class Router final {
 public:
  /// Registers `handler` (opaque to the router) for `method` and `pattern`.
  void add(std::string_view method, std::string_view pattern, const void* handler);
  [[nodiscard]] RouteMatch match(std::string_view method, std::string_view path) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;  ///< "{}" for a parameter, "{*}" for the rest
    const void* handler;
  };
  std::vector<Route> routes_;
};

/// Decodes %XX escapes; false on a malformed escape. '+' stays '+'.
bool percent_decode(std::string_view in, std::string& out);

/// Splits a query string into decoded name/value pairs; false on a bad escape.
bool parse_query(std::string_view query, std::vector<std::pair<std::string, std::string>>& out);

}  // namespace henge::server
