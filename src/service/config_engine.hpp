#pragma once
// The one path by which any write reaches devices' configs. A write names the
// devices it affects and what it is about to change (a group, a schema, a device's
// own fields); plan() computes each device's new effective config and validates it,
// and commit() stores the results under one new revision, with history. Config,
// group, schema and device writes all go through here, so the rules of DESIGN §3
// (validation of every affected device; no revision for a device whose effective
// config did not change) hold in one place.

#include <boost/json/value.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/layering.hpp"
#include "core/model.hpp"
#include "core/result.hpp"
#include "core/schema.hpp"
#include "service/schema_cache.hpp"
#include "store/store.hpp"

namespace henge::service {

/// What the engine uses besides the store: the compiled schemas and the size limit.
struct Engine {
  SchemaCache& schemas;
  std::size_t config_limit = 256 << 10;  ///< largest effective config, serialized
};

/// Who writes and when: what the history entries of a commit record.
struct Stamp {
  core::TimeMs at = 0;
  std::string actor;
};

/// What a write is about to change, seen by plan() before it is stored.
struct PendingChanges {
  /// Groups as they will be; nullopt for a group being deleted.
  std::map<std::string, std::optional<core::Group>> groups;
  /// A new latest version of one schema, with its compiled form.
  std::optional<core::SchemaVersion> schema;
  std::shared_ptr<const core::CompiledSchema> schema_compiled;
};

struct EffectiveView {
  core::Effective effective;
  std::string schema_name;  ///< empty when the device names no existing schema
  std::int64_t schema_version = 0;
  std::shared_ptr<const core::CompiledSchema> compiled;
};

/// The effective config `device` has (or would have with `pending`).
core::Result<EffectiveView> effective_config(const Engine& engine, store::ReadTx& tx, const core::Device& device,
                                             const PendingChanges& pending = {});

struct DeviceChange {
  core::Device device;   ///< as it will be stored; desired.config/sha256 already new
  core::Desired before;  ///< what it had
  bool is_new = false;   ///< insert rather than update
  bool config_changed = false;
};

/// Errc::internal when the store could not read `d`'s own values or desired config
/// (core::Device::unreadable), naming the device: what serves that config must fail
/// for this device alone, and log why.
core::Status check_readable(const core::Device& d);

/// Computes and validates the new effective config of every device in `devices`
/// (given as they will be stored). Errc::validation_failed listing device, path and
/// message for every device that would not validate; Errc::too_large for a config
/// over the limit. A device whose stored values could not be read is left out of a
/// write to a group or a schema (and logged), and makes a write to itself a conflict
/// until its values are replaced whole.
core::Result<std::vector<DeviceChange>> plan(const Engine& engine, store::ReadTx& tx, std::vector<core::Device> devices,
                                             const PendingChanges& pending = {});

/// Stores the planned devices. Takes a revision when any config changed, sets it on
/// those devices and records their history. Devices whose config did not change are
/// written only when `write_unchanged` (their own fields changed). Returns the
/// revision taken, or 0.
core::Revision commit(store::WriteTx& tx, std::vector<DeviceChange>& changes, const Stamp& stamp,
                      const std::string& action, bool write_unchanged);

/// The answer to a dry run: each affected device's before and after.
boost::json::value dry_run_body(const std::vector<DeviceChange>& changes);

}  // namespace henge::service
