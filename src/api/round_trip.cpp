#include "api/round_trip.hpp"

#include <boost/json.hpp>
#include <cstdlib>

#include "api/app.hpp"
#include "core/crypto.hpp"
#include "core/json_policy.hpp"
#include "push/fleet_events.hpp"
#include "push/hub.hpp"
#include "push/presence.hpp"

namespace henge::api {
namespace json = boost::json;

namespace {

core::TimeMs fixed_now() {
  return 1795716702123;
}

// How many listed devices have their own reads checked after each request.
constexpr std::size_t kDevicesChecked = 20;

}  // namespace

struct RoundTrip::Parts {
  explicit Parts(std::unique_ptr<store::Store> s)
      : store(std::move(s)), presence(*store, fixed_now), hub(std::chrono::milliseconds(2000), &presence) {}

  std::unique_ptr<store::Store> store;
  push::Presence presence;
  push::Hub hub;
  push::FleetEvents fleet{16, 16};
  ApiMetrics metrics;
  std::unique_ptr<App> app;
};

server::Request make_request(std::string method, std::string target, std::string_view token, std::string body,
                             std::string content_type) {
  server::Request r;
  r.method = std::move(method);
  r.target = std::move(target);
  const auto q = r.target.find('?');
  r.path = r.target.substr(0, q);
  if (q != std::string::npos) r.query = r.target.substr(q + 1);
  r.headers.emplace_back("host", "henge.test");
  if (!token.empty()) r.headers.emplace_back("authorization", "Bearer " + std::string(token));
  if (!body.empty() || r.method == "POST" || r.method == "PUT" || r.method == "PATCH") {
    r.headers.emplace_back("content-type", std::move(content_type));
  }
  r.body = std::move(body);
  r.remote = "127.0.0.1:40000";
  return r;
}

RoundTrip::RoundTrip(std::unique_ptr<store::Store> store) : parts_(std::make_unique<Parts>(std::move(store))) {
  auto& p = *parts_;
  if (!ensure_bootstrap_token(*p.store, std::string(kAdminToken))) std::abort();
  p.store->set_change_listener([&hub = p.hub](store::ChangeEvent e) { hub.publish(std::move(e)); });
  ApiOptions options;
  options.limits = {};  // one client in a hurry
  options.limits.per_operator = {};
  options.limits.per_device = {};
  options.limits.stream_connects = {};
  p.app = std::make_unique<App>(*p.store, p.hub, p.fleet, options, fixed_now, p.metrics);
  auto added =
      handle(make_request("POST", "/v1/devices", kAdminToken, R"({"id":"pi-1","config":{"led":{"on":true}}})"));
  if (added.status != 201) std::abort();
  const auto set = p.store->write([](store::WriteTx& tx) -> core::Status {
    auto d = tx.device(kDevice);
    d->token_hash = core::sha256_hex(kDeviceToken);
    tx.update_device(*d);
    return {};
  });
  if (!set) std::abort();
}

RoundTrip::~RoundTrip() {
  parts_->store->set_change_listener(nullptr);
}

server::Response RoundTrip::handle(server::Request&& req) {
  auto resp = parts_->app->handle(std::move(req));
  if (resp.stream && resp.stream->on_close) resp.stream->on_close();  // as the server does when a stream ends
  return resp;
}

// An answer henge's clients can read: JSON within the envelope depth.
std::optional<std::string> RoundTrip::check(server::Request&& req) {
  const std::string what = req.method + " " + req.target;
  auto resp = handle(std::move(req));
  if (resp.status < 100 || resp.status > 599) return what + " answered " + std::to_string(resp.status);
  if (resp.status >= 400 && resp.content_type != "application/problem+json") {
    return what + " answered " + std::to_string(resp.status) + " without problem+json";
  }
  if (resp.status >= 500) return what + " answered " + std::to_string(resp.status) + ": " + resp.body;
  if (resp.content_type == "application/json" || resp.content_type == "application/problem+json") {
    boost::system::error_code ec;
    (void)core::parse_answer(resp.body, ec);
    if (ec) return what + " answered a body that is not JSON: " + resp.body.substr(0, 200);
  }
  return check_reads();
}

std::optional<std::string> RoundTrip::check_reads() {
  // A read answers 2xx, or 404 when what it names is gone (a request may delete the
  // device, or rotate its token, which the device's poll then answers 401 to).
  auto read = [this](const std::string& target, std::string_view token,
                     bool may_be_gone) -> std::pair<std::optional<std::string>, server::Response> {
    auto resp = handle(make_request("GET", target, token));
    const bool gone = may_be_gone && (resp.status == 404 || resp.status == 401);
    if ((resp.status >= 200 && resp.status < 300) || gone) {
      if (resp.content_type == "application/json") {
        boost::system::error_code ec;
        (void)core::parse_answer(resp.body, ec);
        if (ec) return {"GET " + target + " answered a body that is not JSON: " + resp.body.substr(0, 200), {}};
      }
      return {std::nullopt, std::move(resp)};
    }
    return {"GET " + target + " answered " + std::to_string(resp.status) + ": " + resp.body.substr(0, 300), {}};
  };
  for (const char* target : {"/v1/audit", "/v1/schemas", "/v1/groups", "/v1/tokens"}) {
    if (auto broke = read(target, kAdminToken, false).first) return broke;
  }
  auto [broke, list] = read("/v1/devices?limit=" + std::to_string(kDevicesChecked), kAdminToken, false);
  if (broke) return broke;
  boost::system::error_code ec;
  const auto page = core::parse_answer(list.body, ec);
  if (ec || !page.is_object() || !page.at("items").is_array()) return "GET /v1/devices answered no items";
  for (const auto& item : page.at("items").get_array()) {
    const std::string id(item.at("id").as_string());
    for (const auto& suffix : {"", "/config", "/history"}) {
      if (auto b = read("/v1/devices/" + id + suffix, kAdminToken, true).first) return b;
    }
  }
  for (const auto& item : page.at("items").get_array()) {
    const auto& schema = item.at("schema");
    if (!schema.is_string() || schema.get_string().empty()) continue;
    const std::string name(schema.get_string());
    if (auto b = read("/v1/schemas/" + name + "/versions", kAdminToken, true).first) return b;
  }
  if (auto b = read("/v1/device/config", kDeviceToken, true).first) return b;
  return std::nullopt;
}

}  // namespace henge::api
