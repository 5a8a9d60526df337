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

// Two devices, one group, and their history and audit, written through the store.
void seed(Store& store) {
  auto s = store.write([](WriteTx& tx) {
    const auto rev = tx.take_revision();
    for (const char* id : {"good", "bad"}) {
      Device d;
      d.id = id;
      d.token_hash = std::string("hash-") + id;
      d.desired.revision = rev;
      d.desired.sha256 = "sha";
      tx.insert_device(d);
      tx.append_history(
          HistoryEntry{id, rev, 1, "a", "device.create", boost::json::object{}, boost::json::object{}, "sha"});
    }
    tx.put_group(Group{"g", 0, boost::json::parse(R"({"a":1})"), rev, 1, 1});
    AuditEntry a;
    a.action = "device.create";
    a.change = boost::json::object{};
    tx.append_audit(a);
    return Status{};
  });
  ASSERT_TRUE(s.ok()) << s.error().message;
}

std::vector<Device> all_devices(Store& store) {
  std::vector<Device> out;
  auto s = store.read([&](ReadTx& tx) {
    out = tx.devices(DeviceQuery{});
    return Status{};
  });
  EXPECT_TRUE(s.ok()) << s.error().message;
  return out;
}

// What henge wrote before the one JSON policy: `1e400` serialized as Infinity, and
// nesting a pointer write built past any limit.
const std::string kDeep = std::string(100, '[') + std::string(100, ']');

TEST(SqliteStore, MigratingQuarantinesRowsOlderVersionsLeftUnreadable) {
  const auto dir = temp_dir("quarantine");
  {
    auto store = open_sqlite_store(dir / "h.db");
    ASSERT_TRUE(store.ok());
    seed(**store);
  }
  {
    // As a database of schema version 2 with poisoned rows would be.
    sqlite::Db db((dir / "h.db").string());
    db.exec("DROP TABLE quarantine; PRAGMA user_version = 2");
    db.exec(("UPDATE devices SET reported = '{\"x\":Infinity}', device_values = '" + kDeep +
             "', desired_config = '{\"x\":-Infinity}' WHERE id = 'bad'")
                .c_str());
    db.exec("UPDATE groups SET group_values = '{\"x\":Infinity}'");
    db.exec(("UPDATE history SET config = '" + kDeep + "' WHERE device_id = 'bad'").c_str());
    db.exec("UPDATE audit SET change = '{\"x\":Infinity}'");
  }
  auto store = open_sqlite_store(dir / "h.db");
  ASSERT_TRUE(store.ok()) << store.error().message;
  const auto devices = all_devices(**store);
  ASSERT_EQ(devices.size(), 2U);
  for (const auto& d : devices) EXPECT_TRUE(d.unreadable.empty()) << d.id << ": " << d.unreadable.front();
  const auto& bad = devices[0].id == "bad" ? devices[0] : devices[1];
  EXPECT_EQ(bad.values, boost::json::object{});
  EXPECT_TRUE(bad.state.reported.is_null());
  EXPECT_EQ(bad.desired.sha256, "sha") << "the digest stays, so a device refuses the placeholder";
  auto read = (*store)->read([](ReadTx& tx) {
    EXPECT_EQ(tx.group("g")->values, boost::json::object{});
    EXPECT_EQ(tx.history("bad", 0, 10).size(), 1U);
    EXPECT_TRUE(tx.audit(AuditQuery{}).front().change.is_null());
    return Status{};
  });
  EXPECT_TRUE(read.ok()) << read.error().message;
  store->reset();
  // Every document moved aside whole, with where it was and why.
  sqlite::Db db((dir / "h.db").string());
  auto st = db.prepare("SELECT table_name, row_name, column_name, text FROM quarantine ORDER BY seq");
  std::vector<std::string> moved;
  while (st.step()) moved.push_back(st.text(0) + "/" + st.text(1) + "/" + st.text(2) + "=" + st.text(3).substr(0, 12));
  EXPECT_EQ(moved, (std::vector<std::string>{
                       "devices/bad/device_values=" + kDeep.substr(0, 12), "devices/bad/desired_config={\"x\":-Infini",
                       "devices/bad/reported={\"x\":Infinit", "groups/g/group_values={\"x\":Infinit",
                       "history/bad@1/config=" + kDeep.substr(0, 12), "audit/1/change={\"x\":Infinit"}));
  fs::remove_all(dir);
}

TEST(SqliteStore, ARowDamagedLaterIsListedWithWhatCannotBeReadNotFatal) {
  const auto dir = temp_dir("damaged");
  auto store = open_sqlite_store(dir / "h.db");
  ASSERT_TRUE(store.ok());
  seed(**store);
  {
    sqlite::Db db((dir / "h.db").string());
    db.exec("UPDATE devices SET reported = '{\"x\":Infinity}', device_values = 'not json' WHERE id = 'bad'");
  }
  const auto devices = all_devices(**store);
  ASSERT_EQ(devices.size(), 2U) << "one damaged row does not take the list down";
  const auto& bad = devices[0];
  const auto& good = devices[1];
  ASSERT_EQ(bad.id, "bad");
  EXPECT_TRUE(good.unreadable.empty());
  ASSERT_EQ(bad.unreadable.size(), 2U);
  EXPECT_EQ(bad.unreadable[0].rfind("device_values: stored JSON does not parse", 0), 0U) << bad.unreadable[0];
  EXPECT_EQ(bad.unreadable[1].rfind("reported: ", 0), 0U);
  EXPECT_EQ(bad.values, boost::json::object{});
  fs::remove_all(dir);
}

}  // namespace
}  // namespace henge::store
