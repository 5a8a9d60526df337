#include "store/sqlite/sqlite_store.hpp"

#include <boost/json.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "core/sync_status.hpp"
#include "store/change_event.hpp"
#include "store/config_texts.hpp"
#include "store/idle_pool.hpp"
#include "store/labels_json.hpp"
#include "store/sql_rows.hpp"
#include "store/sqlite/db.hpp"
#include "store/sqlite/migrations.hpp"
#include "store/sqlite/quarantine.hpp"
#include "store/sqlite/row_batches.hpp"
#include "store/stored_json.hpp"

namespace henge::store {
namespace {

using namespace henge::core;
using sqlite::Db;
using sqlite::SqliteError;
using sqlite::Stmt;
namespace json = boost::json;

std::string labels_text(const std::map<std::string, std::string>& labels) {
  return labels_to_json(labels);
}

// The device columns an insert writes, in the order bind_device() binds them.
#define HENGE_DEVICE_COLUMNS                                                                               \
  "id, schema_name, labels, token_hash, device_values, desired_revision, desired_config, desired_sha256, " \
  "created_at, updated_at, desired_schema"
// A device's groups as one column, so that reading many devices is one statement. One
// process holds every stream, so a device's connected flag is its own and no replica is
// named.
#define HENGE_GROUPS_COLUMN "(SELECT group_concat(group_name, ',') FROM device_groups g WHERE g.device_id = d.id)"
#define HENGE_DEVICE_SELECT "SELECT " HENGE_DEVICE_ROW("d.connected", "''", HENGE_GROUPS_COLUMN) " FROM devices d "
class SqliteTx final : public WriteTx {
 public:
  explicit SqliteTx(Db& db) : db_(db) {}

  Revision revision() override {
    auto st = prepare("SELECT value FROM meta WHERE key = 'revision'");
    return st.step() ? static_cast<Revision>(st.i64(0)) : 0;
  }

  std::optional<Device> device(std::string_view id) override {
    auto st = prepare(HENGE_DEVICE_SELECT "WHERE id = ?");
    st.bind_all(id);
    if (!st.step()) return std::nullopt;
    return device_from_row(st);
  }

  std::optional<Device> device_by_token_hash(std::string_view hash) override {
    auto st = prepare(HENGE_DEVICE_SELECT "WHERE token_hash = ?");
    st.bind_all(hash);
    if (!st.step()) return std::nullopt;
    return device_from_row(st);
  }

  std::vector<Device> devices(const DeviceQuery& q) override {
    // Built once: its address keys the prepared statement.
    static const std::string sql =
        HENGE_DEVICE_SELECT
        "WHERE id > ?1 AND (?2 = '' OR schema_name = ?2) "
        "AND (?3 = '' OR EXISTS (SELECT 1 FROM device_groups g WHERE g.device_id = d.id AND g.group_name = ?3)) "
        "AND (?4 = '' OR EXISTS (SELECT 1 FROM json_each(d.labels) l WHERE l.key = ?4 AND (?5 = '' OR l.value = ?5))) "
        "AND (?7 = '' OR " +
        core::sync_status_sql("d.") + " = ?7) AND (?8 < 0 OR connected = ?8) ORDER BY id LIMIT ?6";
    auto st = prepare(sql.c_str());
    const int connected = q.connected ? (*q.connected ? 1 : 0) : -1;
    st.bind_all(q.after_id, q.schema, q.group, q.label_key, q.label_value, static_cast<std::int64_t>(q.limit), q.status,
                connected);
    std::vector<Device> out;
    while (st.step()) out.push_back(device_from_row(st));
    return out;
  }

  std::vector<Device> devices_in_group(std::string_view name) override {
    auto count = prepare("SELECT COUNT(*) FROM device_groups WHERE group_name = ?");
    auto rows = prepare(HENGE_DEVICE_SELECT
                        "WHERE id IN (SELECT device_id FROM device_groups WHERE group_name = ?) ORDER BY id");
    return read_many(count.bind_all(name), rows.bind_all(name));
  }

