#pragma once
// Rows whose JSON no read can get past, written by henge versions before the one JSON
// policy (a `1e400` stored as `Infinity`, nesting built past any limit by a pointer
// write): found once, when the database is migrated, each document moved whole into
// the `quarantine` table (table, row, column, text, reason, time) and replaced by an
// empty one, so that the row reads again and nothing of it is lost. Each is logged at
// `error`; docs/operations.md says how to look at and repair them.

#include <cstddef>

#include "core/model.hpp"
#include "store/sqlite/db.hpp"

namespace henge::store::sqlite {

/// Quarantines every unreadable JSON document in `db` (inside the caller's
/// transaction). Returns how many it moved.
std::size_t quarantine_unreadable(Db& db, core::TimeMs now);

}  // namespace henge::store::sqlite
