// The store contract: one suite, run unchanged against every Store implementation.

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <filesystem>
#include <functional>
#include <map>
#include <stdexcept>
#include <thread>

#include "core/sync_status.hpp"
#include "store/memory/memory_store.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/postgres/test_database.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace henge::store {
namespace {

using namespace henge::core;
namespace json = boost::json;
namespace fs = std::filesystem;

struct Backend {
  const char* name;
  std::function<std::unique_ptr<Store>(const fs::path& dir)> open;
  bool needs_postgres = false;
};

const Backend kBackends[] = {
    {"memory", [](const fs::path&) { return make_memory_store(); }},
    {"sqlite",
     [](const fs::path& dir) {
       auto s = open_sqlite_store(dir / "henge.db");
       EXPECT_TRUE(s.ok()) << s.error().message;
       return std::move(s).value();
     }},
    {"postgres",
     [](const fs::path&) -> std::unique_ptr<Store> {
       const auto url = postgres::testing::create_database(*postgres::testing::server_url());
       auto s = open_postgres_store({url, "contract", std::chrono::seconds(15)});
       EXPECT_TRUE(s.ok()) << s.error().message;
       return s ? std::move(s).value() : nullptr;
     },
     true},
};

// Builds a query by naming only the fields a test cares about.
template <class Q = DeviceQuery, class F>
Q query(F&& set) {
  Q q;
  set(q);
  return q;
}

// Names the backend in test output instead of dumping its bytes.
void PrintTo(const Backend& b, std::ostream* os) {
  *os << b.name;
}

class StoreContract : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam().needs_postgres && !postgres::testing::server_url()) {
      GTEST_SKIP() << "no PostgreSQL server for tests (HENGE_TEST_PG_DIR); ctest starts one";
    }
    dir_ = fs::temp_directory_path() / ("henge-store-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    fs::create_directories(dir_);
    store_ = GetParam().open(dir_);
    ASSERT_NE(store_, nullptr);
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  static Device make_device(const std::string& id, std::vector<std::string> groups = {}) {
    Device d;
    d.id = id;
    d.schema = "pi";
    d.labels = {{"site", "lab"}};
    d.groups = std::move(groups);
    d.token_hash = "hash-" + id;
    d.created_at = d.updated_at = 1000;
    return d;
  }

  void write_ok(const std::function<Status(WriteTx&)>& fn) {
    auto s = store_->write(fn);
    ASSERT_TRUE(s.ok()) << s.error().message;
  }

  template <class T>
  T read(const std::function<T(ReadTx&)>& fn) {
    T out{};
    auto s = store_->read([&](ReadTx& tx) {
      out = fn(tx);
      return Status{};
    });
    EXPECT_TRUE(s.ok());
    return out;
  }

  static inline int counter_ = 0;
  fs::path dir_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreContract, EmptyStoreHasRevisionZero) {
  EXPECT_EQ(read<Revision>([](ReadTx& tx) { return tx.revision(); }), 0u);
}

TEST_P(StoreContract, RevisionIsTakenOncePerTransactionAndIncreases) {
  Revision first = 0, again = 0, second = 0;
  write_ok([&](WriteTx& tx) {
    first = tx.take_revision();
    again = tx.take_revision();
    return Status{};
  });
  write_ok([&](WriteTx& tx) {
    second = tx.take_revision();
    return Status{};
  });
  EXPECT_EQ(first, 1u);
  EXPECT_EQ(again, 1u);
  EXPECT_EQ(second, 2u);
  EXPECT_EQ(read<Revision>([](ReadTx& tx) { return tx.revision(); }), 2u);
}

TEST_P(StoreContract, TransactionWithoutRevisionTakesNone) {
  write_ok([](WriteTx& tx) {
    tx.put_group(Group{"g", 1, json::object{}, 0, 1, 1});
    return Status{};
  });
  EXPECT_EQ(read<Revision>([](ReadTx& tx) { return tx.revision(); }), 0u);
}

TEST_P(StoreContract, FailedWriteChangesNothing) {
  auto s = store_->write([&](WriteTx& tx) {
    tx.take_revision();
    tx.insert_device(make_device("a"));
    return Status{make_error(Errc::validation_failed, "no")};
  });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::validation_failed);
  EXPECT_FALSE(read<bool>([](ReadTx& tx) { return tx.device("a").has_value(); }));
  EXPECT_EQ(read<Revision>([](ReadTx& tx) { return tx.revision(); }), 0u);
}

