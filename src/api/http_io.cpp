#include "api/http_io.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>

#include "core/crypto.hpp"
#include "core/json_policy.hpp"

namespace henge::api {
namespace json = boost::json;
using core::Errc;
using core::make_error;

namespace {

std::string_view media_type(std::string_view content_type) {
  const auto semi = content_type.find(';');
  auto mt = content_type.substr(0, semi);
  while (!mt.empty() && mt.back() == ' ') mt.remove_suffix(1);
  return mt;
}

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

bool parse_u64(std::string_view s, std::uint64_t& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && p == s.data() + s.size();
}

}  // namespace

core::Result<json::value> json_body(const Ctx& ctx, std::initializer_list<std::string_view> media_types) {
  const auto* ct = ctx.req.header("content-type");
  bool accepted = false;
  std::string names;
  for (auto mt : media_types) {
    accepted = accepted || (ct != nullptr && iequal(media_type(*ct), mt));
    if (!names.empty()) names += " or ";
    names += mt;
  }
  if (!accepted) return make_error(Errc::unsupported_media_type, "Content-Type must be " + names);
  // The body as a whole is held to the document depth: what it wraps can only be less.
  return core::parse_json(ctx.req.body, "the body");
}

core::Result<json::object> json_object_body(const Ctx& ctx) {
  auto v = json_body(ctx);
  if (!v) return std::move(v).error();
  if (!v->is_object()) return make_error(Errc::invalid, "the body must be a JSON object");
  return std::move(v->get_object());
}

core::Status check_fields(const json::object& body, std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, value] : body) {
    if (std::find(allowed.begin(), allowed.end(), std::string_view(key)) == allowed.end()) {
      return make_error(Errc::invalid, "unknown field '" + std::string(key) + "'");
    }
  }
  return {};
}

server::Response json_response(int status, const json::value& body) {
  server::Response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = json::serialize(body);
  return r;
}

server::Response no_content() {
  server::Response r;
  r.status = 204;
  return r;
}

core::Result<std::size_t> page_limit(const Ctx& ctx) {
  const auto* text = ctx.query_param("limit");
  if (text == nullptr) return std::size_t{100};
  std::uint64_t n = 0;
  if (!parse_u64(*text, n) || n == 0 || n > ctx.svc.options.max_page) {
    return make_error(Errc::invalid,
                      "limit must be a whole number from 1 to " + std::to_string(ctx.svc.options.max_page));
  }
  return static_cast<std::size_t>(n);
}

std::string make_cursor(std::string_view kind, std::string_view payload) {
  std::string raw(kind);
  raw += ':';
  raw += payload;
  return core::base64url_encode(raw);
}

core::Result<std::string> page_cursor(const Ctx& ctx, std::string_view kind) {
  const auto* text = ctx.query_param("cursor");
  if (text == nullptr || text->empty()) return std::string{};
  std::string raw;
  if (!core::base64url_decode(*text, raw) || raw.size() <= kind.size() || raw.compare(0, kind.size(), kind) != 0 ||
      raw[kind.size()] != ':') {
    return make_error(Errc::invalid, "cursor is not one this list gave out");
  }
  return raw.substr(kind.size() + 1);
}

core::Result<std::uint64_t> page_cursor_number(const Ctx& ctx, std::string_view kind) {
  auto payload = page_cursor(ctx, kind);
  if (!payload) return std::move(payload).error();
  std::uint64_t n = 0;
  if (!payload->empty() && !parse_u64(*payload, n))
    return make_error(Errc::invalid, "cursor is not one this list gave out");
  return n;
}

std::string etag(core::Revision rev) {
  return "\"" + std::to_string(rev) + "\"";
}

core::Result<std::optional<core::Revision>> if_match(const Ctx& ctx) {
  const auto* h = ctx.req.header("if-match");
  if (h == nullptr || *h == "*") return std::optional<core::Revision>{};
  std::string_view v = *h;
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  std::uint64_t rev = 0;
  if (!parse_u64(v, rev)) return make_error(Errc::invalid, "If-Match must be a revision in quotes, like \"42\"");
  return std::optional<core::Revision>{rev};
}

core::Status check_if_match(const Ctx& ctx, core::Revision current) {
  auto expected = if_match(ctx);
  if (!expected) return std::move(expected).error();
  if (expected->has_value() && **expected != current) {
    return make_error(Errc::precondition_failed, "If-Match \"" + std::to_string(**expected) +
                                                     "\" does not match the current revision \"" +
                                                     std::to_string(current) + "\"");
  }
  return {};
}

bool is_dry_run(const Ctx& ctx) {
  return ctx.dry_run;
}

core::Result<std::optional<bool>> bool_param(const Ctx& ctx, std::string_view name) {
  const auto* v = ctx.query_param(name);
  if (v == nullptr) return std::optional<bool>{};
  if (*v == "true" || *v == "1") return std::optional<bool>{true};
  if (*v == "false" || *v == "0") return std::optional<bool>{false};
  return make_error(Errc::invalid, std::string(name) + " must be true or false (or 1 or 0), not '" + *v + "'");
}

core::Status read_write_query(Ctx& ctx, bool takes_dry_run) {
  for (const auto& [k, v] : ctx.query) {
    if (k != "dry_run" || !takes_dry_run) {
      return make_error(Errc::invalid,
                        "unknown query parameter '" + k + "'" +
                            (takes_dry_run ? " (this write takes only dry_run)" : " (this write takes none)"));
    }
  }
  auto dry = bool_param(ctx, "dry_run");
  if (!dry) return std::move(dry).error();
  ctx.dry_run = dry->value_or(false);
  return {};
}

core::AuditEntry audit_entry(const Ctx& ctx, std::string action, std::string target, json::value change,
                             core::Revision revision) {
  core::AuditEntry a;
  a.at = ctx.now;
  a.actor = ctx.actor.name;
  a.action = std::move(action);
  a.target = std::move(target);
  a.change = std::move(change);
  a.request_id = ctx.request_id;
  a.remote = ctx.req.remote;
  a.revision = revision;
  return a;
}

}  // namespace henge::api
