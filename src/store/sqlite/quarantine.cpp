#include "store/sqlite/quarantine.hpp"

#include <string>
#include <vector>

#include "log/log.hpp"
#include "store/stored_json.hpp"

namespace henge::store::sqlite {
namespace {

// One JSON column: how to read it with a name for its row, how to replace it, and
// with what. The statements are literals (Db::prepare caches by address).
struct JsonColumn {
  const char* table;
  const char* column;
  const char* select;   // rowid, row name, text
  const char* replace;  // ?1 = rowid
};

constexpr JsonColumn kColumns[] = {
    {"devices", "labels", "SELECT rowid, id, labels FROM devices", "UPDATE devices SET labels = '{}' WHERE rowid = ?1"},
    {"devices", "device_values", "SELECT rowid, id, device_values FROM devices",
     "UPDATE devices SET device_values = '{}' WHERE rowid = ?1"},
    // The digest stays: a device sent this placeholder finds it does not match, refuses
    // it and keeps what it runs, until the operator writes its config again.
    {"devices", "desired_config", "SELECT rowid, id, desired_config FROM devices",
     "UPDATE devices SET desired_config = '{}' WHERE rowid = ?1"},
    {"devices", "reported", "SELECT rowid, id, reported FROM devices",
     "UPDATE devices SET reported = 'null' WHERE rowid = ?1"},
    {"schemas", "document", "SELECT rowid, name || '@' || version, document FROM schemas",
     "UPDATE schemas SET document = '{}' WHERE rowid = ?1"},
    {"groups", "group_values", "SELECT rowid, name, group_values FROM groups",
     "UPDATE groups SET group_values = '{}' WHERE rowid = ?1"},
    {"history", "change", "SELECT rowid, device_id || '@' || revision, change FROM history",
     "UPDATE history SET change = '{}' WHERE rowid = ?1"},
    {"history", "config", "SELECT rowid, device_id || '@' || revision, config FROM history",
     "UPDATE history SET config = '{}' WHERE rowid = ?1"},
    {"audit", "change", "SELECT rowid, seq, change FROM audit", "UPDATE audit SET change = 'null' WHERE rowid = ?1"},
};

struct Found {
  std::int64_t rowid;
  std::string row;
  std::string text;
  std::string reason;
};

}  // namespace

std::size_t quarantine_unreadable(Db& db, core::TimeMs now) {
  std::size_t moved = 0;
  for (const auto& c : kColumns) {
    std::vector<Found> found;
    {
      auto st = db.prepare(c.select);
      while (st.step()) {
        auto text = st.text(2);
        try {
          (void)parse_stored(text);
        } catch (const UnstorableJson& e) {
          found.push_back({st.i64(0), st.text(1), std::move(text), e.what()});
        }
      }
    }
    for (const auto& f : found) {
      db.prepare(
            "INSERT INTO quarantine (at, table_name, row_name, column_name, text, reason) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
          .bind_all(now, c.table, f.row, c.column, f.text, f.reason)
          .run();
      db.prepare(c.replace).bind_all(f.rowid).run();
      log::error("unreadable stored JSON quarantined",
                 {{"table", c.table}, {"row", f.row}, {"column", c.column}, {"cause", f.reason}});
      ++moved;
    }
  }
  return moved;
}

}  // namespace henge::store::sqlite
