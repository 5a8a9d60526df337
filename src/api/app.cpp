#include "api/app.hpp"

#include <boost/json.hpp>
#include <chrono>

#include "api/http_io.hpp"
#include "api/limits.hpp"
#include "api/openapi_document.hpp"
#include "api/routes.hpp"
#include "core/crypto.hpp"
#include "log/log.hpp"
#include "server/problem.hpp"

namespace henge::api {
namespace json = boost::json;
using core::Errc;
using core::make_error;

core::TimeMs system_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {

// Stands in the router for the unauthenticated operations routes.
const char kOpsMarker = 0;

// Seconds a client refused for having too many open streams is asked to wait.
constexpr int kRetryAfterStreamCap = 5;

bool valid_request_id(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

std::string bearer_token(const server::Request& req) {
  const auto* h = req.header("authorization");
  if (h == nullptr || h->size() < 7) return {};
  std::string scheme = h->substr(0, 7);
  for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "bearer ") return {};
  auto token = h->substr(7);
  while (!token.empty() && token.front() == ' ') token.erase(0, 1);
  while (!token.empty() && token.back() == ' ') token.pop_back();
  return token;
}

// Who is calling: an operator token on the admin API, a device token on the device
// API. Each kind of token is refused (403) where it does not belong.
core::Result<Actor> authenticate(Services& svc, const server::Request& req, core::TimeMs now, bool device_route) {
  const std::string token = bearer_token(req);
  if (token.empty()) return make_error(Errc::unauthorized, "a token is required: Authorization: Bearer <token>");
  const std::string hash = core::sha256_hex(token);
  std::optional<core::Token> op;
  std::optional<std::string> device;
  HENGE_TRY(svc.store.read([&](store::ReadTx& tx) -> core::Status {
    op = tx.token_by_hash(hash);
    if (!op) {
      if (auto d = tx.device_by_token_hash(hash)) device = d->id;
    }
    return {};
  }));
  // The lookups are by hash, so a timing difference could only reveal hashes of the
  // caller's own input; compare once more in constant time all the same.
  if (op && !core::constant_time_equal(op->hash, hash)) op.reset();
  if (op && op->expires_at != 0 && op->expires_at <= now) return make_error(Errc::unauthorized, "token expired");
  if (device_route) {
    if (device) return Actor{*device, "device"};
    if (op) return make_error(Errc::forbidden, "an operator token cannot use the device API");
  } else {
    if (op) return Actor{op->name, op->role};
    if (device) return make_error(Errc::forbidden, "a device token cannot use the admin API");
  }
  return make_error(Errc::unauthorized, "unknown token");
}

}  // namespace

App::App(store::Store& store, push::Hub& hub, push::FleetEvents& fleet, ApiOptions options,
         std::function<core::TimeMs()> now, ApiMetrics& metrics)
    : svc_{store, schemas_, hub, fleet, options, std::move(now), metrics}, limits_(options.limits) {
  for (auto list : {device_routes(), device_batch_routes(), config_routes(), schema_routes(), group_routes(),
                    audit_routes(), device_api_routes(), event_routes(), token_routes(), metrics_routes()}) {
    routes_.insert(routes_.end(), list.begin(), list.end());
  }
  for (const auto& r : routes_) router_.add(r.method, r.pattern, &r);
  router_.add("GET", "/healthz", &kOpsMarker);
  router_.add("GET", "/readyz", &kOpsMarker);
  router_.add("GET", "/v1/openapi.yaml", &kOpsMarker);
}

std::optional<server::Response> App::over_limit(server::RateLimiter& limiter, std::string_view limit,
                                                const std::string& key, const std::string& what,
                                                const std::string& request_id) {
  const auto wait = limiter.take(key, server::RateLimiter::Clock::now());
  if (wait == server::RateLimiter::Clock::duration::zero()) return std::nullopt;
  svc_.metrics.rate_limited.at("limit=\"" + std::string(limit) + "\"").add();
  const auto seconds = std::max<long long>(1, std::chrono::ceil<std::chrono::seconds>(wait).count());
  auto r = server::problem(
      make_error(Errc::rate_limited, "too many " + what + "; retry in " + std::to_string(seconds) + " s"), request_id);
  r.headers.emplace_back("Retry-After", std::to_string(seconds));
  return r;
}

std::optional<server::Response> App::over_caller_limits(const Route& route, const Actor& who,
                                                        const std::string& request_id) {
  if (route.access != Access::device) {
    return over_limit(limits_.per_operator, "operator", who.name, "requests with token " + who.name, request_id);
  }
  if (auto refused =
          over_limit(limits_.per_device, "device", who.name, "requests from device " + who.name, request_id)) {
    return refused;
  }
  if (!route.stream()) return std::nullopt;
  return over_limit(limits_.stream_connects, "stream_connect", who.name, "stream connections from device " + who.name,
                    request_id);
}

server::Response App::handle_ops(const server::Request& req, const std::string& request_id) {
  server::Response r;
  if (req.path == "/v1/openapi.yaml") {
    r.content_type = "application/yaml";
    r.body = kOpenApiDocument;
    return r;
  }
  if (req.path == "/healthz") return json_response(200, json::object{{"status", "ok"}});
  if (draining_) return server::problem(make_error(Errc::unavailable, "draining"), request_id);
  auto status = svc_.store.read([](store::ReadTx& tx) -> core::Status {
    (void)tx.revision();
    return {};
  });
  if (!status) return server::problem(status.error(), request_id);
  return json_response(200, json::object{{"status", "ready"}});
}

server::Response App::handle(server::Request&& req) {
  const auto started = std::chrono::steady_clock::now();
  std::string request_id;
  if (const auto* h = req.header("x-request-id"); h != nullptr && valid_request_id(*h)) {
    request_id = *h;
  } else {
    request_id = core::random_token(12);
  }
  std::string actor;
  // The route's pattern labels the request's metrics: a bounded set, unlike paths.
  std::string route_label = "unmatched";
  // Why a request failed on henged's side: logged with it, never sent (the answer says
  // "internal error" and the request id, which finds this line).
  std::string cause;
  auto fail = [&](const core::Error& e) -> server::Response {
    if (server::http_status(e.code) < 500) return server::problem(e, request_id);
    cause = e.message;
    // 503s say what to wait for (draining, storage unavailable); a 500 says nothing.
    if (e.code != Errc::internal) return server::problem(e, request_id);
    return server::problem(make_error(Errc::internal, "internal error"), request_id);
  };
  auto respond = [&]() -> server::Response {
    auto match = router_.match(req.method, req.path);
    if (match.kind == server::RouteMatch::Kind::found) {
      route_label = match.handler == &kOpsMarker ? req.path : static_cast<const Route*>(match.handler)->pattern;
    }
    switch (match.kind) {
      case server::RouteMatch::Kind::not_found:
        return server::problem(make_error(Errc::not_found, "no route " + req.path), request_id);
      case server::RouteMatch::Kind::bad_path:
        return server::problem(make_error(Errc::invalid, "malformed percent-encoding in the path"), request_id);
      case server::RouteMatch::Kind::method_not_allowed: {
        auto r = server::problem(make_error(Errc::method_not_allowed, req.method + " is not allowed on " + req.path),
                                 request_id);
        r.headers.emplace_back("Allow", match.allow);
        return r;
      }
      case server::RouteMatch::Kind::found:
        break;
    }
    if (match.handler == &kOpsMarker) return handle_ops(req, request_id);
    const auto* route = static_cast<const Route*>(match.handler);

    // Limits by address come first: they shield the token lookup from floods.
    const std::string address = address_of(req.remote);
    if (auto refused = over_limit(limits_.per_address, "address", address, "requests from " + address, request_id)) {
      return std::move(*refused);
    }
    const core::TimeMs now = svc_.now();
    auto who = authenticate(svc_, req, now, route->access == Access::device);
    if (!who) return fail(who.error());
    actor = who->name;
    if (auto refused = over_caller_limits(*route, *who, request_id)) return std::move(*refused);
    if (route->access == Access::write && who->role == "viewer") {
      return server::problem(make_error(Errc::forbidden, "the viewer role cannot change anything"), request_id);
    }
    if (route->access == Access::admin && who->role != "admin") {
      return server::problem(make_error(Errc::forbidden, "only an admin token may manage tokens"), request_id);
    }
    Ctx ctx{svc_, req, std::move(match.params), {}, request_id, std::move(*who), now};
    if (!server::parse_query(req.query, ctx.query)) {
      return server::problem(make_error(Errc::invalid, "malformed percent-encoding in the query"), request_id);
    }
    if (std::string_view(route->method) != "GET") {
      if (auto checked = read_write_query(ctx, route->dry_run()); !checked) return fail(checked.error());
    }
    if (route->stream() && req.method == "HEAD") {
      // What GET would answer, without opening the stream.
      server::Response head;
      head.content_type = "text/event-stream";
      head.headers.emplace_back("Cache-Control", "no-store");
      return head;
    }
    if (route->stream() && !limits_.streams.acquire(address)) {
      svc_.metrics.rate_limited.at("limit=\"streams_per_address\"").add();
      auto r = server::problem(make_error(Errc::rate_limited, "too many open streams from " + address), request_id);
      r.headers.emplace_back("Retry-After", std::to_string(kRetryAfterStreamCap));
      return r;
    }
    auto result = route->handler(ctx);
    if (route->stream()) {
      if (result && result->stream) {
        // The count is given back when the stream ends, on whatever thread ends it.
        auto& streams = limits_.streams;
        result->stream->on_close = [&streams, address, next = std::move(result->stream->on_close)] {
          streams.release(address);
          if (next) next();
        };
      } else {
        limits_.streams.release(address);
      }
    }
    if (!result) return fail(result.error());
    return std::move(result).value();
  };
  server::Response resp = respond();
  resp.headers.emplace_back("X-Request-Id", request_id);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();
  const std::string labels = "route=\"" + server::metrics::escape_label(route_label) + "\",method=\"" +
                             server::metrics::escape_label(req.method) + "\"";
  svc_.metrics.requests.at(labels + ",status=\"" + std::to_string(resp.status) + "\"").add();
  svc_.metrics.request_seconds.at(labels).observe(std::chrono::duration<double>(elapsed).count());
  if (!cause.empty()) {
    log::error("request failed", {{"method", req.method},
                                  {"path", req.path},
                                  {"route", route_label},
                                  {"status", resp.status},
                                  {"ms", static_cast<double>(micros) / 1000.0},
                                  {"cause", cause},
                                  {"actor", actor},
                                  {"request_id", request_id},
                                  {"remote", req.remote}});
  } else {
    log::info("request", {{"method", req.method},
                          {"path", req.path},
                          {"status", resp.status},
                          {"ms", static_cast<double>(micros) / 1000.0},
                          {"actor", actor},
                          {"request_id", request_id},
                          {"remote", req.remote}});
  }
  return resp;
}

core::Result<std::string> ensure_bootstrap_token(store::Store& store, const std::string& given) {
  std::string shown;
  HENGE_TRY(store.write([&](store::WriteTx& tx) -> core::Status {
    const bool empty = tx.token_count() == 0;
    if (!empty && given.empty()) return {};
    const std::string token = given.empty() ? "hat_" + core::random_token(32) : given;
    const std::string hash = core::sha256_hex(token);
    if (tx.token_by_hash(hash)) return {};
    tx.put_token(core::Token{"bootstrap", "admin", hash, system_now(), 0});
    core::AuditEntry a;
    a.at = system_now();
    a.actor = "henged";
    a.action = empty ? "token.bootstrap" : "token.bootstrap.replace";
    a.target = "token/bootstrap";
    a.change = nullptr;
    tx.append_audit(a);
    shown = token;
    return {};
  }));
  return shown;
}

}  // namespace henge::api