// A transaction's function that throws (a storage failure inside a WriteTx call, or a
// bug) is rolled back and answered as an internal error naming it, by every store: no
// exception leaves read() or write(), and no part of the write lands.
TEST_P(StoreContract, AFunctionThatThrowsIsRolledBackAndAnInternalError) {
  auto s = store_->write([&](WriteTx& tx) -> Status {
    tx.take_revision();
    tx.insert_device(make_device("a"));
    throw std::runtime_error("the disk went away");
  });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::internal);
  EXPECT_NE(s.error().message.find("the disk went away"), std::string::npos) << s.error().message;
  EXPECT_FALSE(read<bool>([](ReadTx& tx) { return tx.device("a").has_value(); }));
  EXPECT_EQ(read<Revision>([](ReadTx& tx) { return tx.revision(); }), 0u);

  auto r = store_->read([](ReadTx&) -> Status { throw std::runtime_error("a reader's failure"); });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::internal);
  write_ok([](WriteTx& tx) {
    tx.insert_device(make_device("b"));
    return Status{};
  });
  EXPECT_TRUE(read<bool>([](ReadTx& tx) { return tx.device("b").has_value(); })) << "the store still works";
}

TEST_P(StoreContract, DeviceRoundTripsEveryField) {
  Device d = make_device("pi-1", {"a", "b"});
  d.values = json::parse(R"({"led":{"on":true}})");
  d.desired = Desired{7, json::parse(R"({"led":{"on":true},"x":1})"), "abc", "pi@2"};
  write_ok([&](WriteTx& tx) {
    tx.insert_device(d);
    return Status{};
  });
  auto got = read<std::optional<Device>>([](ReadTx& tx) { return tx.device("pi-1"); });
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->schema, "pi");
  EXPECT_EQ(got->labels, d.labels);
  EXPECT_EQ(got->groups, d.groups);
  EXPECT_EQ(got->token_hash, "hash-pi-1");
  EXPECT_EQ(got->values, d.values);
  EXPECT_EQ(got->desired.revision, 7u);
  EXPECT_EQ(got->desired.config, d.desired.config);
  EXPECT_EQ(got->desired.sha256, "abc");
  EXPECT_EQ(got->desired.schema, "pi@2");
  EXPECT_FALSE(got->state.connected);
  EXPECT_EQ(got->state.last_seen, 0);
  EXPECT_TRUE(got->state.reported.is_null());
  auto by_token = read<std::optional<Device>>([](ReadTx& tx) { return tx.device_by_token_hash("hash-pi-1"); });
  ASSERT_TRUE(by_token.has_value());
  EXPECT_EQ(by_token->id, "pi-1");
}

TEST_P(StoreContract, UpdateReplacesGroupsAndDeleteRemovesDeviceAndHistory) {
  write_ok([&](WriteTx& tx) {
    tx.insert_device(make_device("d", {"a"}));
    tx.append_history(HistoryEntry{"d", 1, 1, "op", "x", json::object{}, json::object{}, "s"});
    return Status{};
  });
  write_ok([&](WriteTx& tx) {
    auto d = *tx.device("d");
    d.groups = {"b"};
    tx.update_device(d);
    return Status{};
  });
  EXPECT_EQ(read<std::size_t>([](ReadTx& tx) { return tx.devices_in_group("a").size(); }), 0u);
  const auto in_b = read<std::vector<Device>>([](ReadTx& tx) { return tx.devices_in_group("b"); });
  ASSERT_EQ(in_b.size(), 1u);
  EXPECT_EQ(in_b[0].id, "d");
  EXPECT_EQ(in_b[0].groups, std::vector<std::string>{"b"});
  write_ok([](WriteTx& tx) {
    tx.delete_device("d");
    return Status{};
  });
  EXPECT_FALSE(read<bool>([](ReadTx& tx) { return tx.device("d").has_value(); }));
  EXPECT_TRUE(read<bool>([](ReadTx& tx) { return tx.history("d", 0, 10).empty(); }));
  EXPECT_TRUE(read<bool>([](ReadTx& tx) { return tx.devices_in_group("b").empty(); }));
}

