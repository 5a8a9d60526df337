#pragma once
// The sync-status rule, written once as data. core::sync_status() evaluates it on a
// Device; the SQL stores render it with sync_status_sql() into the CASE expression their
// status filter and counts use. A store test compares the two over every combination
// that matters, so the rule cannot drift between the memory store and the SQL ones.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace henge::core {

/// The device fields the rule reads. Each is a column of the same name in both SQL
/// stores' devices table.
enum class SyncField : std::uint8_t { applied_revision, rejected_revision, last_seen };

/// What a field is tested for: set, unset, or equal to the desired revision.
enum class SyncTest : std::uint8_t { nonzero, zero, is_desired };

struct SyncCheck {
  SyncField field;
  SyncTest test;
};

/// A status and the two checks that must both hold for it.
struct SyncRule {
  const char* status;
  std::array<SyncCheck, 2> all;
};

/// First match wins: in sync when the applied revision is the desired one, failed when
/// the desired one was rejected, never connected when the device has not been heard from
/// at all; otherwise pending.
inline constexpr std::array<SyncRule, 3> kSyncRules{{
    {"in_sync",
     {{{SyncField::applied_revision, SyncTest::nonzero}, {SyncField::applied_revision, SyncTest::is_desired}}}},
    {"failed",
     {{{SyncField::rejected_revision, SyncTest::nonzero}, {SyncField::rejected_revision, SyncTest::is_desired}}}},
    {"never_connected", {{{SyncField::last_seen, SyncTest::zero}, {SyncField::applied_revision, SyncTest::zero}}}},
}};
inline constexpr const char* kSyncOtherwise = "pending";

/// Every status, in the order the API lists them.
inline constexpr std::array<std::string_view, 4> kSyncStatuses{"never_connected", "in_sync", "pending", "failed"};

/// True for one of kSyncStatuses.
bool is_sync_status(std::string_view s) noexcept;

/// The rule as an SQL CASE expression over the devices table's columns, each prefixed
/// with `qualifier` ("d." for a table aliased d). Standard SQL: SQLite and PostgreSQL
/// both take it.
std::string sync_status_sql(std::string_view qualifier);

}  // namespace henge::core
