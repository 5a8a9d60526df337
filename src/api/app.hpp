#pragma once
// The admin API as one function from request to response: request ids, routing,
// authentication, the handlers, and the mapping of errors to problem+json.

#include <atomic>
#include <functional>
#include <memory>
#include <optional>

#include "api/context.hpp"
#include "server/http_types.hpp"
#include "server/router.hpp"

namespace henge::api {

class App final {
 public:
  App(store::Store& store, push::Hub& hub, push::FleetEvents& fleet, ApiOptions options,
      std::function<core::TimeMs()> now, ApiMetrics& metrics);

  /// Answers one request. Blocks on the store: call it on a worker thread.
  server::Response handle(server::Request&& req);

  /// While draining, /readyz answers 503 so load balancers stop sending traffic.
  void set_draining(bool draining) { draining_ = draining; }

 private:
  server::Response handle_ops(const server::Request& req, const std::string& request_id);

  /// Spends one request of `key` from `limiter`; the 429 to answer when there is none.
  std::optional<server::Response> over_limit(server::RateLimiter& limiter, std::string_view limit,
                                             const std::string& key, const std::string& what,
                                             const std::string& request_id);

  /// The buckets of who is calling: its token's, or its device's and, for a stream, its
  /// device's stream connections.
  std::optional<server::Response> over_caller_limits(const Route& route, const Actor& who,
                                                     const std::string& request_id);

  service::SchemaCache schemas_;
  Services svc_;
  Limits limits_;
  std::vector<Route> routes_;
  server::Router router_;
  std::atomic<bool> draining_{false};
};

/// Milliseconds since the epoch from the system clock.
core::TimeMs system_now();

/// Makes `token` the admin token named "bootstrap" when the store has no token yet,
/// or when `token` is given (a changed token replaces the old one). Returns the
/// token that is now valid and was not known before ("" when nothing changed): the
/// caller shows a generated one once.
core::Result<std::string> ensure_bootstrap_token(store::Store& store, const std::string& given);

}  // namespace henge::api