  std::vector<Device> devices_with_schema(std::string_view name) override {
    auto count = prepare("SELECT COUNT(*) FROM devices WHERE schema_name = ?");
    auto rows = prepare(HENGE_DEVICE_SELECT "WHERE schema_name = ? ORDER BY id");
    return read_many(count.bind_all(name), rows.bind_all(name));
  }

  std::optional<SchemaVersion> schema(std::string_view name, std::int64_t version) override {
    auto st = prepare("SELECT " HENGE_SCHEMA_ROW
                      " FROM schemas "
                      "WHERE name = ?1 AND (?2 = 0 OR version = ?2) ORDER BY version DESC LIMIT 1");
    st.bind_all(name, version);
    if (!st.step()) return std::nullopt;
    return schema_from_row(st);
  }

  std::vector<SchemaVersion> schemas() override {
    auto st = prepare("SELECT " HENGE_SCHEMA_ROW
                      " FROM schemas s "
                      "WHERE version = (SELECT MAX(version) FROM schemas WHERE name = s.name) ORDER BY name");
    std::vector<SchemaVersion> out;
    while (st.step()) out.push_back(schema_from_row(st));
    return out;
  }

  std::vector<SchemaVersion> schema_versions(std::string_view name) override {
    auto st = prepare("SELECT " HENGE_SCHEMA_ROW " FROM schemas WHERE name = ? ORDER BY version");
    st.bind_all(name);
    std::vector<SchemaVersion> out;
    while (st.step()) out.push_back(schema_from_row(st));
    return out;
  }

  std::optional<Group> group(std::string_view name) override {
    auto st = prepare("SELECT " HENGE_GROUP_ROW " FROM groups WHERE name = ?");
    st.bind_all(name);
    if (!st.step()) return std::nullopt;
    return group_from_row(st);
  }

  std::vector<Group> groups() override {
    auto st = prepare("SELECT " HENGE_GROUP_ROW " FROM groups ORDER BY name");
    std::vector<Group> out;
    while (st.step()) out.push_back(group_from_row(st));
    return out;
  }

  std::vector<HistoryEntry> history(std::string_view device, Revision before, std::size_t limit) override {
    auto st = prepare("SELECT " HENGE_HISTORY_ROW
                      " FROM history "
                      "WHERE device_id = ?1 AND (?2 = 0 OR revision < ?2) ORDER BY revision DESC LIMIT ?3");
    st.bind_all(device, before, static_cast<std::int64_t>(limit));
    std::vector<HistoryEntry> out;
    while (st.step()) out.push_back(history_from_row(st));
    return out;
  }

  std::optional<HistoryEntry> history_entry(std::string_view device, Revision revision) override {
    auto st = prepare("SELECT " HENGE_HISTORY_ROW
                      " FROM history "
                      "WHERE device_id = ? AND revision = ?");
    st.bind_all(device, revision);
    if (!st.step()) return std::nullopt;
    return history_from_row(st);
  }

  std::vector<AuditEntry> audit(const AuditQuery& q) override {
    auto st = prepare("SELECT " HENGE_AUDIT_ROW
                      " FROM audit "
                      "WHERE (?1 = 0 OR seq < ?1) AND (?2 = '' OR actor = ?2) AND (?3 = '' OR action = ?3) "
                      "AND (?4 = '' OR target = ?4) ORDER BY seq DESC LIMIT ?5");
    st.bind_all(q.before_seq, q.actor, q.action, q.target, static_cast<std::int64_t>(q.limit));
    std::vector<AuditEntry> out;
    while (st.step()) out.push_back(audit_from_row(st));
    return out;
  }

  std::optional<Token> token_by_hash(std::string_view hash) override {
    auto st = prepare("SELECT name, role, hash, created_at, expires_at FROM tokens WHERE hash = ?");
    st.bind_all(hash);
    if (!st.step()) return std::nullopt;
    return Token{st.text(0), st.text(1), st.text(2), st.i64(3), st.i64(4)};
  }

