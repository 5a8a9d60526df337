// /v1/groups: named layers of config with a priority, shared by their member devices.

#include <boost/json.hpp>

#include "api/http_io.hpp"
#include "api/render.hpp"
#include "api/routes.hpp"
#include "core/merge_patch.hpp"
#include "core/names.hpp"
#include "service/config_engine.hpp"

namespace henge::api {
namespace {

namespace json = boost::json;
using core::Errc;
using core::make_error;
using core::Status;

// Replaces the group's stored state with `next` (nullopt deletes it) and pushes the
// result to its members. Returns the dry-run body when dry.
Status change_group(Ctx& ctx, store::WriteTx& tx, const std::string& name, std::optional<core::Group> next,
                    const std::string& action, const json::value& change, bool dry, json::value& dry_body) {
  service::PendingChanges pending;
  pending.groups[name] = next;
  auto changes = service::plan(engine(ctx), tx, tx.devices_in_group(name), pending);
  if (!changes) return std::move(changes).error();
  if (dry) {
    dry_body = service::dry_run_body(*changes);
    return {};
  }
  service::commit(tx, *changes, stamp(ctx), action, false);
  const auto rev = tx.take_revision();
  if (next) {
    next->revision = rev;
    tx.put_group(*next);
  } else {
    tx.delete_group(name);
  }
  tx.append_audit(audit_entry(ctx, action, "group/" + name, change, rev));
  return {};
}

server::Response group_response(int status, const core::Group& g) {
  auto r = json_response(status, render_group(g));
  r.headers.emplace_back("ETag", etag(g.revision));
  return r;
}

server::Response group_config_response(const core::Group& g) {
  auto r = json_response(200, json::object{{"name", g.name}, {"revision", g.revision}, {"config", g.values}});
  r.headers.emplace_back("ETag", etag(g.revision));
  return r;
}

HandlerResult put_group(Ctx& ctx) {
  const std::string name = ctx.params[0];
  HENGE_TRY(core::check_name("group name", name));
  auto body = json_object_body(ctx);
  if (!body) return std::move(body).error();
  for (const auto& [k, v] : *body) {
    if (k != "priority" && k != "config") return make_error(Errc::invalid, "unknown field '" + std::string(k) + "'");
  }
  const auto* priority = body->if_contains("priority");
  if (priority != nullptr && !priority->is_int64() && !priority->is_uint64()) {
    return make_error(Errc::invalid, "priority must be an integer");
  }
  if (priority != nullptr && priority->is_uint64() && priority->get_uint64() > INT64_MAX) {
    return make_error(Errc::invalid, "priority is out of range");
  }
  const auto* config = body->if_contains("config");
  if (config != nullptr && !config->is_object()) return make_error(Errc::invalid, "config must be an object");
  const bool dry = is_dry_run(ctx);
  json::value dry_body;
  core::Group stored;
  bool created = false;
  HENGE_TRY(ctx.svc.store.write([&](store::WriteTx& tx) -> Status {
    auto existing = tx.group(name);
    if (existing) HENGE_TRY(check_if_match(ctx, existing->revision));
    created = !existing;
    core::Group g = existing ? *existing : core::Group{name, 0, json::object{}, 0, ctx.now, ctx.now};
    if (priority != nullptr) g.priority = priority->to_number<std::int64_t>();
    if (config != nullptr) g.values = *config;
    g.updated_at = ctx.now;
    HENGE_TRY(change_group(ctx, tx, name, g, "group.put", *body, dry, dry_body));
    if (!dry) stored = *tx.group(name);
    return {};
  }));
  if (dry) return json_response(200, dry_body);
  return group_response(created ? 201 : 200, stored);
}

core::Result<core::Group> read_group(Ctx& ctx) {
  HENGE_TRY(core::check_name("group name", ctx.params[0]));
  auto g = read_value(ctx, [&](store::ReadTx& tx) { return tx.group(ctx.params[0]); });
  if (!g) return std::move(g).error();
  if (!*g) return make_error(Errc::not_found, "no group " + ctx.params[0]);
  return std::move(**g);
}

HandlerResult get_group(Ctx& ctx) {
  auto g = read_group(ctx);
  if (!g) return std::move(g).error();
  return group_response(200, *g);
}

HandlerResult list_groups(Ctx& ctx) {
  auto all = read_value(ctx, [](store::ReadTx& tx) { return tx.groups(); });
  if (!all) return std::move(all).error();
  json::array items;
  for (const auto& g : *all) items.push_back(render_group(g));
  return json_response(200, render_page(std::move(items), ""));
}

HandlerResult delete_group(Ctx& ctx) {
  const std::string name = ctx.params[0];
  HENGE_TRY(core::check_name("group name", name));
  const bool dry = is_dry_run(ctx);
  json::value dry_body;
  HENGE_TRY(ctx.svc.store.write([&](store::WriteTx& tx) -> Status {
    auto existing = tx.group(name);
    if (!existing) return make_error(Errc::not_found, "no group " + name);
    HENGE_TRY(check_if_match(ctx, existing->revision));
    return change_group(ctx, tx, name, std::nullopt, "group.delete", nullptr, dry, dry_body);
  }));
  if (dry) return json_response(200, dry_body);
  return no_content();
}

HandlerResult get_group_config(Ctx& ctx) {
  auto g = read_group(ctx);
  if (!g) return std::move(g).error();
  return group_config_response(*g);
}

HandlerResult write_group_config(Ctx& ctx, bool merge) {
  const std::string name = ctx.params[0];
  HENGE_TRY(core::check_name("group name", name));
  auto body = merge ? json_body(ctx, {"application/merge-patch+json", "application/json"}) : json_body(ctx);
  if (!body) return std::move(body).error();
  if (!body->is_object()) return make_error(Errc::invalid, "the body must be a JSON object");
  const bool dry = is_dry_run(ctx);
  json::value dry_body;
  core::Group stored;
  // Named for the change, not the route (as a device's config.set): the merge patch
  // from the group's old values to its new ones.
  const std::string action = "group.config.set";
  HENGE_TRY(ctx.svc.store.write([&](store::WriteTx& tx) -> Status {
    auto g = tx.group(name);
    if (!g) return make_error(Errc::not_found, "no group " + name + " (create it with PUT /v1/groups/" + name + ")");
    HENGE_TRY(check_if_match(ctx, g->revision));
    const json::value before = g->values;
    g->values = merge ? core::apply_merge_patch(std::move(g->values), *body) : *body;
    g->updated_at = ctx.now;
    HENGE_TRY(change_group(ctx, tx, name, *g, action, core::merge_diff(before, g->values), dry, dry_body));
    if (!dry) stored = *tx.group(name);
    return {};
  }));
  if (dry) return json_response(200, dry_body);
  return group_config_response(stored);
}

HandlerResult put_group_config(Ctx& ctx) {
  return write_group_config(ctx, false);
}
HandlerResult patch_group_config(Ctx& ctx) {
  return write_group_config(ctx, true);
}

}  // namespace

std::vector<Route> group_routes() {
  return {
      {"GET", "/v1/groups", list_groups, Access::read},
      {"GET", "/v1/groups/{name}", get_group, Access::read},
      {"PUT", "/v1/groups/{name}", put_group, Access::write, kDryRun},
      {"DELETE", "/v1/groups/{name}", delete_group, Access::write, kDryRun},
      {"GET", "/v1/groups/{name}/config", get_group_config, Access::read},
      {"PUT", "/v1/groups/{name}/config", put_group_config, Access::write, kDryRun},
      {"PATCH", "/v1/groups/{name}/config", patch_group_config, Access::write, kDryRun},
  };
}

}  // namespace henge::api