TEST_P(StoreContract, DeviceListFiltersAndPaginates) {
  write_ok([&](WriteTx& tx) {
    for (int i = 0; i < 5; ++i) {
      auto d = make_device("d" + std::to_string(i),
                           i % 2 == 0 ? std::vector<std::string>{"even"} : std::vector<std::string>{"odd"});
      if (i == 3) d.labels = {{"site", "home"}};
      if (i == 4) d.schema = "other";
      tx.insert_device(d);
    }
    return Status{};
  });
  auto ids = [&](DeviceQuery q) {
    return read<std::vector<std::string>>([&](ReadTx& tx) {
      std::vector<std::string> out;
      for (const auto& d : tx.devices(q)) out.push_back(d.id);
      return out;
    });
  };
  EXPECT_EQ(ids({}), (std::vector<std::string>{"d0", "d1", "d2", "d3", "d4"}));
  EXPECT_EQ(ids(query([](DeviceQuery& q) { q.group = "even"; })), (std::vector<std::string>{"d0", "d2", "d4"}));
  EXPECT_EQ(ids(query([](DeviceQuery& q) { q.schema = "other"; })), (std::vector<std::string>{"d4"}));
  EXPECT_EQ(ids(query([](DeviceQuery& q) {
              q.label_key = "site";
              q.label_value = "home";
            })),
            (std::vector<std::string>{"d3"}));
  EXPECT_EQ(ids(query([](DeviceQuery& q) { q.label_key = "site"; })).size(), 5u);
  EXPECT_EQ(ids(query([](DeviceQuery& q) { q.label_key = "nope"; })).size(), 0u);
  EXPECT_EQ(ids(query([](DeviceQuery& q) { q.limit = 2; })), (std::vector<std::string>{"d0", "d1"}));
  EXPECT_EQ(ids(query([](DeviceQuery& q) {
              q.after_id = "d1";
              q.limit = 2;
            })),
            (std::vector<std::string>{"d2", "d3"}));
  EXPECT_EQ(read<std::size_t>([](ReadTx& tx) { return tx.devices_with_schema("pi").size(); }), 4u);
}

TEST_P(StoreContract, SchemaVersionsAreKeptInOrder) {
  write_ok([](WriteTx& tx) {
    tx.insert_schema_version(SchemaVersion{"pi", 1, json::parse(R"({"type":"object"})"), 1, 1});
    tx.insert_schema_version(SchemaVersion{"pi", 2, json::parse(R"({"type":"object","title":"2"})"), 2, 2});
    tx.insert_schema_version(SchemaVersion{"a", 1, json::object{}, 3, 3});
    return Status{};
  });
  auto latest = read<std::optional<SchemaVersion>>([](ReadTx& tx) { return tx.schema("pi", 0); });
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->version, 2);
  EXPECT_EQ(read<std::optional<SchemaVersion>>([](ReadTx& tx) { return tx.schema("pi", 1); })->version, 1);
  EXPECT_FALSE(read<bool>([](ReadTx& tx) { return tx.schema("pi", 3).has_value(); }));
  EXPECT_FALSE(read<bool>([](ReadTx& tx) { return tx.schema("zz", 0).has_value(); }));
  auto all = read<std::vector<SchemaVersion>>([](ReadTx& tx) { return tx.schemas(); });
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "a");
  EXPECT_EQ(all[1].version, 2);
  EXPECT_EQ(read<std::vector<SchemaVersion>>([](ReadTx& tx) { return tx.schema_versions("pi"); }).size(), 2u);
}

TEST_P(StoreContract, GroupsPutReplaceAndDelete) {
  write_ok([](WriteTx& tx) {
    tx.put_group(Group{"b", 5, json::parse(R"({"x":1})"), 1, 1, 1});
    tx.put_group(Group{"a", 1, json::object{}, 1, 1, 1});
    tx.put_group(Group{"b", 6, json::parse(R"({"x":2})"), 2, 1, 2});
    return Status{};
  });
  auto b = read<std::optional<Group>>([](ReadTx& tx) { return tx.group("b"); });
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->priority, 6);
  EXPECT_EQ(b->values, json::parse(R"({"x":2})"));
  EXPECT_EQ(read<std::vector<Group>>([](ReadTx& tx) { return tx.groups(); }).front().name, "a");
  write_ok([](WriteTx& tx) {
    tx.delete_group("b");
    return Status{};
  });
  EXPECT_FALSE(read<bool>([](ReadTx& tx) { return tx.group("b").has_value(); }));
}

