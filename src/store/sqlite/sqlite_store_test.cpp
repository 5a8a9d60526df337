// What only the SQLite store promises: data survives reopening, and a database from a
// newer henge is refused rather than misread.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>

#include "store/sqlite/db.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace henge::store {
namespace {

using namespace henge::core;
namespace fs = std::filesystem;

fs::path temp_dir(const char* name) {
  auto dir = fs::temp_directory_path() / (std::string("henge-sqlite-") + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

TEST(SqliteStore, DataSurvivesReopen) {
  const auto dir = temp_dir("reopen");
  {
    auto store = open_sqlite_store(dir / "h.db");
    ASSERT_TRUE(store.ok());
    auto s = (*store)->write([](WriteTx& tx) {
      tx.take_revision();
      tx.put_group(Group{"g", 3, boost::json::parse(R"({"a":1})"), 1, 1, 1});
      return Status{};
    });
    ASSERT_TRUE(s.ok());
  }
  auto store = open_sqlite_store(dir / "h.db");
  ASSERT_TRUE(store.ok());
  Revision rev = 0;
  std::optional<Group> g;
  ASSERT_TRUE((*store)
                  ->read([&](ReadTx& tx) {
                    rev = tx.revision();
                    g = tx.group("g");
                    return Status{};
                  })
                  .ok());
  EXPECT_EQ(rev, 1u);
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->priority, 3);
  fs::remove_all(dir);
}

TEST(SqliteStore, RefusesADatabaseFromANewerHenge) {
  const auto dir = temp_dir("newer");
  {
    sqlite::Db db((dir / "h.db").string());
    db.exec("PRAGMA user_version = 999");
  }
  auto store = open_sqlite_store(dir / "h.db");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, Errc::conflict);
  fs::remove_all(dir);
}

TEST(SqliteStore, UnopenablePathIsUnavailable) {
  auto store = open_sqlite_store("/nonexistent-dir/deeper/h.db");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, Errc::unavailable);
}

}  // namespace
}  // namespace henge::store
