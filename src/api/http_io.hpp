#pragma once
// Reading requests and writing responses the same way in every handler: JSON bodies
// with their media types, pagination, If-Match, dry runs.

#include <boost/json/value.hpp>
#include <initializer_list>
#include <optional>
#include <string_view>
#include <type_traits>

#include "api/context.hpp"

namespace henge::api {

/// The body parsed as JSON by the one policy (core/json_policy.hpp).
/// Errc::unsupported_media_type unless the Content-Type is one of `media_types`;
/// Errc::invalid when it does not parse or breaks the policy.
core::Result<boost::json::value> json_body(const Ctx& ctx,
                                           std::initializer_list<std::string_view> media_types = {"application/json"});
/// json_body() that must be an object.
core::Result<boost::json::object> json_object_body(const Ctx& ctx);
/// Errc::invalid naming the first field of `body` that is not in `allowed`.
core::Status check_fields(const boost::json::object& body, std::initializer_list<std::string_view> allowed);

server::Response json_response(int status, const boost::json::value& body);
server::Response no_content();

/// `?limit=` in [1, max_page], default 100.
core::Result<std::size_t> page_limit(const Ctx& ctx);
/// The opaque cursor of `?cursor=`: its payload, empty when absent; Errc::invalid
/// when it was not made by make_cursor() for `kind`.
core::Result<std::string> page_cursor(const Ctx& ctx, std::string_view kind);
std::string make_cursor(std::string_view kind, std::string_view payload);
/// page_cursor() for lists paged by a number (revision, sequence): 0 when absent.
core::Result<std::uint64_t> page_cursor_number(const Ctx& ctx, std::string_view kind);

/// The ETag of a revision: the number in quotes.
std::string etag(core::Revision rev);

/// The revision of `If-Match: "<rev>"`, or nullopt when absent; Errc::invalid when
/// malformed. `*` is treated as absent.
core::Result<std::optional<core::Revision>> if_match(const Ctx& ctx);
/// Errc::precondition_failed when If-Match is present and differs from `current`.
core::Status check_if_match(const Ctx& ctx, core::Revision current);

/// `?dry_run=true` (read_write_query() has read it).
bool is_dry_run(const Ctx& ctx);

/// The boolean query parameter `name`: nullopt when absent; `true`/`1` or `false`/`0`,
/// Errc::invalid for anything else (a flag that is not understood must not pass for
/// false: `?dry_run=yes` would perform the write).
core::Result<std::optional<bool>> bool_param(const Ctx& ctx, std::string_view name);

/// Checks the query of a write before its handler runs: Errc::invalid for any
/// parameter but `dry_run` (and for that one too unless `takes_dry_run`), or for a
/// dry_run that is not a boolean. Sets ctx.dry_run.
core::Status read_write_query(Ctx& ctx, bool takes_dry_run);

/// What `fn(tx)` returns, read in a transaction of its own.
template <class Fn>
auto read_value(const Ctx& ctx, Fn&& fn) -> core::Result<std::invoke_result_t<Fn, store::ReadTx&>> {
  std::invoke_result_t<Fn, store::ReadTx&> out{};
  auto status = ctx.svc.store.read([&](store::ReadTx& tx) -> core::Status {
    out = fn(tx);
    return {};
  });
  if (!status) return std::move(status).error();
  return out;
}

/// A record for the audit log of this request.
core::AuditEntry audit_entry(const Ctx& ctx, std::string action, std::string target, boost::json::value change,
                             core::Revision revision);

}  // namespace henge::api