TEST_P(StoreContract, HistoryIsNewestFirstAndPaginates) {
  write_ok([&](WriteTx& tx) {
    tx.insert_device(make_device("d"));
    for (Revision r = 1; r <= 5; ++r) {
      tx.append_history(HistoryEntry{"d", r, 10, "op", "config.put", json::object{}, json::object{{"r", r}},
                                     "s" + std::to_string(r)});
    }
    return Status{};
  });
  auto page = read<std::vector<HistoryEntry>>([](ReadTx& tx) { return tx.history("d", 0, 2); });
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].revision, 5u);
  EXPECT_EQ(page[1].revision, 4u);
  page = read<std::vector<HistoryEntry>>([](ReadTx& tx) { return tx.history("d", 4, 10); });
  ASSERT_EQ(page.size(), 3u);
  EXPECT_EQ(page[0].revision, 3u);
  auto one = read<std::optional<HistoryEntry>>([](ReadTx& tx) { return tx.history_entry("d", 2); });
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->config, json::parse(R"({"r":2})"));
}

TEST_P(StoreContract, AuditIsAppendOnlyNewestFirstAndFiltered) {
  write_ok([](WriteTx& tx) {
    tx.append_audit(AuditEntry{0, 1, "alice", "device.create", "device/a", json::object{}, "r1", "127.0.0.1", 0});
    tx.append_audit(AuditEntry{0, 2, "bob", "device.delete", "device/a", json::object{}, "r2", "127.0.0.1", 0});
    tx.append_audit(AuditEntry{0, 3, "alice", "group.put", "group/g", json::object{}, "r3", "127.0.0.1", 4});
    return Status{};
  });
  auto all = read<std::vector<AuditEntry>>([](ReadTx& tx) { return tx.audit({}); });
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].action, "group.put");
  EXPECT_GT(all[0].seq, all[1].seq);
  EXPECT_EQ(all[0].revision, 4u);
  EXPECT_EQ(read<std::vector<AuditEntry>>([](ReadTx& tx) {
              return tx.audit(query<AuditQuery>([&](AuditQuery& q) { q.actor = "alice"; }));
            }).size(),
            2u);
  EXPECT_EQ(read<std::vector<AuditEntry>>([](ReadTx& tx) {
              return tx.audit(query<AuditQuery>([&](AuditQuery& q) { q.target = "device/a"; }));
            }).size(),
            2u);
  const auto before = all[0].seq;
  auto older = read<std::vector<AuditEntry>>([&](ReadTx& tx) {
    return tx.audit(query<AuditQuery>([&](AuditQuery& q) {
      q.before_seq = before;
      q.limit = 1;
    }));
  });
  ASSERT_EQ(older.size(), 1u);
  EXPECT_EQ(older[0].actor, "bob");
}

TEST_P(StoreContract, TokensByHash) {
  write_ok([](WriteTx& tx) {
    tx.put_token(Token{"bootstrap", "admin", "h1", 1, 0});
    return Status{};
  });
  EXPECT_EQ(read<std::size_t>([](ReadTx& tx) { return tx.token_count(); }), 1u);
  auto t = read<std::optional<Token>>([](ReadTx& tx) { return tx.token_by_hash("h1"); });
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->name, "bootstrap");
  EXPECT_EQ(t->role, "admin");
}