  std::size_t token_count() override {
    auto st = prepare("SELECT COUNT(*) FROM tokens");
    return st.step() ? static_cast<std::size_t>(st.i64(0)) : 0;
  }

  std::map<std::string, std::size_t> device_counts_by_status() override {
    static const std::string sql =
        "SELECT " + core::sync_status_sql("") + " AS status, COUNT(*) FROM devices GROUP BY status";
    auto st = prepare(sql.c_str());
    std::map<std::string, std::size_t> out;
    while (st.step()) out[st.text(0)] = static_cast<std::size_t>(st.i64(1));
    return out;
  }

  std::vector<Token> tokens() override {
    auto st = prepare("SELECT name, role, hash, created_at, expires_at FROM tokens ORDER BY name");
    std::vector<Token> out;
    while (st.step()) out.push_back(Token{st.text(0), st.text(1), st.text(2), st.i64(3), st.i64(4)});
    return out;
  }

  Revision take_revision() override {
    if (taken_ == 0) {
      auto st = prepare("UPDATE meta SET value = value + 1 WHERE key = 'revision' RETURNING value");
      if (!st.step()) throw SqliteError(SQLITE_CORRUPT, "the revision counter is missing");
      taken_ = static_cast<Revision>(st.i64(0));
      st.run();
    }
    return taken_;
  }

  void insert_device(const Device& d) override {
    auto st = prepare("INSERT INTO devices (" HENGE_DEVICE_COLUMNS ") VALUES (?,?,?,?,?,?,?,?,?,?,?)");
    bind_device(st, d).run();
    write_groups(d);
    if (d.desired.revision != 0) changed.push_back({d.id, d.desired});
  }

  void update_device(const Device& d) override {
    Revision before = 0;
    {
      auto st = prepare("SELECT desired_revision FROM devices WHERE id = ?");
      st.bind_all(d.id);
      if (st.step()) before = static_cast<Revision>(st.i64(0));
    }
    auto st = prepare(
        "UPDATE devices SET id = ?1, schema_name = ?2, labels = ?3, token_hash = ?4, device_values = ?5, "
        "desired_revision = ?6, desired_config = ?7, desired_sha256 = ?8, created_at = ?9, updated_at = ?10, "
        "desired_schema = ?11 WHERE id = ?1");
    bind_device(st, d).run();
    auto del = prepare("DELETE FROM device_groups WHERE device_id = ?");
    del.bind_all(d.id).run();
    write_groups(d);
    if (d.desired.revision != before && d.desired.revision != 0) changed.push_back({d.id, d.desired});
  }

  void update_desired(std::string_view id, const Desired& desired) override {
    batches_.update_desired(db_, texts_, changed, id, desired);
  }

  void update_device_state(std::string_view id, const DeviceState& s) override {
    auto st = prepare(
        "UPDATE devices SET last_seen = ?2, applied_revision = ?3, "
        "applied_at = ?4, rejected_revision = ?5, state_error = ?6, reported = ?7 WHERE id = ?1");
    st.bind_all(id, s.last_seen, s.applied_revision, s.applied_at, s.rejected_revision, s.error,
                stored_text(s.reported))
        .run();
  }

  void set_connection(std::string_view id, bool connected, TimeMs at) override {
    auto st = prepare("UPDATE devices SET connected = ?2, last_seen = MAX(last_seen, ?3) WHERE id = ?1");
    st.bind_all(id, connected ? 1 : 0, at).run();
  }

  void reset_connections() override {
    flush();
    db_.exec("UPDATE devices SET connected = 0 WHERE connected != 0");
  }

  void delete_device(std::string_view id) override {
    auto st = prepare("DELETE FROM devices WHERE id = ?");
    st.bind_all(id).run();
  }

