// /v1/schemas: named, versioned JSON Schemas. Each PUT of a new document makes a new
// version that every device on that schema follows at once — after all of them are
// shown to validate against it.

#include <boost/json.hpp>

#include "api/http_io.hpp"
#include "api/render.hpp"
#include "api/routes.hpp"
#include "core/names.hpp"
#include "service/config_engine.hpp"

namespace henge::api {
namespace {

namespace json = boost::json;
using core::Errc;
using core::make_error;
using core::Status;

HandlerResult put_schema(Ctx& ctx) {
  const std::string& name = ctx.params[0];
  HENGE_TRY(core::check_name("schema name", name));
  auto doc = json_body(ctx, {"application/json", "application/schema+json"});
  if (!doc) return std::move(doc).error();
  auto compiled = core::CompiledSchema::compile(*doc);
  if (!compiled) {
    auto e = std::move(compiled).error();
    e.code = Errc::validation_failed;  // well-formed JSON that is not a usable schema
    return e;
  }
  const bool dry = is_dry_run(ctx);
  core::SchemaVersion stored;
  bool created = false;
  json::value dry_body;
  HENGE_TRY(ctx.svc.store.write([&](store::WriteTx& tx) -> Status {
    auto latest = tx.schema(name, 0);
    if (latest && latest->document == *doc) {
      stored = std::move(*latest);  // the same document again: nothing to do
      if (dry) dry_body = service::dry_run_body({});
      return {};
    }
    service::PendingChanges pending;
    pending.schema = core::SchemaVersion{name, latest ? latest->version + 1 : 1, *doc, 0, ctx.now};
    pending.schema_compiled = *compiled;
    auto changes = service::plan(engine(ctx), tx, tx.devices_with_schema(name), pending);
    if (!changes) return std::move(changes).error();
    if (dry) {
      dry_body = service::dry_run_body(*changes);
      return {};
    }
    service::commit(tx, *changes, stamp(ctx), "schema.put", false);
    pending.schema->revision = tx.take_revision();
    tx.insert_schema_version(*pending.schema);
    tx.append_audit(audit_entry(ctx, "schema.put", "schema/" + name, json::object{{"version", pending.schema->version}},
                                pending.schema->revision));
    stored = std::move(*pending.schema);
    created = true;
    return {};
  }));
  if (dry) return json_response(200, dry_body);
  auto resp = json_response(created ? 201 : 200, render_schema(stored, true));
  resp.headers.emplace_back("Location", "/v1/schemas/" + name + "?version=" + std::to_string(stored.version));
  return resp;
}

HandlerResult get_schema(Ctx& ctx) {
  const std::string& name = ctx.params[0];
  HENGE_TRY(core::check_name("schema name", name));
  std::int64_t version = 0;
  if (const auto* v = ctx.query_param("version")) {
    try {
      std::size_t used = 0;
      version = std::stoll(*v, &used);
      if (used != v->size() || version < 1) throw std::invalid_argument("version");
    } catch (const std::exception&) {
      return make_error(Errc::invalid, "version must be a positive integer");
    }
  }
  auto found = read_value(ctx, [&](store::ReadTx& tx) { return tx.schema(name, version); });
  if (!found) return std::move(found).error();
  const auto& s = *found;
  if (!s) {
    return make_error(Errc::not_found,
                      "no schema " + name + (version != 0 ? " version " + std::to_string(version) : std::string{}));
  }
  return json_response(200, render_schema(*s, true));
}

HandlerResult list_versions(Ctx& ctx) {
  const std::string& name = ctx.params[0];
  HENGE_TRY(core::check_name("schema name", name));
  auto found = read_value(ctx, [&](store::ReadTx& tx) { return tx.schema_versions(name); });
  if (!found) return std::move(found).error();
  const auto& versions = *found;
  if (versions.empty()) return make_error(Errc::not_found, "no schema " + name);
  json::array items;
  for (const auto& v : versions) items.push_back(render_schema(v, false));
  return json_response(200, render_page(std::move(items), ""));
}

HandlerResult list_schemas(Ctx& ctx) {
  auto all = read_value(ctx, [](store::ReadTx& tx) { return tx.schemas(); });
  if (!all) return std::move(all).error();
  json::array items;
  for (const auto& v : *all) items.push_back(render_schema(v, false));
  return json_response(200, render_page(std::move(items), ""));
}

}  // namespace

std::vector<Route> schema_routes() {
  return {
      {"GET", "/v1/schemas", list_schemas, Access::read},
      {"GET", "/v1/schemas/{name}", get_schema, Access::read},
      {"PUT", "/v1/schemas/{name}", put_schema, Access::write, kDryRun},
      {"GET", "/v1/schemas/{name}/versions", list_versions, Access::read},
  };
}

}  // namespace henge::api
