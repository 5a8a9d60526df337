// What only the PostgreSQL store promises: replicas over one database see each
// other's commits through the change feed, in revision order, even when the feed's
// connection is killed; replicas starting together migrate once; a database from a
// newer henge is refused.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "store/postgres/pg.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/postgres/test_database.hpp"

namespace henge::store {
namespace {

using namespace henge::core;
namespace json = boost::json;
using namespace std::chrono_literals;

// Collects delivered events; waits for a revision with a deadline.
class Events {
 public:
  void operator()(const ChangeEvent& e) {
    std::lock_guard lock(mu_);
    events_.push_back(e);
    cv_.notify_all();
  }
  bool wait_for_revision(Revision rev, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return !events_.empty() && events_.back().revision >= rev; });
  }
  std::vector<ChangeEvent> all() {
    std::lock_guard lock(mu_);
    return events_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<ChangeEvent> events_;
};

class PostgresStore : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = postgres::testing::server_url();
    if (!server_) GTEST_SKIP() << "no PostgreSQL server for tests (HENGE_TEST_PG_DIR); ctest starts one";
    url_ = postgres::testing::create_database(*server_);
  }

  std::unique_ptr<Store> open(const std::string& replica) {
    auto s = open_postgres_store({url_, replica, 15s});
    EXPECT_TRUE(s.ok()) << s.error().message;
    return s ? std::move(s).value() : nullptr;
  }

  // Sets device `id`'s desired config to {"v": v} at a new revision; returns it.
  static Revision set(Store& store, const std::string& id, int v) {
    Revision rev = 0;
    auto s = store.write([&](WriteTx& tx) -> Status {
      rev = tx.take_revision();
      Desired d{rev, json::object{{"v", v}}, "sha-" + std::to_string(v), ""};
      if (!tx.device(id)) {
        Device dev;
        dev.id = id;
        dev.token_hash = "hash-" + id;
        dev.desired = d;
        tx.insert_device(dev);
      } else {
        tx.update_desired(id, d);
      }
      return {};
    });
    EXPECT_TRUE(s.ok()) << s.error().message;
    return rev;
  }

  std::optional<std::string> server_;
  std::string url_;
};

TEST_F(PostgresStore, EachReplicaSeesEveryCommitInRevisionOrder) {
  auto a = open("a");
  auto b = open("b");
  Events seen_a;
  Events seen_b;
  a->set_change_listener(std::ref(seen_a));
  b->set_change_listener(std::ref(seen_b));
  Revision last = 0;
  for (int i = 0; i < 20; ++i) last = set(i % 2 == 0 ? *a : *b, "dev-" + std::to_string(i % 3), i);
  ASSERT_TRUE(seen_a.wait_for_revision(last));
  ASSERT_TRUE(seen_b.wait_for_revision(last));
  for (auto* seen : {&seen_a, &seen_b}) {
    const auto events = seen->all();
    for (std::size_t i = 1; i < events.size(); ++i) EXPECT_LT(events[i - 1].revision, events[i].revision);
    // Each device's last config is the last one delivered for it.
    std::map<std::string, json::value> latest;
    for (const auto& e : events) {
      for (const auto& c : e.changes) latest[c.device] = c.desired.config;
    }
    EXPECT_EQ(latest["dev-0"], (json::object{{"v", 18}}));
    EXPECT_EQ(latest["dev-1"], (json::object{{"v", 19}}));
    EXPECT_EQ(latest["dev-2"], (json::object{{"v", 17}}));
  }
}

TEST_F(PostgresStore, FeedCatchesUpAfterItsConnectionIsKilled) {
  auto a = open("a");
  auto b = open("b");
  Events seen_b;
  b->set_change_listener(std::ref(seen_b));
  // Kill every connection of both replicas (their feeds' listeners among them), then
  // commit on a: its pool retries on a fresh connection, and b gets the change from
  // the row it reads when its feed reconnects, though the notification went nowhere.
  pg::Conn admin(url_);
  auto killed = admin.run(
      "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
      "WHERE datname = current_database() AND pid <> pg_backend_pid()) k");
  ASSERT_GE(killed.i64(0, 0), 2) << "both feeds' listeners";
  const auto rev = set(*a, "pi-1", 42);
  ASSERT_TRUE(seen_b.wait_for_revision(rev, 10s)) << "b never received revision " << rev;
  const auto events = seen_b.all();
  ASSERT_FALSE(events.empty());
  ASSERT_EQ(events.back().changes.size(), 1u);
  EXPECT_EQ(events.back().changes[0].device, "pi-1");
  EXPECT_EQ(events.back().changes[0].desired.config, (json::object{{"v", 42}}));
}