  void insert_schema_version(const SchemaVersion& s) override {
    auto st = prepare("INSERT INTO schemas (name, version, document, revision, created_at) VALUES (?,?,?,?,?)");
    st.bind_all(s.name, s.version, stored_text(s.document), s.revision, s.created_at).run();
  }

  void put_group(const Group& g) override {
    auto st = prepare(
        "INSERT INTO groups (name, priority, group_values, revision, created_at, updated_at) "
        "VALUES (?1,?2,?3,?4,?5,?6) ON CONFLICT (name) DO UPDATE SET priority = ?2, group_values = ?3, "
        "revision = ?4, created_at = ?5, updated_at = ?6");
    st.bind_all(g.name, g.priority, stored_text(g.values), g.revision, g.created_at, g.updated_at).run();
  }

  void delete_group(std::string_view name) override {
    auto st = prepare("DELETE FROM groups WHERE name = ?");
    st.bind_all(name).run();
  }

  void append_history(const HistoryEntry& h) override { batches_.append_history(db_, texts_, h); }

  void append_audit(const AuditEntry& a) override {
    auto st = prepare(
        "INSERT INTO audit (at, actor, action, target, change, request_id, remote, revision) "
        "VALUES (?,?,?,?,?,?,?,?)");
    st.bind_all(a.at, a.actor, a.action, a.target, stored_text(a.change), a.request_id, a.remote, a.revision).run();
  }

  void put_token(const Token& t) override {
    auto st = prepare("INSERT OR REPLACE INTO tokens (hash, name, role, created_at, expires_at) VALUES (?,?,?,?,?)");
    st.bind_all(t.hash, t.name, t.role, t.created_at, t.expires_at).run();
  }

  bool delete_token(std::string_view name) override {
    auto st = prepare("DELETE FROM tokens WHERE name = ? RETURNING name");
    const bool found = st.bind_all(name).step();
    st.run();
    return found;
  }

  /// Writes the rows batched so far (before COMMIT; other statements do it themselves).
  void flush() { batches_.flush(db_, texts_, changed); }

  std::vector<DesiredChange> changed;

 private:
  ConfigTexts texts_;
  sqlite::RowBatches batches_;

  // Every statement but the batched ones: what was batched goes first, as it was asked for first.
  Stmt prepare(const char* sql) {
    flush();
    return db_.prepare(sql);
  }

  Stmt& bind_device(Stmt& st, const Device& d) {
    return st.bind_all(d.id, d.schema, labels_text(d.labels), d.token_hash, stored_text(d.values), d.desired.revision,
                       texts_.of(d.desired.sha256, d.desired.config), d.desired.sha256, d.created_at, d.updated_at,
                       d.desired.schema);
  }

  void write_groups(const Device& d) {
    for (const auto& g : d.groups) {
      auto st = prepare("INSERT OR IGNORE INTO device_groups (group_name, device_id) VALUES (?, ?)");
      st.bind_all(g, d.id).run();
    }
  }

  // The devices `rows` selects, `count` of them: a group or schema write reads thousands
  // at once, and sizing the vector first spares moving every device read so far.
  static std::vector<Device> read_many(Stmt& count, Stmt& rows) {
    std::vector<Device> out;
    if (count.step()) out.reserve(static_cast<std::size_t>(count.i64(0)));
    while (rows.step()) out.push_back(device_from_row(rows));
    return out;
  }

  Db& db_;
  Revision taken_ = 0;
};

Error storage_error(const SqliteError& e) {
  switch (e.code() & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
      return make_error(Errc::unavailable, std::string("storage unavailable: ") + e.what());
    default:
      return make_error(Errc::internal, std::string("storage error: ") + e.what());
  }
}

// Readers get a connection each from a small pool; the single writer connection is
// guarded by a mutex so commits (and their change events) happen in revision order
// without SQLite's busy-waiting between our own threads.
class SqliteStore final : public Store {
 public:
  explicit SqliteStore(std::string path) : path_(std::move(path)), writer_(open()) {}