TEST_P(StoreContract, DeviceCountsBySyncStatus) {
  EXPECT_TRUE(
      (read<std::map<std::string, std::size_t>>([](ReadTx& tx) { return tx.device_counts_by_status(); })).empty());
  write_ok([](WriteTx& tx) {
    auto never = make_device("never");
    never.desired.revision = 3;
    tx.insert_device(never);
    auto synced = make_device("synced");
    synced.desired.revision = 4;
    synced.state.applied_revision = 4;
    synced.state.last_seen = 10;
    tx.insert_device(synced);
    auto failed = make_device("failed");
    failed.desired.revision = 5;
    failed.state.rejected_revision = 5;
    failed.state.last_seen = 10;
    tx.insert_device(failed);
    auto pending = make_device("pending");
    pending.desired.revision = 6;
    pending.state.applied_revision = 4;
    pending.state.last_seen = 10;
    tx.insert_device(pending);
    return Status{};
  });
  // The state columns are written apart from the device row.
  write_ok([](WriteTx& tx) {
    for (const char* id : {"synced", "failed", "pending"}) {
      auto d = *tx.device(id);
      if (std::string_view(id) == "synced") d.state.applied_revision = 4;
      if (std::string_view(id) == "failed") d.state.rejected_revision = 5;
      if (std::string_view(id) == "pending") d.state.applied_revision = 4;
      d.state.last_seen = 10;
      tx.update_device_state(id, d.state);
    }
    return Status{};
  });
  const auto counts = read<std::map<std::string, std::size_t>>([](ReadTx& tx) { return tx.device_counts_by_status(); });
  const std::map<std::string, std::size_t> want{{"failed", 1}, {"in_sync", 1}, {"never_connected", 1}, {"pending", 1}};
  EXPECT_EQ(counts, want);
}

TEST_P(StoreContract, TokensListByNameAndDeleteByName) {
  write_ok([](WriteTx& tx) {
    tx.put_token(Token{"zed", "viewer", "hz", 3, 0});
    tx.put_token(Token{"amy", "operator", "ha", 2, 99});
    tx.put_token(Token{"bootstrap", "admin", "hb", 1, 0});
    return Status{};
  });
  auto all = read<std::vector<Token>>([](ReadTx& tx) { return tx.tokens(); });
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].name, "amy");
  EXPECT_EQ(all[0].role, "operator");
  EXPECT_EQ(all[0].expires_at, 99);
  EXPECT_EQ(all[1].name, "bootstrap");
  EXPECT_EQ(all[2].name, "zed");

  bool deleted = false;
  bool again = true;
  write_ok([&](WriteTx& tx) {
    deleted = tx.delete_token("amy");
    again = tx.delete_token("amy");
    return Status{};
  });
  EXPECT_TRUE(deleted);
  EXPECT_FALSE(again);
  EXPECT_FALSE(read<std::optional<Token>>([](ReadTx& tx) { return tx.token_by_hash("ha"); }).has_value());
  EXPECT_EQ(read<std::size_t>([](ReadTx& tx) { return tx.token_count(); }), 2u);
}

TEST_P(StoreContract, ChangeListenerNamesDevicesWhoseDesiredMoved) {
  std::vector<ChangeEvent> events;
  store_->set_change_listener([&](const ChangeEvent& e) { events.push_back(e); });
  write_ok([&](WriteTx& tx) {
    auto d = make_device("a");
    d.desired.revision = tx.take_revision();
    tx.insert_device(d);
    tx.insert_device(make_device("b"));
    return Status{};
  });
  write_ok([&](WriteTx& tx) {
    auto d = *tx.device("b");
    d.labels = {};
    tx.update_device(d);  // desired unchanged: no event
    return Status{};
  });
  write_ok([&](WriteTx& tx) {
    auto d = *tx.device("b");
    d.desired.revision = tx.take_revision();
    tx.update_device(d);
    return Status{};
  });
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].revision, 1u);
  ASSERT_EQ(events[0].changes.size(), 1u);
  EXPECT_EQ(events[0].changes[0].device, "a");
  EXPECT_EQ(events[0].changes[0].desired.revision, 1u);
  EXPECT_EQ(events[1].revision, 2u);
  ASSERT_EQ(events[1].changes.size(), 1u);
  EXPECT_EQ(events[1].changes[0].device, "b");
}

TEST_P(StoreContract, ChangeEventCarriesTheLastDesiredOfEachDeviceInIdOrder) {
  std::vector<ChangeEvent> events;
  store_->set_change_listener([&](const ChangeEvent& e) { events.push_back(e); });
  write_ok([&](WriteTx& tx) {
    const auto rev = tx.take_revision();
    for (const char* id : {"b", "a"}) {
      auto d = make_device(id);
      d.desired = Desired{rev, json::parse(R"({"v":1})"), "s1", ""};
      tx.insert_device(d);
    }
    auto b = *tx.device("b");
    b.desired.config = json::parse(R"({"v":2})");
    b.desired.sha256 = "s2";
    b.desired.revision = rev + 1;  // a different revision than stored, so it is noted again
    tx.update_device(b);
    return Status{};
  });
  ASSERT_EQ(events.size(), 1u);
  ASSERT_EQ(events[0].changes.size(), 2u);
  EXPECT_EQ(events[0].changes[0].device, "a");
  EXPECT_EQ(events[0].changes[1].device, "b");
  EXPECT_EQ(events[0].changes[1].desired.sha256, "s2");
}

