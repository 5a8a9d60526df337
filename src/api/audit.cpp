// /v1/audit: the append-only record of every admin mutation, newest first.

#include <boost/json.hpp>

#include "api/http_io.hpp"
#include "api/render.hpp"
#include "api/routes.hpp"

namespace henge::api {
namespace {

namespace json = boost::json;
using core::Errc;
using core::make_error;

HandlerResult list_audit(Ctx& ctx) {
  auto limit = page_limit(ctx);
  if (!limit) return std::move(limit).error();
  auto cursor = page_cursor_number(ctx, "audit");
  if (!cursor) return std::move(cursor).error();
  store::AuditQuery q;
  q.limit = *limit + 1;
  q.before_seq = *cursor;
  for (const auto& [k, v] : ctx.query) {
    if (k == "actor") {
      q.actor = v;
    } else if (k == "action") {
      q.action = v;
    } else if (k == "target") {
      q.target = v;
    } else if (k != "limit" && k != "cursor") {
      return make_error(Errc::invalid, "unknown query parameter '" + k + "'");
    }
  }
  auto found = read_value(ctx, [&](store::ReadTx& tx) { return tx.audit(q); });
  if (!found) return std::move(found).error();
  auto& entries = *found;
  std::string next;
  if (entries.size() > *limit) {
    entries.resize(*limit);
    next = make_cursor("audit", std::to_string(entries.back().seq));
  }
  json::array items;
  for (const auto& a : entries) items.push_back(render_audit(a));
  return json_response(200, render_page(std::move(items), next));
}

}  // namespace

std::vector<Route> audit_routes() {
  return {{"GET", "/v1/audit", list_audit, Access::read}};
}

}  // namespace henge::api
