#include "store/postgres/postgres_tx.hpp"

#include <boost/json.hpp>
#include <map>
#include <set>
#include <string>

#include "core/sync_status.hpp"
#include "store/labels_json.hpp"
#include "store/sql_rows.hpp"
#include "store/stored_json.hpp"

namespace henge::store::postgres {
namespace {

using namespace henge::core;
namespace json = boost::json;

std::string labels_text(const std::map<std::string, std::string>& labels) {
  return labels_to_json(labels);
}

// A PostgreSQL array literal ({"a","b"}) for unnest(): every element quoted, with
// backslashes and quotes escaped.
class ArrayLiteral {
 public:
  void add(std::string_view v) {
    separate();
    out_.push_back('"');
    for (char c : v) {
      if (c == '"' || c == '\\') out_.push_back('\\');
      out_.push_back(c);
    }
    out_.push_back('"');
  }
  void add(std::int64_t v) {
    separate();
    out_ += std::to_string(v);
  }
  std::string done() {
    out_.push_back('}');
    return std::move(out_);
  }

 private:
  void separate() {
    if (out_.size() > 1) out_.push_back(',');
  }
  std::string out_ = "{";
};

// Every row of `r` through `from_row`, in order.
template <class FromRow>
auto all_rows(const pg::Rows& r, FromRow from_row) {
  std::vector<decltype(from_row(pg::Row{r, 0}))> out;
  out.reserve(static_cast<std::size_t>(r.size()));
  for (int i = 0; i < r.size(); ++i) out.push_back(from_row(pg::Row{r, i}));
  return out;
}

Token token_from_row(const pg::Row& row) {
  return Token{row.text(0), row.text(1), row.text(2), row.i64(3), row.i64(4)};
}

}  // namespace

// A device is connected while the replica holding its stream has a live lease.
#define HENGE_PG_CONNECTED                                                                            \
  "(d.connected_replica <> '' AND EXISTS (SELECT 1 FROM replicas r WHERE r.id = d.connected_replica " \
  "AND r.expires_at > " HENGE_PG_NOW_MS "))"
// A device's columns: connected while its replica's lease is live, that replica, its
// groups in order.
#define HENGE_PG_DEVICE_SELECT                                                                       \
  "SELECT " HENGE_DEVICE_ROW(HENGE_PG_CONNECTED, "d.connected_replica",                              \
                             "COALESCE((SELECT string_agg(g.group_name, ',' ORDER BY g.group_name) " \
                             "FROM device_groups g WHERE g.device_id = d.id), '')") " FROM devices d "

std::vector<Device> PgTx::read_devices(const pg::Rows& r) {
  return all_rows(r, device_from_row<pg::Row>);
}

Revision PgTx::revision() {
  auto r = run("SELECT value FROM meta WHERE key = 'revision'");
  return r.empty() ? 0 : static_cast<Revision>(r.i64(0, 0));
}

std::optional<Device> PgTx::device(std::string_view id) {
  auto d = read_devices(run(HENGE_PG_DEVICE_SELECT "WHERE d.id = $1", id));
  if (d.empty()) return std::nullopt;
  return std::move(d.front());
}

std::optional<Device> PgTx::device_by_token_hash(std::string_view hash) {
  auto d = read_devices(run(HENGE_PG_DEVICE_SELECT "WHERE d.token_hash = $1", hash));
  if (d.empty()) return std::nullopt;
  return std::move(d.front());
}

std::vector<Device> PgTx::devices(const DeviceQuery& q) {
  const int connected = q.connected ? (*q.connected ? 1 : 0) : -1;
  // Built once: its address keys the prepared statement.
  static const std::string sql =
      HENGE_PG_DEVICE_SELECT
      "WHERE d.id > $1::text AND ($2::text = '' OR d.schema_name = $2::text) "
      "AND ($3::text = '' OR EXISTS (SELECT 1 FROM device_groups g WHERE g.device_id = d.id AND g.group_name = "
      "$3::text)) "
      "AND ($4::text = '' OR (d.labels::jsonb ? $4::text AND ($5::text = '' OR d.labels::jsonb ->> $4::text = "
      "$5::text))) "
      "AND ($7::text = '' OR " +
      core::sync_status_sql("d.") +
      " = $7::text) "
      "AND ($8::int < 0 OR " HENGE_PG_CONNECTED
      " = ($8::int = 1)) "
      "ORDER BY d.id LIMIT $6::bigint";
  return read_devices(run(sql.c_str(), q.after_id, q.schema, q.group, q.label_key, q.label_value,
                          static_cast<std::int64_t>(q.limit), q.status, connected));
}

std::vector<Device> PgTx::devices_in_group(std::string_view name) {
  return read_devices(run(HENGE_PG_DEVICE_SELECT
                          "WHERE d.id IN (SELECT device_id FROM device_groups WHERE group_name = $1) ORDER BY d.id",
                          name));
}

std::vector<Device> PgTx::devices_with_schema(std::string_view name) {
  return read_devices(run(HENGE_PG_DEVICE_SELECT "WHERE d.schema_name = $1 ORDER BY d.id", name));
}

std::optional<SchemaVersion> PgTx::schema(std::string_view name, std::int64_t version) {
  auto r = run("SELECT " HENGE_SCHEMA_ROW
               " FROM schemas "
               "WHERE name = $1 AND ($2::bigint = 0 OR version = $2::bigint) ORDER BY version DESC LIMIT 1",
               name, version);
  if (r.empty()) return std::nullopt;
  return schema_from_row(pg::Row{r, 0});
}

std::vector<SchemaVersion> PgTx::schemas() {
  auto r = run("SELECT DISTINCT ON (name) " HENGE_SCHEMA_ROW
               " FROM schemas "
               "ORDER BY name, version DESC");
  return all_rows(r, schema_from_row<pg::Row>);
}

std::vector<SchemaVersion> PgTx::schema_versions(std::string_view name) {
  auto r = run("SELECT " HENGE_SCHEMA_ROW " FROM schemas WHERE name = $1 ORDER BY version", name);
  return all_rows(r, schema_from_row<pg::Row>);
}

std::optional<Group> PgTx::group(std::string_view name) {
  auto r = run("SELECT " HENGE_GROUP_ROW " FROM groups WHERE name = $1", name);
  if (r.empty()) return std::nullopt;
  return group_from_row(pg::Row{r, 0});
}

std::vector<Group> PgTx::groups() {
  auto r = run("SELECT " HENGE_GROUP_ROW " FROM groups ORDER BY name");
  return all_rows(r, group_from_row<pg::Row>);
}

std::vector<HistoryEntry> PgTx::history(std::string_view device, Revision before, std::size_t limit) {
  auto r = run("SELECT " HENGE_HISTORY_ROW
               " FROM history "
               "WHERE device_id = $1 AND ($2::bigint = 0 OR revision < $2::bigint) ORDER BY revision DESC LIMIT $3",
               device, before, static_cast<std::int64_t>(limit));
  return all_rows(r, history_from_row<pg::Row>);
}

std::optional<HistoryEntry> PgTx::history_entry(std::string_view device, Revision revision) {
  auto r = run("SELECT " HENGE_HISTORY_ROW
               " FROM history "
               "WHERE device_id = $1 AND revision = $2",
               device, revision);
  if (r.empty()) return std::nullopt;
  return history_from_row(pg::Row{r, 0});
}

std::vector<AuditEntry> PgTx::audit(const AuditQuery& q) {
  auto r = run("SELECT " HENGE_AUDIT_ROW
               " FROM audit "
               "WHERE ($1::bigint = 0 OR seq < $1::bigint) AND ($2::text = '' OR actor = $2::text) "
               "AND ($3::text = '' OR action = $3::text) AND ($4::text = '' OR target = $4::text) "
               "ORDER BY seq DESC LIMIT $5::bigint",
               q.before_seq, q.actor, q.action, q.target, static_cast<std::int64_t>(q.limit));
  return all_rows(r, audit_from_row<pg::Row>);
}

std::optional<Token> PgTx::token_by_hash(std::string_view hash) {
  auto r = run("SELECT name, role, hash, created_at, expires_at FROM tokens WHERE hash = $1", hash);
  if (r.empty()) return std::nullopt;
  return Token{r.text(0, 0), r.text(0, 1), r.text(0, 2), r.i64(0, 3), r.i64(0, 4)};
}

std::size_t PgTx::token_count() {
  auto r = run("SELECT COUNT(*) FROM tokens");
  return static_cast<std::size_t>(r.i64(0, 0));
}

std::map<std::string, std::size_t> PgTx::device_counts_by_status() {
  static const std::string sql =
      "SELECT " + core::sync_status_sql("d.") + " AS status, COUNT(*) FROM devices d GROUP BY status";
  auto r = run(sql.c_str());
  std::map<std::string, std::size_t> out;
  for (int i = 0; i < r.size(); ++i) out[r.text(i, 0)] = static_cast<std::size_t>(r.i64(i, 1));
  return out;
}

std::vector<Token> PgTx::tokens() {
  auto r = run("SELECT name, role, hash, created_at, expires_at FROM tokens ORDER BY name");
  return all_rows(r, token_from_row);
}

Revision PgTx::take_revision() {
  // The counter row is locked by the store for the whole transaction, so revisions
  // commit in the order they are taken (DESIGN §3).
  if (taken_ == 0) {
    auto r = run("UPDATE meta SET value = value + 1 WHERE key = 'revision' RETURNING value");
    if (r.empty()) throw pg::PgError("XX001", "the revision counter is missing", false);
    taken_ = static_cast<Revision>(r.i64(0, 0));
  }
  return taken_;
}

void PgTx::write_groups(const Device& d) {
  for (const auto& g : d.groups) {
    run("INSERT INTO device_groups (group_name, device_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", g, d.id);
  }
}

Revision PgTx::desired_revision_of(std::string_view id, bool& exists) {
  auto r = run("SELECT desired_revision FROM devices WHERE id = $1", id);
  exists = !r.empty();
  return exists ? static_cast<Revision>(r.i64(0, 0)) : 0;
}

void PgTx::insert_device(const Device& d) {
  run("INSERT INTO devices (id, schema_name, labels, token_hash, device_values, desired_revision, desired_config, "
      "desired_sha256, created_at, updated_at, desired_schema) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)",
      d.id, d.schema, labels_text(d.labels), d.token_hash, stored_text(d.values), d.desired.revision,
      texts_.of(d.desired.sha256, d.desired.config), d.desired.sha256, d.created_at, d.updated_at, d.desired.schema);
  write_groups(d);
  if (d.desired.revision != 0) changed.push_back({d.id, d.desired});
}

void PgTx::update_device(const Device& d) {
  bool exists = false;
  const Revision before = desired_revision_of(d.id, exists);
  run("UPDATE devices SET schema_name = $2, labels = $3, token_hash = $4, device_values = $5, "
      "desired_revision = $6, desired_config = $7, desired_sha256 = $8, created_at = $9, updated_at = $10, "
      "desired_schema = $11 WHERE id = $1",
      d.id, d.schema, labels_text(d.labels), d.token_hash, stored_text(d.values), d.desired.revision,
      texts_.of(d.desired.sha256, d.desired.config), d.desired.sha256, d.created_at, d.updated_at, d.desired.schema);
  run("DELETE FROM device_groups WHERE device_id = $1", d.id);
  write_groups(d);
  if (exists && d.desired.revision != before && d.desired.revision != 0) changed.push_back({d.id, d.desired});
}

void PgTx::update_desired(std::string_view id, const Desired& desired) {
  pending_desired_.emplace_back(std::string(id), desired);
  if (pending_desired_.size() >= kBatch) flush();
}

void PgTx::update_device_state(std::string_view id, const DeviceState& s) {
  run("UPDATE devices SET last_seen = $2, applied_revision = $3, applied_at = $4, rejected_revision = $5, "
      "state_error = $6, reported = $7 WHERE id = $1",
      id, s.last_seen, s.applied_revision, s.applied_at, s.rejected_revision, s.error, stored_text(s.reported));
}

void PgTx::set_connection(std::string_view id, bool connected, TimeMs at) {
  // This replica's "disconnected" must not undo the stream the device has since
  // opened on another replica.
  run("UPDATE devices SET connected_replica = CASE WHEN $2::boolean THEN $3::text "
      "WHEN connected_replica = $3::text THEN '' ELSE connected_replica END, "
      "last_seen = GREATEST(last_seen, $4::bigint) WHERE id = $1",
      id, connected, replica_, at);
}

void PgTx::reset_connections() {
  run("UPDATE devices SET connected_replica = '' WHERE connected_replica <> '' AND (connected_replica = $1 "
      "OR connected_replica NOT IN (SELECT id FROM replicas WHERE expires_at > " HENGE_PG_NOW_MS "))",
      replica_);
}

void PgTx::delete_device(std::string_view id) {
  run("DELETE FROM devices WHERE id = $1", id);
}

void PgTx::insert_schema_version(const SchemaVersion& s) {
  run("INSERT INTO schemas (name, version, document, revision, created_at) VALUES ($1,$2,$3,$4,$5)", s.name, s.version,
      stored_text(s.document), s.revision, s.created_at);
}

void PgTx::put_group(const Group& g) {
  run("INSERT INTO groups (name, priority, group_values, revision, created_at, updated_at) "
      "VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (name) DO UPDATE SET priority = $2, group_values = $3, "
      "revision = $4, created_at = $5, updated_at = $6",
      g.name, g.priority, stored_text(g.values), g.revision, g.created_at, g.updated_at);
}

void PgTx::delete_group(std::string_view name) {
  run("DELETE FROM groups WHERE name = $1", name);
}

void PgTx::append_history(const HistoryEntry& h) {
  pending_history_.push_back(h);
  if (pending_history_.size() >= kBatch) flush();
}

void PgTx::append_audit(const AuditEntry& a) {
  run("INSERT INTO audit (at, actor, action, target, change, request_id, remote, revision) "
      "VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
      a.at, a.actor, a.action, a.target, stored_text(a.change), a.request_id, a.remote, a.revision);
}

void PgTx::put_token(const Token& t) {
  // Replaces any token with the same name or the same hash.
  run("DELETE FROM tokens WHERE name = $1 OR hash = $2", t.name, t.hash);
  run("INSERT INTO tokens (hash, name, role, created_at, expires_at) VALUES ($1,$2,$3,$4,$5)", t.hash, t.name, t.role,
      t.created_at, t.expires_at);
}

bool PgTx::delete_token(std::string_view name) {
  return run("DELETE FROM tokens WHERE name = $1 RETURNING name", name).size() > 0;
}

// A group write updates and records thousands of devices: one statement per batch
// rather than one round trip per device. Later rows for the same key replace earlier
// ones, as the statements one at a time would.
void PgTx::flush() {
  if (!pending_desired_.empty()) {
    std::map<std::string, std::size_t> last;  // id → its last entry
    for (std::size_t i = 0; i < pending_desired_.size(); ++i) last[pending_desired_[i].first] = i;
    ArrayLiteral ids, revisions, configs, digests, schemas;
    for (const auto& [id, i] : last) {
      const auto& d = pending_desired_[i].second;
      ids.add(id);
      revisions.add(static_cast<std::int64_t>(d.revision));
      configs.add(texts_.of(d.sha256, d.config));
      digests.add(d.sha256);
      schemas.add(d.schema);
    }
    // A row comes back only when the revision moved (an equal revision is the same
    // desired config, so there is nothing to write either).
    const auto moved = c_.run(
        "UPDATE devices AS d SET desired_revision = u.revision, desired_config = u.config, "
        "desired_sha256 = u.sha256, desired_schema = u.schema "
        "FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[]) "
        "AS u(id, revision, config, sha256, schema) "
        "WHERE d.id = u.id AND d.desired_revision <> u.revision RETURNING d.id",
        ids.done(), revisions.done(), configs.done(), digests.done(), schemas.done());
    std::set<std::string> moved_ids;
    for (int r = 0; r < moved.size(); ++r) moved_ids.insert(moved.text(r, 0));
    for (auto& [id, i] : last) {
      auto& d = pending_desired_[i].second;
      if (moved_ids.count(id) != 0 && d.revision != 0) changed.push_back({id, std::move(d)});
    }
    pending_desired_.clear();
  }
  if (!pending_history_.empty()) {
    std::map<std::pair<std::string, Revision>, std::size_t> last;
    for (std::size_t i = 0; i < pending_history_.size(); ++i) {
      last[{pending_history_[i].device, pending_history_[i].revision}] = i;
    }
    ArrayLiteral devices, revisions, ats, actors, actions, changes, configs, digests;
    for (const auto& [key, i] : last) {
      const auto& h = pending_history_[i];
      devices.add(h.device);
      revisions.add(static_cast<std::int64_t>(h.revision));
      ats.add(static_cast<std::int64_t>(h.at));
      actors.add(h.actor);
      actions.add(h.action);
      changes.add(stored_text(h.change));
      configs.add(texts_.of(h.sha256, h.config));
      digests.add(h.sha256);
    }
    c_.run(
        "INSERT INTO history (device_id, revision, at, actor, action, change, config, sha256) "
        "SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], "
        "$7::text[], $8::text[]) "
        "ON CONFLICT (device_id, revision) DO UPDATE SET at = EXCLUDED.at, actor = EXCLUDED.actor, "
        "action = EXCLUDED.action, change = EXCLUDED.change, config = EXCLUDED.config, sha256 = EXCLUDED.sha256",
        devices.done(), revisions.done(), ats.done(), actors.done(), actions.done(), changes.done(), configs.done(),
        digests.done());
    pending_history_.clear();
  }
}

}  // namespace henge::store::postgres
