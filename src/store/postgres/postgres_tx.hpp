#pragma once
// One PostgreSQL transaction seen through the Store's ReadTx/WriteTx: the SQL of every
// store call. The store opens and ends the transaction around it; this only runs
// statements on the connection it is given.

#include <string>
#include <utility>
#include <vector>

#include "store/config_texts.hpp"
#include "store/postgres/pg.hpp"
#include "store/store.hpp"

// Milliseconds since the epoch by the database's clock, in SQL: leases are compared on
// one clock, whichever replica reads them.
#define HENGE_PG_NOW_MS "(extract(epoch FROM clock_timestamp()) * 1000)::bigint"

namespace henge::store::postgres {

class PgTx final : public WriteTx {
 public:
  /// `replica` names this henged in connection records.
  PgTx(pg::Conn& conn, const std::string& replica) : c_(conn), replica_(replica) {}

  Revision revision() override;
  std::optional<core::Device> device(std::string_view id) override;
  std::optional<core::Device> device_by_token_hash(std::string_view token_hash) override;
  std::vector<core::Device> devices(const DeviceQuery& q) override;
  std::vector<core::Device> devices_in_group(std::string_view name) override;
  std::vector<core::Device> devices_with_schema(std::string_view name) override;
  std::optional<core::SchemaVersion> schema(std::string_view name, std::int64_t version) override;
  std::vector<core::SchemaVersion> schemas() override;
  std::vector<core::SchemaVersion> schema_versions(std::string_view name) override;
  std::optional<core::Group> group(std::string_view name) override;
  std::vector<core::Group> groups() override;
  std::vector<core::HistoryEntry> history(std::string_view device, Revision before, std::size_t limit) override;
  std::optional<core::HistoryEntry> history_entry(std::string_view device, Revision revision) override;
  std::vector<core::AuditEntry> audit(const AuditQuery& q) override;
  std::optional<core::Token> token_by_hash(std::string_view hash) override;
  std::size_t token_count() override;
  std::vector<core::Token> tokens() override;
  std::map<std::string, std::size_t> device_counts_by_status() override;

  Revision take_revision() override;
  void insert_device(const core::Device& d) override;
  void update_device(const core::Device& d) override;
  void update_desired(std::string_view id, const core::Desired& desired) override;
  void update_device_state(std::string_view id, const core::DeviceState& s) override;
  void set_connection(std::string_view id, bool connected, core::TimeMs at) override;
  void reset_connections() override;
  void delete_device(std::string_view id) override;
  void insert_schema_version(const core::SchemaVersion& s) override;
  void put_group(const core::Group& g) override;
  void delete_group(std::string_view name) override;
  void append_history(const core::HistoryEntry& h) override;
  void append_audit(const core::AuditEntry& a) override;
  void put_token(const core::Token& t) override;
  bool delete_token(std::string_view name) override;

  /// Writes what update_desired() and append_history() buffered. Every other statement
  /// of this transaction runs it first; the store runs it before COMMIT.
  void flush();

  /// The revision this transaction took, 0 if none.
  [[nodiscard]] Revision taken() const { return taken_; }
  /// The desired configs written (complete once flushed).
  std::vector<DesiredChange> changed;

 private:
  std::vector<core::Device> read_devices(const pg::Rows& rows);
  void write_groups(const core::Device& d);
  Revision desired_revision_of(std::string_view id, bool& exists);
  template <class... Args>
  pg::Rows run(const char* sql, const Args&... args) {
    flush();  // what was buffered comes before, as it was asked for before
    return c_.run(sql, args...);
  }

  static constexpr std::size_t kBatch = 2000;

  pg::Conn& c_;
  const std::string& replica_;
  Revision taken_ = 0;
  ConfigTexts texts_;
  std::vector<std::pair<std::string, core::Desired>> pending_desired_;
  std::vector<core::HistoryEntry> pending_history_;
};

}  // namespace henge::store::postgres
