// /v1/tokens: operator credentials with a role (admin, operator, viewer) and an optional
// expiry. Only admins reach these routes. A token's secret is shown once, when it is
// made; only its SHA-256 is kept.

#include <boost/json.hpp>

#include "api/http_io.hpp"
#include "api/routes.hpp"
#include "core/crypto.hpp"
#include "core/names.hpp"
#include "core/time_format.hpp"

namespace henge::api {
namespace {

namespace json = boost::json;
using core::Errc;
using core::make_error;
using core::Status;

bool is_role(std::string_view role) {
  return role == "admin" || role == "operator" || role == "viewer";
}

bool live(const core::Token& t, core::TimeMs now) {
  return t.expires_at == 0 || t.expires_at > now;
}

json::object render_token(const core::Token& t, core::TimeMs now) {
  return {{"name", t.name},
          {"role", t.role},
          {"created_at", core::format_time(t.created_at)},
          {"expires_at", t.expires_at == 0 ? json::value(nullptr) : json::value(core::format_time(t.expires_at))},
          {"expired", !live(t, now)}};
}

HandlerResult create_token(Ctx& ctx) {
  auto body = json_object_body(ctx);
  if (!body) return std::move(body).error();
  HENGE_TRY(check_fields(*body, {"name", "role", "expires_at"}));
  core::Token t;
  const auto* name = body->if_contains("name");
  if (name == nullptr || !name->is_string()) return make_error(Errc::invalid, "name is required and must be a string");
  HENGE_TRY(core::check_name("token name", name->get_string()));
  t.name = std::string(name->get_string());
  const auto* role = body->if_contains("role");
  if (role == nullptr || !role->is_string() || !is_role(role->get_string())) {
    return make_error(Errc::invalid, "role is required: admin, operator or viewer");
  }
  t.role = std::string(role->get_string());
  if (const auto* v = body->if_contains("expires_at"); v != nullptr && !v->is_null()) {
    const auto at = v->is_string() ? core::parse_time(v->get_string()) : std::nullopt;
    if (!at) return make_error(Errc::invalid, "expires_at must be an RFC 3339 date-time, e.g. 2027-01-31T00:00:00Z");
    if (*at <= ctx.now) return make_error(Errc::invalid, "expires_at must be in the future");
    t.expires_at = *at;
  }
  const std::string secret = "hat_" + core::random_token(32);
  t.hash = core::sha256_hex(secret);
  t.created_at = ctx.now;

  HENGE_TRY(ctx.svc.store.write([&](store::WriteTx& tx) -> Status {
    for (const auto& existing : tx.tokens()) {
      if (existing.name == t.name) return make_error(Errc::conflict, "token " + t.name + " already exists");
    }
    tx.put_token(t);
    json::object change{{"role", t.role}};
    if (t.expires_at != 0) change["expires_at"] = core::format_time(t.expires_at);
    tx.append_audit(audit_entry(ctx, "token.create", "token/" + t.name, change, 0));
    return {};
  }));
  auto out = render_token(t, ctx.now);
  out["token"] = secret;
  auto resp = json_response(201, out);
  resp.headers.emplace_back("Location", "/v1/tokens/" + t.name);
  return resp;
}

HandlerResult list_tokens(Ctx& ctx) {
  auto found = read_value(ctx, [](store::ReadTx& tx) { return tx.tokens(); });
  if (!found) return std::move(found).error();
  json::array items;
  for (const auto& t : *found) items.push_back(render_token(t, ctx.now));
  return json_response(200, json::object{{"items", std::move(items)}});
}

HandlerResult get_token(Ctx& ctx) {
  const auto& name = ctx.params[0];
  auto found = read_value(ctx, [](store::ReadTx& tx) { return tx.tokens(); });
  if (!found) return std::move(found).error();
  for (const auto& t : *found) {
    if (t.name == name) return json_response(200, render_token(t, ctx.now));
  }
  return make_error(Errc::not_found, "no token " + name);
}

HandlerResult delete_token(Ctx& ctx) {
  const auto& name = ctx.params[0];
  HENGE_TRY(ctx.svc.store.write([&](store::WriteTx& tx) -> Status {
    const auto all = tx.tokens();
    const auto it = std::find_if(all.begin(), all.end(), [&](const core::Token& t) { return t.name == name; });
    if (it == all.end()) return make_error(Errc::not_found, "no token " + name);
    // Deleting the last admin token that still works would leave nobody able to manage
    // tokens short of restarting henged with --admin-token.
    const auto admins = std::count_if(all.begin(), all.end(),
                                      [&](const core::Token& t) { return t.role == "admin" && live(t, ctx.now); });
    if (it->role == "admin" && live(*it, ctx.now) && admins == 1) {
      return make_error(Errc::conflict, "token " + name + " is the last admin token; make another admin token first");
    }
    tx.delete_token(name);
    tx.append_audit(audit_entry(ctx, "token.delete", "token/" + name, json::object{{"role", it->role}}, 0));
    return {};
  }));
  return no_content();
}

}  // namespace

std::vector<Route> token_routes() {
  return {{"GET", "/v1/tokens", list_tokens, Access::admin},
          {"POST", "/v1/tokens", create_token, Access::admin},
          {"GET", "/v1/tokens/{name}", get_token, Access::admin},
          {"DELETE", "/v1/tokens/{name}", delete_token, Access::admin}};
}

}  // namespace henge::api