TEST_F(PostgresStore, ANotificationThatArrivesDuringTheFeedsOwnQueryIsDelivered) {
  // a renews its lease every second; b not during this test.
  auto opened = open_postgres_store({url_, "a", 3s});
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  auto a = std::move(opened).value();
  auto b = open_postgres_store({url_, "b", 60s});
  ASSERT_TRUE(b.ok()) << b.error().message;
  Events seen_a;
  a->set_change_listener(std::ref(seen_a));

  // Hold a's next lease renewal on a lock, and commit on b while it waits: the
  // notification then reaches a's listening connection while that connection is
  // in its own query, so libpq reads it there, not from the socket.
  pg::Conn blocker(url_);
  blocker.exec("BEGIN");
  blocker.exec("LOCK TABLE replicas IN EXCLUSIVE MODE");
  pg::Conn watcher(url_);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (watcher
             .run("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                  "AND wait_event_type = 'Lock' AND query LIKE 'UPDATE replicas%'")
             .i64(0, 0) == 0) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "a's lease renewal never waited on the lock";
    std::this_thread::sleep_for(5ms);  // polling the condition, not waiting it out
  }
  const auto rev = set(*b.value(), "pi-1", 7);
  blocker.exec("COMMIT");
  ASSERT_TRUE(seen_a.wait_for_revision(rev, 5s)) << "a never delivered revision " << rev;
  EXPECT_EQ(seen_a.all().back().changes.at(0).desired.config, (json::object{{"v", 7}}));
}

TEST_F(PostgresStore, ReplicasStartingTogetherMigrateOnce) {
  std::vector<std::unique_ptr<Store>> stores(4);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < stores.size(); ++i) {
    threads.emplace_back([&, i] { stores[i] = open("r" + std::to_string(i)); });
  }
  for (auto& t : threads) t.join();
  for (const auto& s : stores) ASSERT_NE(s, nullptr);
  pg::Conn c(url_);
  auto v = c.run("SELECT version FROM henge_schema");
  ASSERT_EQ(v.size(), 1);
  EXPECT_GE(v.i64(0, 0), 1);
}

TEST_F(PostgresStore, RefusesADatabaseFromANewerHenge) {
  { auto s = open("a"); }
  pg::Conn c(url_);
  c.exec("UPDATE henge_schema SET version = 999");
  auto s = open_postgres_store({url_, "b", 15s});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::conflict);
  EXPECT_NE(s.error().message.find("newer henge"), std::string::npos);
}

TEST_F(PostgresStore, ConnectedCountsOnlyWhileTheHoldingReplicaIsLive) {
  auto a = open("a");
  set(*a, "pi-1", 1);
  ASSERT_TRUE(a->write([](WriteTx& tx) -> Status {
                 tx.set_connection("pi-1", true, 10);
                 return {};
               }).ok());
  auto b = open("b");
  auto connected = [&] {
    bool out = false;
    EXPECT_TRUE(b->read([&](ReadTx& tx) -> Status {
                   out = tx.device("pi-1")->state.connected;
                   return {};
                 }).ok());
    return out;
  };
  EXPECT_TRUE(connected());
  // b's "disconnected" does not undo a's stream.
  ASSERT_TRUE(b->write([](WriteTx& tx) -> Status {
                 tx.set_connection("pi-1", false, 11);
                 return {};
               }).ok());
  EXPECT_TRUE(connected());
  // a's lease ends (as when it is killed and the lease runs out): not connected.
  pg::Conn c(url_);
  c.exec("UPDATE replicas SET expires_at = 0 WHERE id = 'a'");
  EXPECT_FALSE(connected());
}

TEST_F(PostgresStore, MigratingQuarantinesRowsOlderVersionsLeftUnreadableAndLaterDamageIsNamed) {
  {
    auto store = open("a");
    set(*store, "good", 1);
    set(*store, "bad", 2);
  }
  {
    // As a database of schema version 1 that took `1e400` (stored as Infinity) would be.
    pg::Conn c(url_);
    c.exec("DROP TABLE quarantine; UPDATE henge_schema SET version = 1");
    c.exec("UPDATE devices SET reported = '{\"x\":Infinity}', desired_config = '[[[' WHERE id = 'bad'");
  }
  auto store = open("a");
  std::vector<Device> devices;
  auto read = [&] {
    auto st = store->read([&](ReadTx& tx) {
      devices = tx.devices(DeviceQuery{});
      return Status{};
    });
    ASSERT_TRUE(st.ok()) << st.error().message;
  };
  read();
  ASSERT_EQ(devices.size(), 2U);
  EXPECT_TRUE(devices[0].unreadable.empty());
  EXPECT_EQ(devices[0].desired.config, json::object{});
  EXPECT_TRUE(devices[0].state.reported.is_null());
  {
    pg::Conn c(url_);
    auto rows = c.run("SELECT row_name || '/' || column_name || '=' || text FROM quarantine ORDER BY seq");
    ASSERT_EQ(rows.size(), 2);
    EXPECT_EQ(rows.text(0, 0), "bad/desired_config=[[[");
    EXPECT_EQ(rows.text(1, 0), "bad/reported={\"x\":Infinity}");
    // Damage after the migration is read as what it is: named, not fatal.
    c.exec("UPDATE devices SET device_values = 'nope' WHERE id = 'good'");
  }
  read();
  ASSERT_EQ(devices.size(), 2U);
  ASSERT_EQ(devices[1].id, "good");
  ASSERT_EQ(devices[1].unreadable.size(), 1U);
  EXPECT_EQ(devices[1].unreadable[0].rfind("device_values: ", 0), 0U);
}

}  // namespace
}  // namespace henge::store