TEST_P(StoreContract, UpdateDesiredChangesOnlyTheDesiredConfig) {
  std::vector<ChangeEvent> events;
  store_->set_change_listener([&](const ChangeEvent& e) { events.push_back(e); });
  write_ok([&](WriteTx& tx) {
    tx.insert_device(make_device("d", {"g"}));
    return Status{};
  });
  write_ok([&](WriteTx& tx) {
    const auto rev = tx.take_revision();
    tx.update_desired("d", Desired{rev, json::parse(R"({"k":1})"), "s", "pi@1"});
    tx.update_desired("missing", Desired{rev, json::object{}, "s-empty", ""});  // no such device: nothing
    return Status{};
  });
  auto got = read<std::optional<Device>>([](ReadTx& tx) { return tx.device("d"); });
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->desired.revision, 1u);
  EXPECT_EQ(got->desired.config, json::parse(R"({"k":1})"));
  EXPECT_EQ(got->desired.schema, "pi@1");
  EXPECT_EQ(got->groups, std::vector<std::string>{"g"});
  EXPECT_EQ(got->labels.at("site"), "lab");
  ASSERT_EQ(events.size(), 1u);
  ASSERT_EQ(events[0].changes.size(), 1u);
  EXPECT_EQ(events[0].changes[0].device, "d");
}

// What a group write does to thousands of devices, in one transaction: each one's
// desired config and history, readable within the transaction and named in its event.
TEST_P(StoreContract, ManyDesiredUpdatesAndHistoryInOneWrite) {
  constexpr int kDevices = 2500;  // more than a PostgreSQL batch
  std::vector<ChangeEvent> events;
  store_->set_change_listener([&](const ChangeEvent& e) { events.push_back(e); });
  write_ok([&](WriteTx& tx) {
    for (int i = 0; i < kDevices; ++i) tx.insert_device(make_device("d" + std::to_string(i), {"g"}));
    return Status{};
  });
  const auto config = json::parse(R"({"quote":"\"a\\b\"","n":[1,{}]})");  // array literals must escape
  write_ok([&](WriteTx& tx) {
    const auto rev = tx.take_revision();
    for (int i = 0; i < kDevices; ++i) {
      const auto id = "d" + std::to_string(i);
      tx.update_desired(id, Desired{rev, config, "same", "pi@2"});
      tx.append_history(HistoryEntry{id, rev, 5, "op", "group.put", json::object{{"n", i}}, config, "same"});
    }
    // Read back in the same transaction: what was written is there.
    auto d = tx.device("d2499");
    EXPECT_TRUE(d.has_value() && d->desired.revision == rev && d->desired.config == config);
    return Status{};
  });
  ASSERT_EQ(events.size(), 1u);
  ASSERT_EQ(events[0].changes.size(), static_cast<std::size_t>(kDevices));
  EXPECT_EQ(events[0].changes.front().device, "d0");
  EXPECT_EQ(events[0].changes.back().desired.config, config);
  auto h = read<std::optional<HistoryEntry>>([&](ReadTx& tx) { return tx.history_entry("d1234", events[0].revision); });
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->config, config);
  EXPECT_EQ(h->change, json::parse(R"({"n":1234})"));
  EXPECT_EQ(h->action, "group.put");
}

