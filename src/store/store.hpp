#pragma once
// The Store: everything henge persists, behind one interface, used only through
// transactions. Implementations: memory/ (tests), sqlite/ (one node). Every call
// blocks; callers run them on the store executor, never on an io thread.
//
// Failure model: a read or write function returns a Status. A domain error returned
// by the function rolls the transaction back. A storage failure inside a transaction
// (disk full, database locked past the busy timeout) aborts it and is returned as
// Errc::unavailable or Errc::internal from read()/write().

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model.hpp"
#include "core/result.hpp"

namespace henge::store {

using core::Revision;

/// Which devices to list: all filters are optional (empty = any), ordered by id.
struct DeviceQuery {
  std::string schema;
  std::string group;
  std::string label_key;
  std::string label_value;  ///< with label_key: the value it must have
  std::string status;       ///< never_connected · in_sync · pending · failed (see core::sync_status)
  std::optional<bool> connected;
  std::string after_id;  ///< continue after this id (exclusive)
  std::size_t limit = 100;
};

/// Which audit entries to list, newest first.
struct AuditQuery {
  std::string actor;
  std::string action;
  std::string target;
  std::uint64_t before_seq = 0;  ///< 0 = from the newest
  std::size_t limit = 100;
};

/// One device's new desired config.
struct DesiredChange {
  std::string device;
  core::Desired desired;
};

/// What one committed write changed: the revision it took and the new desired
/// config of every device it moved, ordered by device id. Delivered to the change
/// listener after commit.
struct ChangeEvent {
  Revision revision = 0;
  std::vector<DesiredChange> changes;
};

/// Reads at one consistent snapshot. Each method throws on a storage failure, which
/// read() returns as a Status.
class ReadTx {
 public:
  virtual ~ReadTx() = default;

  /// The last committed revision (0 on an empty store).
  virtual Revision revision() = 0;

  /// One device, or nullopt.
  virtual std::optional<core::Device> device(std::string_view id) = 0;
  /// The device whose token hashes to `token_hash`, or nullopt.
  virtual std::optional<core::Device> device_by_token_hash(std::string_view token_hash) = 0;
  /// Devices matching `q`, ordered by id, at most q.limit.
  virtual std::vector<core::Device> devices(const DeviceQuery& q) = 0;
  /// Every device in group `name`, ordered by id: what a group write moves, read at once.
  virtual std::vector<core::Device> devices_in_group(std::string_view name) = 0;
  /// Every device following schema `name`, ordered by id.
  virtual std::vector<core::Device> devices_with_schema(std::string_view name) = 0;

  /// Version `version` of schema `name`; version 0 means the latest.
  virtual std::optional<core::SchemaVersion> schema(std::string_view name, std::int64_t version) = 0;
  /// The latest version of every schema, ordered by name.
  virtual std::vector<core::SchemaVersion> schemas() = 0;
  /// Every version of schema `name`, oldest first.
  virtual std::vector<core::SchemaVersion> schema_versions(std::string_view name) = 0;

  virtual std::optional<core::Group> group(std::string_view name) = 0;
  /// Every group, ordered by name.
  virtual std::vector<core::Group> groups() = 0;

  /// History of `device`, newest first, revisions below `before` (0 = no bound).
  virtual std::vector<core::HistoryEntry> history(std::string_view device, Revision before, std::size_t limit) = 0;
  virtual std::optional<core::HistoryEntry> history_entry(std::string_view device, Revision revision) = 0;

  virtual std::vector<core::AuditEntry> audit(const AuditQuery& q) = 0;

  virtual std::optional<core::Token> token_by_hash(std::string_view hash) = 0;
  virtual std::size_t token_count() = 0;
  /// How many devices have each sync status (core::sync_status()); statuses with none
  /// are left out.
  virtual std::map<std::string, std::size_t> device_counts_by_status() = 0;
  /// Every operator token, ordered by name.
  virtual std::vector<core::Token> tokens() = 0;
};

/// Reads and writes; all or nothing. Each method throws on a storage failure; the
/// store then rolls the transaction back and write() returns the failure as a Status
/// (the caller's function need not catch it, and must not swallow it).
class WriteTx : public ReadTx {
 public:
  /// The revision this transaction takes: allocated on the first call, the same on
  /// later calls. A transaction that never calls it takes no revision.
  /// Throws on a storage failure.
  virtual Revision take_revision() = 0;

