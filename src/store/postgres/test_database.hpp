#pragma once
// For tests: fresh databases on the PostgreSQL server the suite started
// (scripts/test-postgres.sh, named by HENGE_TEST_PG_DIR). Header-only, test code only.

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>

#include "store/postgres/pg.hpp"

namespace henge::store::postgres::testing {

/// The URL of the suite's server (its `postgres` database), or nullopt when the
/// tests run without one.
inline std::optional<std::string> server_url() {
  const char* dir = std::getenv("HENGE_TEST_PG_DIR");
  if (dir == nullptr || *dir == '\0') return std::nullopt;
  std::ifstream in(std::string(dir) + "/url");
  std::string url;
  if (!std::getline(in, url) || url.empty()) return std::nullopt;
  return url;
}

/// Creates an empty database and returns its URL; names are unique per process.
inline std::string create_database(const std::string& server) {
  static std::atomic<int> counter{0};
  const std::string name = "t" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
  pg::Conn admin(server);
  admin.exec(("DROP DATABASE IF EXISTS " + name).c_str());
  admin.exec(("CREATE DATABASE " + name).c_str());
  return server.substr(0, server.rfind('/') + 1) + name;
}

}  // namespace henge::store::postgres::testing