  Status read(const std::function<Status(ReadTx&)>& fn) override {
    std::unique_ptr<Db> db = acquire();
    Status status;
    try {
      db->exec("BEGIN");
      SqliteTx tx(*db);
      status = fn(tx);
      db->exec("COMMIT");
    } catch (const SqliteError& e) {
      rollback(*db);
      status = storage_error(e);
    } catch (const std::exception& e) {
      rollback(*db);
      status = make_error(Errc::internal, e.what());
    }
    release(std::move(db));
    return status;
  }

  Status write(const std::function<Status(WriteTx&)>& fn) override {
    std::lock_guard lock(write_mu_);
    try {
      writer_->exec("BEGIN IMMEDIATE");
      SqliteTx tx(*writer_);
      auto status = fn(tx);
      if (!status.ok()) {
        writer_->exec("ROLLBACK");
        return status;
      }
      tx.flush();
      writer_->exec("COMMIT");
      if (listener_ && !tx.changed.empty()) listener_(make_change_event(tx.take_revision(), std::move(tx.changed)));
      return {};
    } catch (const SqliteError& e) {
      rollback(*writer_);
      return storage_error(e);
    } catch (const std::exception& e) {
      rollback(*writer_);
      return make_error(Errc::internal, e.what());
    }
  }

  void set_change_listener(std::function<void(ChangeEvent)> listener) override { listener_ = std::move(listener); }

  void migrate() {
    auto st = writer_->prepare("PRAGMA user_version");
    const auto version = st.step() ? st.i64(0) : 0;
    if (version > static_cast<std::int64_t>(kMigrationCount)) {
      throw SqliteError(SQLITE_MISMATCH,
                        "the database was written by a newer henge (schema version " + std::to_string(version) + ")");
    }
    for (auto v = static_cast<std::size_t>(version); v < kMigrationCount; ++v) {
      writer_->exec("BEGIN IMMEDIATE");
      try {
        writer_->exec(sqlite::kMigrations[v]);
        if (v + 1 == sqlite::kQuarantineVersion) {
          const auto now =
              std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                  .count();
          sqlite::quarantine_unreadable(*writer_, now);
        }
        writer_->exec(("PRAGMA user_version = " + std::to_string(v + 1)).c_str());
        writer_->exec("COMMIT");
      } catch (const SqliteError&) {
        rollback(*writer_);
        throw;
      }
    }
  }

 private:
  static constexpr std::size_t kMigrationCount = sqlite::kMigrations.size();

  std::unique_ptr<Db> open() {
    auto db = std::make_unique<Db>(path_);
    db->exec("PRAGMA journal_mode = WAL");
    db->exec("PRAGMA synchronous = FULL");
    db->exec("PRAGMA foreign_keys = ON");
    sqlite3_busy_timeout(db->handle(), 5000);
    return db;
  }

  std::unique_ptr<Db> acquire() {
    if (auto db = readers_.take()) return db;
    return open();
  }

  void release(std::unique_ptr<Db> db) { readers_.give(std::move(db)); }

  static void rollback(Db& db) {
    if (sqlite3_get_autocommit(db.handle()) == 0) sqlite3_exec(db.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }

  static constexpr std::size_t kMaxIdleReaders = 8;
  std::string path_;
  std::mutex write_mu_;
  std::unique_ptr<Db> writer_;
  IdlePool<Db> readers_{kMaxIdleReaders};
  std::function<void(ChangeEvent)> listener_;
};

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(const std::filesystem::path& path) {
  try {
    auto store = std::make_unique<SqliteStore>(path.string());
    store->migrate();
    return std::unique_ptr<Store>(std::move(store));
  } catch (const SqliteError& e) {
    if (e.code() == SQLITE_MISMATCH) return make_error(Errc::conflict, e.what());
    return make_error(Errc::unavailable, std::string("cannot open the SQLite store: ") + e.what());
  }
}

}  // namespace henge::store
