#pragma once
// The records henge keeps. Plain data: the store persists them, the API renders them.

#include <boost/json/value.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace henge::core {

/// The one global, monotonically increasing revision (DESIGN §3). 0 = none yet.
using Revision = std::uint64_t;
/// Milliseconds since the Unix epoch, UTC.
using TimeMs = std::int64_t;

/// A device's effective config as of the last revision that changed it.
struct Desired {
  Revision revision = 0;
  boost::json::value config = boost::json::object{};
  std::string sha256;  ///< of the serialized config
  std::string schema;  ///< "name@version" it was validated against, or empty
};

/// What the control plane knows of a device's side: its connection and what it
/// last applied. Kept apart from the device's config so each changes on its own.
struct DeviceState {
  bool connected = false;
  std::string replica;            ///< with several henged replicas: the one holding the stream (else empty)
  TimeMs last_seen = 0;           ///< 0 = never
  Revision applied_revision = 0;  ///< last revision the device acknowledged as applied
  TimeMs applied_at = 0;
  Revision rejected_revision = 0;  ///< last revision the device rejected
  std::string error;               ///< the reason it gave
  boost::json::value reported;     ///< what it last reported about itself (null = nothing)
};

struct Device {
  std::string id;
  std::string schema;  ///< schema name; may name a schema not created yet, or be empty
  std::map<std::string, std::string> labels;
  std::vector<std::string> groups;                    ///< sorted, unique
  std::string token_hash;                             ///< SHA-256 hex of the device token
  boost::json::value values = boost::json::object{};  ///< the device layer (a merge patch)
  Desired desired;
  DeviceState state;
  TimeMs created_at = 0;
  TimeMs updated_at = 0;
  /// What of the stored row could not be read ("device_values: …"): those fields hold
  /// their defaults. Empty for every row henge wrote itself; a store fills it for a row
  /// damaged outside henge, so that one device cannot take a list of them down.
  std::vector<std::string> unreadable;
};

/// never_connected · in_sync · pending · failed, derived so it is never stale:
/// in sync when the applied revision is the desired one, failed when the desired one
/// was rejected, never connected when the device has not been heard from at all. The
/// rule itself, which the SQL stores render too, is in core/sync_status.hpp.
const char* sync_status(const Device& d) noexcept;

struct Group {
  std::string name;
  std::int64_t priority = 0;
  boost::json::value values = boost::json::object{};  ///< the group layer (a merge patch)
  Revision revision = 0;                              ///< of the last accepted write to this group
  TimeMs created_at = 0;
  TimeMs updated_at = 0;
};

struct SchemaVersion {
  std::string name;
  std::int64_t version = 0;  ///< 1, 2, … per name
  boost::json::value document;
  Revision revision = 0;
  TimeMs created_at = 0;
};

/// One desired revision of one device.
struct HistoryEntry {
  std::string device;
  Revision revision = 0;
  TimeMs at = 0;
  std::string actor;
  std::string action;         ///< what caused it, e.g. "config.set", "group.config.set"
  boost::json::value change;  ///< merge patch from the previous desired config
  boost::json::value config;
  std::string sha256;
};

/// One admin mutation. Append-only.
struct AuditEntry {
  std::uint64_t seq = 0;  ///< assigned by the store, increasing
  TimeMs at = 0;
  std::string actor;
  std::string action;  ///< e.g. "device.create", "schema.put"
  std::string target;  ///< e.g. "device/pi-1"
  boost::json::value change;
  std::string request_id;
  std::string remote;
  Revision revision = 0;  ///< the revision the mutation took, 0 if none
};

/// An operator credential. Only the hash of the secret is kept.
struct Token {
  std::string name;
  std::string role;  ///< "admin" · "operator" · "viewer"
  std::string hash;
  TimeMs created_at = 0;
  TimeMs expires_at = 0;  ///< 0 = never
};

}  // namespace henge::core
