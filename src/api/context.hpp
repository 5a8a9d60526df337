#pragma once
// What a handler gets: the request, its route parameters, who is asking, and the
// services it may use. Handlers return a Result; errors become problem+json in one
// place (app.cpp).

#include <boost/json/value.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "api/limits.hpp"
#include "api/metrics.hpp"
#include "core/model.hpp"
#include "core/result.hpp"
#include "server/http_types.hpp"
#include "service/config_engine.hpp"
#include "service/schema_cache.hpp"
#include "store/store.hpp"

namespace henge::push {
class Hub;
class FleetEvents;
}  // namespace henge::push

namespace henge::api {

struct ApiOptions {
  std::size_t config_limit = 256 << 10;        ///< largest effective config, serialized
  std::size_t max_page = 1000;                 ///< largest `limit` a list accepts
  std::size_t report_limit = 64 << 10;         ///< largest `reported` document
  std::chrono::milliseconds keepalive{15000};  ///< idle time before a stream's keepalive comment
  LimitOptions limits;
};

/// Long-lived things handlers share. Thread-safe.
struct Services {
  store::Store& store;
  service::SchemaCache& schemas;
  push::Hub& hub;
  push::FleetEvents& fleet;
  ApiOptions options;
  std::function<core::TimeMs()> now;
  ApiMetrics& metrics;
};

struct Actor {
  std::string name;  ///< the token's name (the audit log's actor), or the device's id
  std::string role;  ///< admin · operator · viewer · device
};

struct Ctx {
  Services& svc;
  const server::Request& req;
  std::vector<std::string> params;  ///< route parameters in pattern order
  std::vector<std::pair<std::string, std::string>> query;
  std::string request_id;
  Actor actor;
  core::TimeMs now = 0;
  bool dry_run = false;  ///< `?dry_run=true` on a route that takes it (checked before the handler runs)

  /// The first query parameter named `name`, or nullptr.
  [[nodiscard]] const std::string* query_param(std::string_view name) const {
    for (const auto& [k, v] : query) {
      if (k == name) return &v;
    }
    return nullptr;
  }
};

/// The config engine as a handler uses it, and the stamp (time, actor) of its writes.
inline service::Engine engine(const Ctx& ctx) {
  return {ctx.svc.schemas, ctx.svc.options.config_limit};
}
inline service::Stamp stamp(const Ctx& ctx) {
  return {ctx.now, ctx.actor.name};
}

using HandlerResult = core::Result<server::Response>;
using HandlerFn = HandlerResult (*)(Ctx&);

/// Who may call a route: any operator token (read), an admin or operator token (write),
/// an admin token (admin: token management), or a device token (device).
enum class Access { read, write, admin, device };

/// Route::flags.
inline constexpr unsigned kStream = 1;  ///< answers with an event stream (counted per source address)
inline constexpr unsigned kDryRun = 2;  ///< a write that takes `?dry_run=true|false`

struct Route {
  const char* method;
  const char* pattern;
  HandlerFn handler;
  Access access;
  unsigned flags = 0;

  [[nodiscard]] bool stream() const { return (flags & kStream) != 0; }
  [[nodiscard]] bool dry_run() const { return (flags & kDryRun) != 0; }
};

}  // namespace henge::api
