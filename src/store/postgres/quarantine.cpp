#include "store/postgres/quarantine.hpp"

#include <string>
#include <vector>

#include "log/log.hpp"
#include "store/stored_json.hpp"

namespace henge::store::postgres {
namespace {

// As in the SQLite store: each JSON column, how to read it with a name for its row,
// and how to replace it (rows by ctid, which holds within the transaction until the
// row is updated; each row is updated once per column).
struct JsonColumn {
  const char* table;
  const char* column;
  const char* select;   // ctid, row name, text
  const char* replace;  // $1 = ctid
};

constexpr JsonColumn kColumns[] = {
    {"devices", "labels", "SELECT ctid::text, id, labels FROM devices",
     "UPDATE devices SET labels = '{}' WHERE ctid = $1::tid"},
    {"devices", "device_values", "SELECT ctid::text, id, device_values FROM devices",
     "UPDATE devices SET device_values = '{}' WHERE ctid = $1::tid"},
    // The digest stays: a device sent this placeholder refuses it and keeps what it runs.
    {"devices", "desired_config", "SELECT ctid::text, id, desired_config FROM devices",
     "UPDATE devices SET desired_config = '{}' WHERE ctid = $1::tid"},
    {"devices", "reported", "SELECT ctid::text, id, reported FROM devices",
     "UPDATE devices SET reported = 'null' WHERE ctid = $1::tid"},
    {"schemas", "document", "SELECT ctid::text, name || '@' || version, document FROM schemas",
     "UPDATE schemas SET document = '{}' WHERE ctid = $1::tid"},
    {"groups", "group_values", "SELECT ctid::text, name, group_values FROM groups",
     "UPDATE groups SET group_values = '{}' WHERE ctid = $1::tid"},
    {"history", "change", "SELECT ctid::text, device_id || '@' || revision, change FROM history",
     "UPDATE history SET change = '{}' WHERE ctid = $1::tid"},
    {"history", "config", "SELECT ctid::text, device_id || '@' || revision, config FROM history",
     "UPDATE history SET config = '{}' WHERE ctid = $1::tid"},
    {"audit", "change", "SELECT ctid::text, seq::text, change FROM audit",
     "UPDATE audit SET change = 'null' WHERE ctid = $1::tid"},
};

}  // namespace

std::size_t quarantine_unreadable(pg::Conn& c, core::TimeMs now) {
  std::size_t moved = 0;
  for (const auto& col : kColumns) {
    const auto rows = c.run(col.select);
    for (int i = 0; i < rows.size(); ++i) {
      const auto text = rows.text(i, 2);
      std::string reason;
      try {
        (void)parse_stored(text);
        continue;
      } catch (const UnstorableJson& e) {
        reason = e.what();
      }
      const auto row = rows.text(i, 1);
      c.run(
          "INSERT INTO quarantine (at, table_name, row_name, column_name, text, reason) "
          "VALUES ($1::bigint, $2, $3, $4, $5, $6)",
          now, std::string(col.table), row, std::string(col.column), text, reason);
      c.run(col.replace, rows.text(i, 0));
      log::error("unreadable stored JSON quarantined",
                 {{"table", col.table}, {"row", row}, {"column", col.column}, {"cause", reason}});
      ++moved;
    }
  }
  return moved;
}

}  // namespace henge::store::postgres
