#pragma once
// What the two SQL stores select, and how a selected row becomes a record: one column
// list and one reader for each kind of row, so that SQLite and PostgreSQL cannot read
// a device (or a schema, a group, a history or audit entry) differently.
//
// The column lists are macros so that the statements built from them stay string
// literals: both stores' statement caches key on the text's address. A reader takes
// any `Row` with
//   std::string  text(int column)  the column as text ("" for NULL)
//   std::int64_t i64(int column)
//   bool         flag(int column)  a boolean column or expression
// which sqlite::Stmt and postgres' pg::Row provide.

#include <algorithm>
#include <boost/json.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "core/model.hpp"
#include "store/labels_json.hpp"
#include "store/stored_json.hpp"

// A device's columns for a table aliased d. CONNECTED is the store's expression for "a
// stream of it is open", REPLICA the replica holding that stream, GROUPS its groups as one
// comma-separated text (in any order).
#define HENGE_DEVICE_ROW(CONNECTED, REPLICA, GROUPS)                                                          \
  "d.id, d.schema_name, d.labels, d.token_hash, d.device_values, d.desired_revision, d.desired_config, "      \
  "d.desired_sha256, d.created_at, d.updated_at, d.desired_schema, " CONNECTED                                \
  ", d.last_seen, d.applied_revision, d.applied_at, d.rejected_revision, d.state_error, d.reported, " REPLICA \
  ", " GROUPS
#define HENGE_SCHEMA_ROW "name, version, document, revision, created_at"
#define HENGE_GROUP_ROW "name, priority, group_values, revision, created_at, updated_at"
#define HENGE_HISTORY_ROW "device_id, revision, at, actor, action, change, config, sha256"
#define HENGE_AUDIT_ROW "seq, at, actor, action, target, change, request_id, remote, revision"

namespace henge::store {

/// The device a HENGE_DEVICE_ROW row holds. A column henge did not write, and cannot
/// read, leaves its field at the default and is named in `unreadable`.
template <class Row>
core::Device device_from_row(const Row& row) {
  namespace json = boost::json;
  core::Device d;
  d.id = row.text(0);
  d.schema = row.text(1);
  d.labels = labels_from_json(parse_stored_or(row.text(2), "labels", json::object{}, d.unreadable));
  d.token_hash = row.text(3);
  d.values = parse_stored_or(row.text(4), "device_values", json::object{}, d.unreadable);
  d.desired.revision = static_cast<core::Revision>(row.i64(5));
  d.desired.config = parse_stored_or(row.text(6), "desired_config", json::object{}, d.unreadable);
  d.desired.sha256 = row.text(7);
  d.created_at = row.i64(8);
  d.updated_at = row.i64(9);
  d.desired.schema = row.text(10);
  d.state.connected = row.flag(11);
  d.state.last_seen = row.i64(12);
  d.state.applied_revision = static_cast<core::Revision>(row.i64(13));
  d.state.applied_at = row.i64(14);
  d.state.rejected_revision = static_cast<core::Revision>(row.i64(15));
  d.state.error = row.text(16);
  d.state.reported = parse_stored_or(row.text(17), "reported", nullptr, d.unreadable);
  if (d.state.connected) d.state.replica = row.text(18);  // a stale replica is no holder
  const auto groups = row.text(19);
  for (std::size_t start = 0; start < groups.size();) {
    auto end = groups.find(',', start);
    if (end == std::string::npos) end = groups.size();
    d.groups.push_back(groups.substr(start, end - start));
    start = end + 1;
  }
  std::sort(d.groups.begin(), d.groups.end());  // SQLite's group_concat promises no order
  return d;
}

template <class Row>
core::SchemaVersion schema_from_row(const Row& row) {
  return core::SchemaVersion{row.text(0), row.i64(1), parse_stored(row.text(2)),
                             static_cast<core::Revision>(row.i64(3)), row.i64(4)};
}

template <class Row>
core::Group group_from_row(const Row& row) {
  return core::Group{row.text(0), row.i64(1), parse_stored(row.text(2)), static_cast<core::Revision>(row.i64(3)),
                     row.i64(4),  row.i64(5)};
}

template <class Row>
core::HistoryEntry history_from_row(const Row& row) {
  return core::HistoryEntry{row.text(0),
                            static_cast<core::Revision>(row.i64(1)),
                            row.i64(2),
                            row.text(3),
                            row.text(4),
                            parse_stored(row.text(5)),
                            parse_stored(row.text(6)),
                            row.text(7)};
}

template <class Row>
core::AuditEntry audit_from_row(const Row& row) {
  core::AuditEntry a;
  a.seq = static_cast<std::uint64_t>(row.i64(0));
  a.at = row.i64(1);
  a.actor = row.text(2);
  a.action = row.text(3);
  a.target = row.text(4);
  a.change = parse_stored(row.text(5));
  a.request_id = row.text(6);
  a.remote = row.text(7);
  a.revision = static_cast<core::Revision>(row.i64(8));
  return a;
}

}  // namespace henge::store
