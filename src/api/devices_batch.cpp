// POST /v1/devices:batch: registers up to 10,000 devices in one atomic write, for fleet
// owners who provision in bulk (`henge device import`). All are registered or none.

#include <boost/json.hpp>
#include <unordered_map>

#include "api/device_fields.hpp"
#include "api/http_io.hpp"
#include "api/routes.hpp"
#include "service/config_engine.hpp"

namespace henge::api {
namespace {

namespace json = boost::json;
using core::Errc;
using core::FieldError;
using core::make_error;
using core::Status;

constexpr std::size_t kMaxBatch = 10'000;
constexpr std::size_t kMaxNamedConflicts = 20;  // in the message; details name them all

std::string item_path(std::size_t i) {
  return "/devices/" + std::to_string(i);
}

HandlerResult create_devices(Ctx& ctx) {
  auto body = json_object_body(ctx);
  if (!body) return std::move(body).error();
  HENGE_TRY(check_fields(*body, {"devices"}));
  const auto* items = body->if_contains("devices");
  if (items == nullptr || !items->is_array() || items->get_array().empty()) {
    return make_error(Errc::invalid, "devices is required: an array of 1 to 10,000 devices");
  }
  const auto& array = items->get_array();
  if (array.size() > kMaxBatch) {
    return make_error(Errc::invalid,
                      "at most 10,000 devices per batch, not " + std::to_string(array.size()) + "; split the list");
  }

  std::vector<NewDevice> parsed;
  parsed.reserve(array.size());
  std::unordered_map<std::string, std::size_t> index_of;
  for (std::size_t i = 0; i < array.size(); ++i) {
    if (!array[i].is_object())
      return make_error(Errc::invalid, "each device must be an object", {{"", item_path(i), "not an object"}});
    auto one = parse_new_device(array[i].get_object(), ctx.now);
    if (!one) {
      const auto& e = one.error();
      return make_error(e.code, item_path(i) + ": " + e.message, {{"", item_path(i), e.message}});
    }
    if (auto [it, fresh] = index_of.try_emplace(one->device.id, i); !fresh) {
      return make_error(Errc::invalid,
                        "device " + one->device.id + " is listed twice (" + std::to_string(it->second) + " and " +
                            std::to_string(i) + ")",
                        {{one->device.id, item_path(i) + "/id", "listed twice"}});
    }
    parsed.push_back(std::move(*one));
  }

  core::Revision revision = 0;
  json::array warnings;
  auto status = ctx.svc.store.write([&](store::WriteTx& tx) -> Status {
    std::vector<FieldError> taken;
    std::string named;
    for (std::size_t i = 0; i < parsed.size(); ++i) {
      if (!tx.device(parsed[i].device.id)) continue;
      if (taken.size() < kMaxNamedConflicts) named += (named.empty() ? "" : ", ") + parsed[i].device.id;
      taken.push_back({parsed[i].device.id, item_path(i) + "/id", "already exists"});
    }
    if (!taken.empty()) {
      const auto more = taken.size() > kMaxNamedConflicts
                            ? " and " + std::to_string(taken.size() - kMaxNamedConflicts) + " more"
                            : "";
      return make_error(Errc::conflict, "devices already exist: " + named + more + "; nothing was registered",
                        std::move(taken));
    }
    std::vector<core::Device> devices;
    devices.reserve(parsed.size());
    for (const auto& p : parsed) devices.push_back(p.device);
    warnings = device_warnings(tx, devices);
    auto changes = service::plan(engine(ctx), tx, std::move(devices));
    if (!changes) return std::move(changes).error();
    revision = service::commit(tx, *changes, stamp(ctx), "device.create", true);
    for (std::size_t i = 0; i < parsed.size(); ++i) {
      tx.append_audit(audit_entry(ctx, "device.create", "device/" + parsed[i].device.id, array[i], revision));
    }
    return {};
  });
  HENGE_TRY(status);

  json::array out;
  out.reserve(parsed.size());
  for (const auto& p : parsed) out.push_back(json::object{{"id", p.device.id}, {"token", p.token}});
  json::object answer{{"revision", revision}, {"devices", std::move(out)}};
  if (!warnings.empty()) answer["warnings"] = std::move(warnings);
  return json_response(201, answer);
}

}  // namespace

std::vector<Route> device_batch_routes() {
  return {{"POST", "/v1/devices:batch", create_devices, Access::write}};
}

}  // namespace henge::api
