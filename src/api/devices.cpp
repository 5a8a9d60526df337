// /v1/devices: register, list, read, change, delete devices, and rotate their tokens.

#include <algorithm>
#include <boost/json.hpp>

#include "api/device_fields.hpp"
#include "api/http_io.hpp"
#include "api/render.hpp"
#include "api/routes.hpp"
#include "core/crypto.hpp"
#include "core/names.hpp"
#include "core/sync_status.hpp"
#include "log/log.hpp"
#include "push/hub.hpp"
#include "service/config_engine.hpp"

namespace henge::api {
namespace {

namespace json = boost::json;
using core::Errc;
using core::make_error;
using core::Status;

// A device row the store could not read in full is listed all the same, with what is
// missing named in `unreadable`; the operator hears of it in the log too.
void log_unreadable(const Ctx& ctx, const core::Device& d) {
  for (const auto& u : d.unreadable) {
    log::error("stored device row cannot be read in full",
               {{"device", d.id}, {"cause", u}, {"request_id", ctx.request_id}});
  }
}

HandlerResult create_device(Ctx& ctx) {
  auto body = json_object_body(ctx);
  if (!body) return std::move(body).error();
  auto parsed = parse_new_device(*body, ctx.now);
  if (!parsed) return std::move(parsed).error();
  const auto& d = parsed->device;
  core::Device stored;
  json::array warnings;
  auto status = ctx.svc.store.write([&](store::WriteTx& tx) -> Status {
    if (tx.device(d.id)) return make_error(Errc::conflict, "device " + d.id + " already exists");
    warnings = device_warnings(tx, {d});
    auto changes = service::plan(engine(ctx), tx, {d});
    if (!changes) return std::move(changes).error();
    const auto rev = service::commit(tx, *changes, stamp(ctx), "device.create", true);
    stored = changes->front().device;
    tx.append_audit(audit_entry(ctx, "device.create", "device/" + d.id, *body, rev));
    return {};
  });
  HENGE_TRY(status);
  auto out = render_device(stored);
  out["token"] = parsed->token;
  if (!warnings.empty()) out["warnings"] = std::move(warnings);
  auto resp = json_response(201, out);
  resp.headers.emplace_back("Location", "/v1/devices/" + stored.id);
  return resp;
}

HandlerResult list_devices(Ctx& ctx) {
  auto limit = page_limit(ctx);
  if (!limit) return std::move(limit).error();
  auto after = page_cursor(ctx, "devices");
  if (!after) return std::move(after).error();
  store::DeviceQuery q;
  q.after_id = *after;
  q.limit = *limit + 1;  // one more tells whether there is a next page
  if (const auto* v = ctx.query_param("schema")) q.schema = *v;
  if (const auto* v = ctx.query_param("group")) q.group = *v;
  if (const auto* v = ctx.query_param("label")) {
    const auto eq = v->find('=');
    q.label_key = v->substr(0, eq);
    if (eq != std::string::npos) q.label_value = v->substr(eq + 1);
    if (q.label_key.empty()) return make_error(Errc::invalid, "label must be key or key=value");
  }
  if (const auto* v = ctx.query_param("status")) {
    if (!core::is_sync_status(*v)) {
      return make_error(Errc::invalid, "status must be never_connected, in_sync, pending or failed");
    }
    q.status = *v;
  }
  auto connected = bool_param(ctx, "connected");
  if (!connected) return std::move(connected).error();
  q.connected = *connected;
  for (const auto& [k, v] : ctx.query) {
    if (k != "schema" && k != "group" && k != "label" && k != "status" && k != "connected" && k != "limit" &&
        k != "cursor") {
      return make_error(Errc::invalid, "unknown query parameter '" + k + "'");
    }
  }
  auto found = read_value(ctx, [&](store::ReadTx& tx) { return tx.devices(q); });
  if (!found) return std::move(found).error();
  auto& devices = *found;
  std::string next;
  if (devices.size() > *limit) {
    devices.resize(*limit);
    next = make_cursor("devices", devices.back().id);
  }
  json::array items;
  for (const auto& d : devices) {
    log_unreadable(ctx, d);
    items.push_back(render_device(d));
  }
  return json_response(200, render_page(std::move(items), next));
}

core::Result<core::Device> read_device(Ctx& ctx) {
  HENGE_TRY(core::check_name("device id", ctx.params[0]));
  auto d = read_value(ctx, [&](store::ReadTx& tx) { return tx.device(ctx.params[0]); });
  if (!d) return std::move(d).error();
  if (!*d) return make_error(Errc::not_found, "no device " + ctx.params[0]);
  return std::move(**d);
}

HandlerResult get_device(Ctx& ctx) {
  auto d = read_device(ctx);
  if (!d) return std::move(d).error();
  log_unreadable(ctx, *d);
  return json_response(200, render_device(*d));
}

HandlerResult patch_device(Ctx& ctx) {
  HENGE_TRY(core::check_name("device id", ctx.params[0]));
  auto body_v = json_body(ctx, {"application/json", "application/merge-patch+json"});
  if (!body_v) return std::move(body_v).error();
  if (!body_v->is_object()) return make_error(Errc::invalid, "the body must be a JSON object");
  const auto& body = body_v->get_object();
  HENGE_TRY(check_fields(body, {"schema", "labels", "groups"}));
  const bool dry = is_dry_run(ctx);
  core::Device stored;
  json::value dry_body;
  json::array warnings;
  auto status = ctx.svc.store.write([&](store::WriteTx& tx) -> Status {
    auto d = tx.device(ctx.params[0]);
    if (!d) return make_error(Errc::not_found, "no device " + ctx.params[0]);
    if (const auto* v = body.if_contains("schema")) HENGE_TRY(parse_schema_name(*v, d->schema));
    if (const auto* v = body.if_contains("labels")) HENGE_TRY(parse_labels(*v, d->labels, true));
    if (const auto* v = body.if_contains("groups")) HENGE_TRY(parse_groups(*v, d->groups));
    if (body.contains("schema")) warnings = device_warnings(tx, {*d});
    d->updated_at = ctx.now;
    auto changes = service::plan(engine(ctx), tx, {*d});
    if (!changes) return std::move(changes).error();
    if (dry) {
      dry_body = service::dry_run_body(*changes);
      return {};
    }
    const auto rev = service::commit(tx, *changes, stamp(ctx), "device.update", true);
    stored = changes->front().device;
    tx.append_audit(audit_entry(ctx, "device.update", "device/" + stored.id, body, rev));
    return {};
  });
  HENGE_TRY(status);
  if (dry) return json_response(200, dry_body);
  auto out = render_device(stored);
  if (!warnings.empty()) out["warnings"] = std::move(warnings);
  return json_response(200, out);
}

HandlerResult delete_device(Ctx& ctx) {
  HENGE_TRY(core::check_name("device id", ctx.params[0]));
  HENGE_TRY(ctx.svc.store.write([&](store::WriteTx& tx) -> Status {
    if (!tx.device(ctx.params[0])) return make_error(Errc::not_found, "no device " + ctx.params[0]);
    tx.delete_device(ctx.params[0]);
    tx.append_audit(audit_entry(ctx, "device.delete", "device/" + ctx.params[0], nullptr, 0));
    return {};
  }));
  ctx.svc.hub.close(ctx.params[0], "deleted");
  return no_content();
}

HandlerResult rotate_token(Ctx& ctx) {
  HENGE_TRY(core::check_name("device id", ctx.params[0]));
  const std::string token = new_device_token();
  HENGE_TRY(ctx.svc.store.write([&](store::WriteTx& tx) -> Status {
    auto d = tx.device(ctx.params[0]);
    if (!d) return make_error(Errc::not_found, "no device " + ctx.params[0]);
    d->token_hash = core::sha256_hex(token);
    d->updated_at = ctx.now;
    tx.update_device(*d);
    tx.append_audit(audit_entry(ctx, "device.token.rotate", "device/" + d->id, nullptr, 0));
    return {};
  }));
  ctx.svc.hub.close(ctx.params[0], "token_rotated");
  return json_response(200, json::object{{"id", ctx.params[0]}, {"token", token}});
}

}  // namespace

std::vector<Route> device_routes() {
  return {
      {"POST", "/v1/devices", create_device, Access::write},
      {"GET", "/v1/devices", list_devices, Access::read},
      {"GET", "/v1/devices/{id}", get_device, Access::read},
      {"PATCH", "/v1/devices/{id}", patch_device, Access::write, kDryRun},
      {"DELETE", "/v1/devices/{id}", delete_device, Access::write},
      {"POST", "/v1/devices/{id}/token", rotate_token, Access::write},
  };
}

}  // namespace henge::api
