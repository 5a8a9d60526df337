#pragma once
// The embedded default Store: SQLite in WAL mode with synchronous=FULL, foreign keys
// on, a busy timeout, and versioned migrations applied at open.

#include <filesystem>
#include <memory>

#include "core/result.hpp"
#include "store/store.hpp"

namespace henge::store {

/// Opens (creating if needed) the database at `path` and migrates it to the current
/// schema. Errc::unavailable when the file cannot be opened or migrated, and
/// Errc::conflict when it was written by a newer henge.
core::Result<std::unique_ptr<Store>> open_sqlite_store(const std::filesystem::path& path);

}  // namespace henge::store
