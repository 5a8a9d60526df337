#pragma once
// The Store for many replicas: PostgreSQL over libpq. A pool of connections, statements
// prepared once per connection, versioned migrations that several replicas starting
// together apply once (under an advisory lock), one serialized writer across every
// replica (the revision counter row is locked first in each write), and a change feed
// that delivers every replica's commits in revision order (change_feed.hpp).

#include <chrono>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "store/store.hpp"

namespace henge::store {

struct PostgresOptions {
  std::string url;                         ///< postgres://user:password@host:port/database, or key=value pairs
  std::string replica;                     ///< names this henged in connection records; unique per process
  std::chrono::milliseconds lease{15000};  ///< how long a silent replica's streams count as connected
};

/// Connects, migrates the schema and starts the change feed. Errc::unavailable when
/// the database cannot be reached or migrated, Errc::conflict when a newer henge
/// wrote it.
core::Result<std::unique_ptr<Store>> open_postgres_store(const PostgresOptions& options);

}  // namespace henge::store