// Stores may batch what a group write sends them (SQLite: runs of equal rows); the
// result is what writing them one by one, in order, would have left.
TEST_P(StoreContract, BatchedRowsEndAsIfWrittenOneByOne) {
  write_ok([&](WriteTx& tx) {
    for (const char* id : {"a", "b", "c"}) tx.insert_device(make_device(id, {"g"}));
    return Status{};
  });
  const auto first = json::parse(R"({"v":1})");
  const auto second = json::parse(R"({"v":2})");
  std::vector<ChangeEvent> events;
  store_->set_change_listener([&](const ChangeEvent& e) { events.push_back(e); });
  Revision rev = 0;
  write_ok([&](WriteTx& tx) {
    rev = tx.take_revision();
    for (const char* id : {"c", "a", "b"}) {
      tx.update_desired(id, Desired{rev, first, "sha-1", ""});
      tx.append_history(HistoryEntry{id, rev, 5, "op", "group.put", json::object{{"v", 1}}, first, "sha-1"});
    }
    // "a"'s entry again, after the others: the later one wins.
    tx.append_history(HistoryEntry{"a", rev, 5, "op", "group.put", json::object{{"v", 2}}, second, "sha-2"});
    return Status{};
  });
  ASSERT_EQ(events.size(), 1u);
  ASSERT_EQ(events[0].changes.size(), 3u);
  EXPECT_EQ(events[0].changes[0].device, "a");
  EXPECT_EQ(events[0].changes[1].device, "b");
  EXPECT_EQ(events[0].changes[2].device, "c");
  for (const char* id : {"a", "b", "c"}) {
    auto d = read<std::optional<Device>>([&](ReadTx& tx) { return tx.device(id); });
    ASSERT_TRUE(d.has_value()) << id;
    EXPECT_EQ(d->desired.revision, rev) << id;
    EXPECT_EQ(d->desired.config, first) << id;
  }
  for (const char* id : {"a", "b", "c"}) {
    auto h = read<std::optional<HistoryEntry>>([&](ReadTx& tx) { return tx.history_entry(id, rev); });
    ASSERT_TRUE(h.has_value()) << id;
    EXPECT_EQ(h->config, std::string(id) == "a" ? second : first) << id;
    EXPECT_EQ(h->sha256, std::string(id) == "a" ? "sha-2" : "sha-1") << id;
  }
}

TEST_P(StoreContract, DeviceStateIsWrittenApartFromTheDevice) {
  write_ok([&](WriteTx& tx) {
    tx.insert_device(make_device("d"));
    return Status{};
  });
  DeviceState s;
  s.connected = false;  // update_device_state leaves the connection alone
  s.last_seen = 500;
  s.applied_revision = 7;
  s.applied_at = 501;
  s.rejected_revision = 6;
  s.error = "bad file";
  s.reported = json::parse(R"({"uptime":5})");
  write_ok([&](WriteTx& tx) {
    tx.set_connection("d", true, 400);
    tx.update_device_state("d", s);
    return Status{};
  });
  write_ok([&](WriteTx& tx) {
    auto d = *tx.device("d");
    d.state = DeviceState{};  // update_device leaves the state alone
    d.labels = {{"x", "y"}};
    tx.update_device(d);
    return Status{};
  });
  auto got = read<std::optional<Device>>([](ReadTx& tx) { return tx.device("d"); });
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(got->state.connected);
  EXPECT_EQ(got->state.last_seen, 500);
  EXPECT_EQ(got->state.applied_revision, 7u);
  EXPECT_EQ(got->state.applied_at, 501);
  EXPECT_EQ(got->state.rejected_revision, 6u);
  EXPECT_EQ(got->state.error, "bad file");
  EXPECT_EQ(got->state.reported, json::parse(R"({"uptime":5})"));
  EXPECT_EQ(got->labels.at("x"), "y");
  write_ok([](WriteTx& tx) {
    tx.reset_connections();
    return Status{};
  });
  EXPECT_FALSE(read<bool>([](ReadTx& tx) { return tx.device("d")->state.connected; }));
}

TEST_P(StoreContract, SetConnectionRecordsTheStreamAndMovesLastSeenForwardOnly) {
  write_ok([&](WriteTx& tx) {
    tx.insert_device(make_device("d"));
    tx.set_connection("d", true, 900);
    tx.set_connection("ghost", true, 900);  // no such device: nothing to change
    return Status{};
  });
  auto state = [&] { return read<DeviceState>([](ReadTx& tx) { return tx.device("d")->state; }); };
  EXPECT_TRUE(state().connected);
  EXPECT_EQ(state().last_seen, 900);
  write_ok([&](WriteTx& tx) {
    tx.set_connection("d", false, 800);  // an older sighting arriving late
    return Status{};
  });
  EXPECT_FALSE(state().connected);
  EXPECT_EQ(state().last_seen, 900);
}