  /// Adds a device; the caller has checked that the id is free.
  /// Throws on a storage failure.
  virtual void insert_device(const core::Device& d) = 0;
  /// Replaces every field of an existing device but its state. When
  /// `d.desired.revision` differs from the stored one, the device is named in this
  /// commit's ChangeEvent.
  /// Throws on a storage failure.
  virtual void update_device(const core::Device& d) = 0;
  /// Replaces only the desired config of an existing device (what a group or schema
  /// write changes for each member) and names it in this commit's ChangeEvent, when its
  /// revision moved; an equal revision is the same desired config and changes nothing.
  /// Throws on a storage failure.
  virtual void update_desired(std::string_view id, const core::Desired& desired) = 0;
  /// Replaces the state of an existing device, all but `connected`: which node holds
  /// a device's stream is written only through set_connection().
  /// Throws on a storage failure.
  virtual void update_device_state(std::string_view id, const core::DeviceState& s) = 0;
  /// Records that this node now holds (`connected`) or no longer holds a stream of
  /// `id`, seen at `at` (last_seen only moves forward). With several nodes over one
  /// database, a node's "no longer" leaves a stream another node holds alone.
  /// Throws on a storage failure.
  virtual void set_connection(std::string_view id, bool connected, core::TimeMs at) = 0;
  /// Forgets every connection this node recorded (at start, when it can hold no
  /// stream), and those of nodes that are gone.
  /// Throws on a storage failure.
  virtual void reset_connections() = 0;
  /// Removes a device and its history.
  /// Throws on a storage failure.
  virtual void delete_device(std::string_view id) = 0;

  /// Throws on a storage failure.
  virtual void insert_schema_version(const core::SchemaVersion& s) = 0;

  /// Adds or replaces a group.
  /// Throws on a storage failure.
  virtual void put_group(const core::Group& g) = 0;
  /// Throws on a storage failure.
  virtual void delete_group(std::string_view name) = 0;

  /// Throws on a storage failure.
  virtual void append_history(const core::HistoryEntry& h) = 0;
  /// Appends an audit entry; its seq is assigned here.
  /// Throws on a storage failure.
  virtual void append_audit(const core::AuditEntry& a) = 0;

  /// Adds a token, replacing any token with the same name or hash.
  /// Throws on a storage failure.
  virtual void put_token(const core::Token& t) = 0;
  /// Removes the token named `name`; false when there is none.
  /// Throws on a storage failure.
  virtual bool delete_token(std::string_view name) = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  /// Runs `fn` against a consistent snapshot.
  virtual core::Status read(const std::function<core::Status(ReadTx&)>& fn) = 0;
  /// Runs `fn` in a serialized read-write transaction; commits when it returns ok.
  virtual core::Status write(const std::function<core::Status(WriteTx&)>& fn) = 0;

  /// Called after every commit that moved a device's desired config, in revision
  /// order, one call at a time: on the committing thread (one node) or on the
  /// store's feed thread (PostgreSQL, for every replica's commits). Set once, before
  /// serving. The event is the listener's to keep (a group write's lists thousands).
  virtual void set_change_listener(std::function<void(ChangeEvent)> listener) = 0;

  /// Called when the connections this node recorded may have been forgotten (its
  /// lease among several replicas lapsed while the database was out of reach), so the
  /// caller records its open streams again. A store of one node never calls it.
  // NOLINTNEXTLINE(performance-unnecessary-value-param): by value, as the overrides that keep it
  virtual void set_connections_lost_listener(std::function<void()> /*listener*/) {}
};

}  // namespace henge::store
