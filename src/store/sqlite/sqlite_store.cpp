#include "store/sqlite/sqlite_store.hpp"

#include <boost/json.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "store/change_event.hpp"
#include "store/config_texts.hpp"
#include "store/labels_json.hpp"
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

// The device columns in the order read_device() reads them. A macro, so that it
// joins the statements' literals at compile time (Db::prepare caches by address).
#define HENGE_DEVICE_COLUMNS                                                                               \
  "id, schema_name, labels, token_hash, device_values, desired_revision, desired_config, desired_sha256, " \
  "created_at, updated_at, desired_schema"
#define HENGE_STATE_COLUMNS \
  "connected, last_seen, applied_revision, applied_at, rejected_revision, state_error, reported"
// A device's groups as one column, so that reading many devices is one statement.
#define HENGE_GROUPS_COLUMN "(SELECT group_concat(group_name, ',') FROM device_groups g WHERE g.device_id = d.id)"
#define HENGE_DEVICE_SELECT \
  "SELECT " HENGE_DEVICE_COLUMNS ", " HENGE_STATE_COLUMNS ", " HENGE_GROUPS_COLUMN " FROM devices d "
// core::sync_status() in SQL, for the status filter.
#define HENGE_SYNC_STATUS                                                                   \
  "CASE WHEN applied_revision != 0 AND applied_revision = desired_revision THEN 'in_sync' " \
  "WHEN rejected_revision != 0 AND rejected_revision = desired_revision THEN 'failed' "     \
  "WHEN last_seen = 0 AND applied_revision = 0 THEN 'never_connected' ELSE 'pending' END"

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
    return read_device(st);
  }

  std::optional<Device> device_by_token_hash(std::string_view hash) override {
    auto st = prepare(HENGE_DEVICE_SELECT "WHERE token_hash = ?");
    st.bind_all(hash);
    if (!st.step()) return std::nullopt;
    return read_device(st);
  }

  std::vector<Device> devices(const DeviceQuery& q) override {
    auto st = prepare(
        HENGE_DEVICE_SELECT
        "WHERE id > ?1 AND (?2 = '' OR schema_name = ?2) "
        "AND (?3 = '' OR EXISTS (SELECT 1 FROM device_groups g WHERE g.device_id = d.id AND g.group_name = ?3)) "
        "AND (?4 = '' OR EXISTS (SELECT 1 FROM json_each(d.labels) l WHERE l.key = ?4 AND (?5 = '' OR l.value = ?5))) "
        "AND (?7 = '' OR " HENGE_SYNC_STATUS
        " = ?7) AND (?8 < 0 OR connected = ?8) "
        "ORDER BY id LIMIT ?6");
    const int connected = q.connected ? (*q.connected ? 1 : 0) : -1;
    st.bind_all(q.after_id, q.schema, q.group, q.label_key, q.label_value, static_cast<std::int64_t>(q.limit), q.status,
                connected);
    std::vector<Device> out;
    while (st.step()) out.push_back(read_device(st));
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
    auto st = prepare(
        "SELECT name, version, document, revision, created_at FROM schemas "
        "WHERE name = ?1 AND (?2 = 0 OR version = ?2) ORDER BY version DESC LIMIT 1");
    st.bind_all(name, version);
    if (!st.step()) return std::nullopt;
    return read_schema(st);
  }

  std::vector<SchemaVersion> schemas() override {
    auto st = prepare(
        "SELECT name, version, document, revision, created_at FROM schemas s "
        "WHERE version = (SELECT MAX(version) FROM schemas WHERE name = s.name) ORDER BY name");
    std::vector<SchemaVersion> out;
    while (st.step()) out.push_back(read_schema(st));
    return out;
  }

  std::vector<SchemaVersion> schema_versions(std::string_view name) override {
    auto st =
        prepare("SELECT name, version, document, revision, created_at FROM schemas WHERE name = ? ORDER BY version");
    st.bind_all(name);
    std::vector<SchemaVersion> out;
    while (st.step()) out.push_back(read_schema(st));
    return out;
  }

  std::optional<Group> group(std::string_view name) override {
    auto st =
        prepare("SELECT name, priority, group_values, revision, created_at, updated_at FROM groups WHERE name = ?");
    st.bind_all(name);
    if (!st.step()) return std::nullopt;
    return read_group(st);
  }

  std::vector<Group> groups() override {
    auto st =
        prepare("SELECT name, priority, group_values, revision, created_at, updated_at FROM groups ORDER BY name");
    std::vector<Group> out;
    while (st.step()) out.push_back(read_group(st));
    return out;
  }

  std::vector<HistoryEntry> history(std::string_view device, Revision before, std::size_t limit) override {
    auto st = prepare(
        "SELECT device_id, revision, at, actor, action, change, config, sha256 FROM history "
        "WHERE device_id = ?1 AND (?2 = 0 OR revision < ?2) ORDER BY revision DESC LIMIT ?3");
    st.bind_all(device, before, static_cast<std::int64_t>(limit));
    std::vector<HistoryEntry> out;
    while (st.step()) out.push_back(read_history(st));
    return out;
  }

  std::optional<HistoryEntry> history_entry(std::string_view device, Revision revision) override {
    auto st = prepare(
        "SELECT device_id, revision, at, actor, action, change, config, sha256 FROM history "
        "WHERE device_id = ? AND revision = ?");
    st.bind_all(device, revision);
    if (!st.step()) return std::nullopt;
    return read_history(st);
  }

  std::vector<AuditEntry> audit(const AuditQuery& q) override {
    auto st = prepare(
        "SELECT seq, at, actor, action, target, change, request_id, remote, revision FROM audit "
        "WHERE (?1 = 0 OR seq < ?1) AND (?2 = '' OR actor = ?2) AND (?3 = '' OR action = ?3) "
        "AND (?4 = '' OR target = ?4) ORDER BY seq DESC LIMIT ?5");
    st.bind_all(q.before_seq, q.actor, q.action, q.target, static_cast<std::int64_t>(q.limit));
    std::vector<AuditEntry> out;
    while (st.step()) {
      AuditEntry a;
      a.seq = static_cast<std::uint64_t>(st.i64(0));
      a.at = st.i64(1);
      a.actor = st.text(2);
      a.action = st.text(3);
      a.target = st.text(4);
      a.change = parse_stored(st.text(5));
      a.request_id = st.text(6);
      a.remote = st.text(7);
      a.revision = static_cast<Revision>(st.i64(8));
      out.push_back(std::move(a));
    }
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
    auto st = prepare("SELECT " HENGE_SYNC_STATUS " AS status, COUNT(*) FROM devices GROUP BY status");
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
    while (rows.step()) out.push_back(read_device(rows));
    return out;
  }

  static Device read_device(Stmt& st) {
    Device d;
    d.id = st.text(0);
    d.schema = st.text(1);
    d.labels = labels_from_json(parse_stored_or(st.text(2), "labels", json::object{}, d.unreadable));
    d.token_hash = st.text(3);
    d.values = parse_stored_or(st.text(4), "device_values", json::object{}, d.unreadable);
    d.desired.revision = static_cast<Revision>(st.i64(5));
    d.desired.config = parse_stored_or(st.text(6), "desired_config", json::object{}, d.unreadable);
    d.desired.sha256 = st.text(7);
    d.created_at = st.i64(8);
    d.updated_at = st.i64(9);
    d.desired.schema = st.text(10);
    d.state.connected = st.i64(11) != 0;
    d.state.last_seen = st.i64(12);
    d.state.applied_revision = static_cast<Revision>(st.i64(13));
    d.state.applied_at = st.i64(14);
    d.state.rejected_revision = static_cast<Revision>(st.i64(15));
    d.state.error = st.text(16);
    d.state.reported = parse_stored_or(st.text(17), "reported", nullptr, d.unreadable);
    const auto groups = st.text(18);
    for (std::size_t start = 0; start < groups.size();) {
      auto end = groups.find(',', start);
      if (end == std::string::npos) end = groups.size();
      d.groups.push_back(groups.substr(start, end - start));
      start = end + 1;
    }
    std::sort(d.groups.begin(), d.groups.end());  // group_concat promises no order
    return d;
  }

  static SchemaVersion read_schema(Stmt& st) {
    return SchemaVersion{st.text(0), st.i64(1), parse_stored(st.text(2)), static_cast<Revision>(st.i64(3)), st.i64(4)};
  }

  static Group read_group(Stmt& st) {
    return Group{st.text(0), st.i64(1), parse_stored(st.text(2)), static_cast<Revision>(st.i64(3)),
                 st.i64(4),  st.i64(5)};
  }

  static HistoryEntry read_history(Stmt& st) {
    return HistoryEntry{st.text(0),
                        static_cast<Revision>(st.i64(1)),
                        st.i64(2),
                        st.text(3),
                        st.text(4),
                        parse_stored(st.text(5)),
                        parse_stored(st.text(6)),
                        st.text(7)};
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
    {
      std::lock_guard lock(pool_mu_);
      if (!readers_.empty()) {
        auto db = std::move(readers_.back());
        readers_.pop_back();
        return db;
      }
    }
    return open();
  }

  void release(std::unique_ptr<Db> db) {
    std::lock_guard lock(pool_mu_);
    if (readers_.size() < kMaxIdleReaders) readers_.push_back(std::move(db));
  }

  static void rollback(Db& db) {
    if (sqlite3_get_autocommit(db.handle()) == 0) sqlite3_exec(db.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }

  static constexpr std::size_t kMaxIdleReaders = 8;
  std::string path_;
  std::mutex write_mu_;
  std::unique_ptr<Db> writer_;
  std::mutex pool_mu_;
  std::vector<std::unique_ptr<Db>> readers_;
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
