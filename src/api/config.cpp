// /v1/devices/{id}/config, /history and /rollback: a device's own layer, its
// effective config with where each value came from, and its past revisions.

#include <boost/json.hpp>

#include "api/http_io.hpp"
#include "api/render.hpp"
#include "api/routes.hpp"
#include "core/json_pointer.hpp"
#include "core/merge_patch.hpp"
#include "core/names.hpp"
#include "service/config_engine.hpp"

namespace henge::api {
namespace {

namespace json = boost::json;
using core::Errc;
using core::make_error;
using core::Status;

server::Response config_response(int status, const json::object& body, core::Revision rev) {
  auto r = json_response(status, body);
  r.headers.emplace_back("ETag", etag(rev));
  return r;
}

HandlerResult get_config(Ctx& ctx) {
  HENGE_TRY(core::check_name("device id", ctx.params[0]));
  json::object out;
  core::Revision rev = 0;
  HENGE_TRY(ctx.svc.store.read([&](store::ReadTx& tx) -> Status {
    auto d = tx.device(ctx.params[0]);
    if (!d) return make_error(Errc::not_found, "no device " + ctx.params[0]);
    HENGE_TRY(service::check_readable(*d));
    auto view = service::effective_config(engine(ctx), tx, *d);
    if (!view) return std::move(view).error();
    out = render_config(*d, *view);
    rev = d->desired.revision;
    return {};
  }));
  return config_response(200, out, rev);
}

// Every write to a device's own layer: load, check If-Match, edit, plan, commit.
// The edit sees the transaction, so it reads what it needs at the same snapshot.
using Edit = std::function<Status(store::ReadTx& tx, core::Device& device)>;

// The audit log names a change, not the route that made it: every edit of a device's
// own values is `config.set`, recorded as the merge patch from the old values to the
// new, whether it came as a PUT, a merge patch or a JSON-pointer write.
constexpr const char* kSetAction = "config.set";

HandlerResult write_device_layer(Ctx& ctx, const std::string& action, const json::value& change, const Edit& edit) {
  HENGE_TRY(core::check_name("device id", ctx.params[0]));
  const bool dry = is_dry_run(ctx);
  json::object out;
  json::value dry_body;
  json::value before;
  core::Revision rev = 0;
  HENGE_TRY(ctx.svc.store.write([&](store::WriteTx& tx) -> Status {
    auto d = tx.device(ctx.params[0]);
    if (!d) return make_error(Errc::not_found, "no device " + ctx.params[0]);
    HENGE_TRY(check_if_match(ctx, d->desired.revision));
    before = d->values;
    HENGE_TRY(edit(tx, *d));
    if (!d->values.is_object()) return make_error(Errc::invalid, "a device's values must be an object");
    d->updated_at = ctx.now;
    auto changes = service::plan(engine(ctx), tx, {*d});
    if (!changes) return std::move(changes).error();
    if (dry) {
      dry_body = service::dry_run_body(*changes);
      return {};
    }
    const auto taken = service::commit(tx, *changes, stamp(ctx), action, true);
    const auto& stored = changes->front().device;
    tx.append_audit(audit_entry(ctx, action, "device/" + stored.id,
                                action == kSetAction ? core::merge_diff(before, stored.values) : change, taken));
    auto view = service::effective_config(engine(ctx), tx, stored);
    if (!view) return std::move(view).error();
    out = render_config(stored, *view);
    rev = stored.desired.revision;
    return {};
  }));
  if (dry) return json_response(200, dry_body);
  return config_response(200, out, rev);
}

HandlerResult put_config(Ctx& ctx) {
  auto body = json_body(ctx);
  if (!body) return std::move(body).error();
  if (!body->is_object()) return make_error(Errc::invalid, "the body must be a JSON object");
  return write_device_layer(ctx, kSetAction, nullptr, [&](store::ReadTx&, core::Device& d) -> Status {
    d.values = *body;
    // Replaced whole: whatever of the old values could not be read is gone with them.
    std::erase_if(d.unreadable, [](const std::string& u) { return u.rfind("device_values:", 0) == 0; });
    return {};
  });
}

HandlerResult patch_config(Ctx& ctx) {
  auto body = json_body(ctx, {"application/merge-patch+json", "application/json"});
  if (!body) return std::move(body).error();
  if (!body->is_object()) return make_error(Errc::invalid, "a merge patch of a config must be a JSON object");
  return write_device_layer(ctx, kSetAction, nullptr, [&](store::ReadTx&, core::Device& d) -> Status {
    d.values = core::apply_merge_patch(std::move(d.values), *body);
    return {};
  });
}

core::Result<core::JsonPointer> field_pointer(const Ctx& ctx) {
  auto ptr = core::JsonPointer::parse("/" + ctx.params[1]);
  if (!ptr) return make_error(Errc::invalid, "invalid JSON pointer: " + ptr.error().message);
  return ptr;
}

HandlerResult put_field(Ctx& ctx) {
  auto ptr = field_pointer(ctx);
  if (!ptr) return std::move(ptr).error();
  auto body = json_body(ctx);
  if (!body) return std::move(body).error();
  return write_device_layer(ctx, kSetAction, nullptr, [&](store::ReadTx&, core::Device& d) -> Status {
    return core::set_at(d.values, *ptr, *body);
  });
}

HandlerResult delete_field(Ctx& ctx) {
  auto ptr = field_pointer(ctx);
  if (!ptr) return std::move(ptr).error();
  return write_device_layer(ctx, kSetAction, nullptr, [&](store::ReadTx&, core::Device& d) -> Status {
    auto s = core::remove_at(d.values, *ptr);
    if (!s && s.error().code == Errc::not_found) {
      return make_error(Errc::not_found, "the device sets nothing at " + ptr->str() +
                                             " (values from defaults and groups are removed there)");
    }
    return s;
  });
}

HandlerResult get_history(Ctx& ctx) {
  HENGE_TRY(core::check_name("device id", ctx.params[0]));
  auto limit = page_limit(ctx);
  if (!limit) return std::move(limit).error();
  auto cursor = page_cursor_number(ctx, "history");
  if (!cursor) return std::move(cursor).error();
  const core::Revision before = *cursor;
  std::vector<core::HistoryEntry> entries;
  HENGE_TRY(ctx.svc.store.read([&](store::ReadTx& tx) -> Status {
    if (!tx.device(ctx.params[0])) return make_error(Errc::not_found, "no device " + ctx.params[0]);
    entries = tx.history(ctx.params[0], before, *limit + 1);
    return {};
  }));
  std::string next;
  if (entries.size() > *limit) {
    entries.resize(*limit);
    next = make_cursor("history", std::to_string(entries.back().revision));
  }
  json::array items;
  for (const auto& h : entries) items.push_back(render_history(h));
  return json_response(200, render_page(std::move(items), next));
}

HandlerResult rollback(Ctx& ctx) {
  auto body = json_object_body(ctx);
  if (!body) return std::move(body).error();
  const auto* r = body->if_contains("revision");
  if (r == nullptr || !(r->is_uint64() || (r->is_int64() && r->get_int64() > 0))) {
    return make_error(Errc::invalid, "revision is required and must be a positive integer");
  }
  const core::Revision target = r->is_uint64() ? r->get_uint64() : static_cast<core::Revision>(r->get_int64());
  // The device layer becomes whatever takes today's defaults and groups to the old
  // config, so the effective config equals it exactly.
  return write_device_layer(
      ctx, "config.rollback", json::object{{"revision", target}}, [&](store::ReadTx& tx, core::Device& d) -> Status {
        auto old = tx.history_entry(d.id, target);
        if (!old) {
          return make_error(Errc::not_found, "device " + d.id + " has no revision " + std::to_string(target));
        }
        core::Device probe = d;
        probe.values = json::object{};
        auto base = service::effective_config(engine(ctx), tx, probe);
        if (!base) return std::move(base).error();
        d.values = core::merge_diff(base->effective.config, old->config);
        return {};
      });
}

}  // namespace

std::vector<Route> config_routes() {
  return {
      {"GET", "/v1/devices/{id}/config", get_config, Access::read},
      {"PUT", "/v1/devices/{id}/config", put_config, Access::write, kDryRun},
      {"PATCH", "/v1/devices/{id}/config", patch_config, Access::write, kDryRun},
      {"PUT", "/v1/devices/{id}/config/{pointer*}", put_field, Access::write, kDryRun},
      {"DELETE", "/v1/devices/{id}/config/{pointer*}", delete_field, Access::write, kDryRun},
      {"GET", "/v1/devices/{id}/history", get_history, Access::read},
      {"POST", "/v1/devices/{id}/rollback", rollback, Access::write, kDryRun},
  };
}

}  // namespace henge::api
