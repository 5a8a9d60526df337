#pragma once
// PostgreSQL's half of store/sqlite/quarantine.hpp: rows whose JSON no read can get
// past, written by henge versions before the one JSON policy, moved whole into the
// `quarantine` table when the database is migrated to the version that made it, each
// replaced by an empty document and logged at `error`.

#include <cstddef>

#include "core/model.hpp"
#include "store/postgres/pg.hpp"

namespace henge::store::postgres {

/// Quarantines every unreadable JSON document (inside the caller's transaction).
/// Returns how many it moved.
std::size_t quarantine_unreadable(pg::Conn& c, core::TimeMs now);

}  // namespace henge::store::postgres
