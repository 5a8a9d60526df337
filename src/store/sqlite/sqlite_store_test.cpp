// What only the SQLite store promises: data survives reopening, a database from a
// newer henge is refused rather than misread, and checkpoints stay off the writer's path.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <thread>

#include "store/sqlite/checkpointer.hpp"
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

namespace henge::store::sqlite {
namespace {

// The write-ahead log is copied back into the database off the writer's path, once it
// is long: the commits leave the database file as it was, and the checkpointer's
// thread grows it.
TEST(Checkpointer, CopiesALongLogIntoTheDatabaseOnItsOwnThread) {
  const auto dir = std::filesystem::temp_directory_path() / ("henge-checkpointer-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto path = (dir / "c.db").string();
  Db writer(path);
  writer.exec("PRAGMA journal_mode = WAL; CREATE TABLE t (v TEXT NOT NULL)");
  sqlite3_wal_checkpoint_v2(writer.handle(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
  const auto empty = std::filesystem::file_size(path);
  {
    Checkpointer checkpointer(path, writer, 50);
    writer.exec("BEGIN");
    for (int i = 0; i < 2000; ++i) {
      auto st = writer.prepare("INSERT INTO t (v) VALUES (?)");
      st.bind_all(std::string(200, static_cast<char>('a' + i % 26))).run();
    }
    writer.exec("COMMIT");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (checkpointer.runs() == 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    EXPECT_EQ(checkpointer.runs(), 1u);
  }
  EXPECT_GT(std::filesystem::file_size(path), empty + 50 * 4096) << "the log's pages are in the database";
  auto count = writer.prepare("SELECT COUNT(*) FROM t");
  ASSERT_TRUE(count.step());
  EXPECT_EQ(count.i64(0), 2000);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace henge::store::sqlite
