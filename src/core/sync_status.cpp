#include "core/sync_status.hpp"

#include <algorithm>

#include "core/model.hpp"

namespace henge::core {

namespace {

// Revisions (unsigned, below 2^63) and times alike, as SQL holds them.
std::int64_t value_of(const Device& d, SyncField f) noexcept {
  switch (f) {
    case SyncField::applied_revision:
      return static_cast<std::int64_t>(d.state.applied_revision);
    case SyncField::rejected_revision:
      return static_cast<std::int64_t>(d.state.rejected_revision);
    case SyncField::last_seen:
      break;
  }
  return d.state.last_seen;
}

bool holds(const Device& d, const SyncCheck& c) noexcept {
  const auto v = value_of(d, c.field);
  switch (c.test) {
    case SyncTest::nonzero:
      return v != 0;
    case SyncTest::zero:
      return v == 0;
    case SyncTest::is_desired:
      break;
  }
  return static_cast<Revision>(v) == d.desired.revision;  // only revisions are tested so
}

std::string_view column_of(SyncField f) noexcept {
  switch (f) {
    case SyncField::applied_revision:
      return "applied_revision";
    case SyncField::rejected_revision:
      return "rejected_revision";
    case SyncField::last_seen:
      break;
  }
  return "last_seen";
}

}  // namespace

const char* sync_status(const Device& d) noexcept {
  for (const auto& rule : kSyncRules) {
    if (std::all_of(rule.all.begin(), rule.all.end(), [&](const SyncCheck& c) { return holds(d, c); })) {
      return rule.status;
    }
  }
  return kSyncOtherwise;
}

bool is_sync_status(std::string_view s) noexcept {
  return std::find(kSyncStatuses.begin(), kSyncStatuses.end(), s) != kSyncStatuses.end();
}

std::string sync_status_sql(std::string_view qualifier) {
  std::string out = "CASE";
  for (const auto& rule : kSyncRules) {
    out += " WHEN ";
    for (std::size_t i = 0; i < rule.all.size(); ++i) {
      const auto& c = rule.all[i];
      if (i > 0) out += " AND ";
      out.append(qualifier).append(column_of(c.field));
      switch (c.test) {
        case SyncTest::nonzero:
          out += " <> 0";
          break;
        case SyncTest::zero:
          out += " = 0";
          break;
        case SyncTest::is_desired:
          out.append(" = ").append(qualifier).append("desired_revision");
          break;
      }
    }
    out.append(" THEN '").append(rule.status).append("'");
  }
  out.append(" ELSE '").append(kSyncOtherwise).append("' END");
  return out;
}

}  // namespace henge::core