TEST_P(StoreContract, DeviceListFiltersBySyncStatusAndConnection) {
  write_ok([&](WriteTx& tx) {
    for (const char* id : {"never", "synced", "pending", "failed"}) {
      auto d = make_device(id);
      d.desired.revision = 5;
      tx.insert_device(d);
    }
    DeviceState synced;
    synced.last_seen = 1;
    synced.applied_revision = 5;
    tx.update_device_state("synced", synced);
    tx.set_connection("synced", true, 1);
    DeviceState pending;
    pending.last_seen = 1;
    pending.applied_revision = 4;
    tx.update_device_state("pending", pending);
    DeviceState failed;
    failed.last_seen = 1;
    failed.rejected_revision = 5;
    tx.update_device_state("failed", failed);
    return Status{};
  });
  auto ids = [&](DeviceQuery q) {
    return read<std::vector<std::string>>([&](ReadTx& tx) {
      std::vector<std::string> out;
      for (const auto& d : tx.devices(q)) {
        out.push_back(d.id);
        EXPECT_TRUE(q.status.empty() || q.status == sync_status(d));
      }
      return out;
    });
  };
  for (const char* status : {"never_connected", "in_sync", "pending", "failed"}) {
    const auto got = ids(query([&](DeviceQuery& q) { q.status = status; }));
    ASSERT_EQ(got.size(), 1u) << status;
  }
  EXPECT_EQ(ids(query([](DeviceQuery& q) { q.status = "in_sync"; })), std::vector<std::string>{"synced"});
  EXPECT_EQ(ids(query([](DeviceQuery& q) { q.connected = true; })), std::vector<std::string>{"synced"});
  EXPECT_EQ(ids(query([](DeviceQuery& q) { q.connected = false; })).size(), 3u);
}

// The SQL stores filter and count by the rule rendered into SQL, the memory store by
// core::sync_status() itself: over every combination of the fields the rule reads, a
// filtered list and the counts must both agree with it.
TEST_P(StoreContract, TheStatusFilterAndCountsFollowTheSyncRuleInEveryCase) {
  std::map<std::string, std::string> status_of;  // device id → what core::sync_status says
  write_ok([&](WriteTx& tx) {
    int n = 0;
    for (const TimeMs last_seen : {0, 1}) {
      for (const Revision applied : {0, 4, 5}) {
        for (const Revision rejected : {0, 4, 5}) {
          auto d = make_device("d" + std::to_string(n++));
          d.desired.revision = 5;
          tx.insert_device(d);
          d.state.last_seen = last_seen;
          d.state.applied_revision = applied;
          d.state.rejected_revision = rejected;
          tx.update_device_state(d.id, d.state);
          status_of[d.id] = sync_status(d);
        }
      }
    }
    return Status{};
  });
  std::map<std::string, std::size_t> want_counts;
  for (const auto& [id, status] : status_of) ++want_counts[status];
  EXPECT_EQ(want_counts.size(), 4u);  // the combinations reach every status
  using Counts = std::map<std::string, std::size_t>;
  EXPECT_EQ(read<Counts>([](ReadTx& tx) { return tx.device_counts_by_status(); }), want_counts);
  for (const auto status : core::kSyncStatuses) {
    const auto listed = read<std::vector<std::string>>([&](ReadTx& tx) {
      DeviceQuery q;
      q.status = std::string(status);
      std::vector<std::string> ids;
      for (const auto& d : tx.devices(q)) ids.push_back(d.id);
      return ids;
    });
    std::vector<std::string> want;
    for (const auto& [id, s] : status_of) {
      if (s == status) want.push_back(id);
    }
    std::sort(want.begin(), want.end());
    EXPECT_EQ(listed, want) << status;
  }
}

TEST_P(StoreContract, ConcurrentWritersTakeDistinctRevisions) {
  constexpr int kThreads = 4;
  constexpr int kWrites = 25;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  std::vector<std::vector<Revision>> taken(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWrites; ++i) {
        auto s = store_->write([&](WriteTx& tx) {
          taken[t].push_back(tx.take_revision());
          return Status{};
        });
        EXPECT_TRUE(s.ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  std::vector<Revision> all;
  for (auto& v : taken) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), static_cast<std::size_t>(kThreads * kWrites));
  for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i], i + 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreContract, ::testing::ValuesIn(kBackends),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace henge::store
