// The config engine over a memory store: layering with pending changes, validation
// across devices, and the revision bookkeeping of DESIGN §3.

#include "service/config_engine.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "store/memory/memory_store.hpp"

namespace henge::service {
namespace {

namespace json = boost::json;
using core::Errc;
using core::Status;

class ConfigEngine : public ::testing::Test {
 protected:
  ConfigEngine() : store_(store::make_memory_store()) {}

  // Creates a device through plan/commit, as the API does.
  void create(const std::string& id, const std::string& schema, std::vector<std::string> groups,
              json::value values = json::object{}) {
    core::Device d;
    d.id = id;
    d.schema = schema;
    d.groups = std::move(groups);
    d.values = std::move(values);
    d.token_hash = "h-" + id;
    ASSERT_TRUE(store_
                    ->write([&](store::WriteTx& tx) -> Status {
                      auto changes = plan(engine_, tx, {d});
                      if (!changes) return std::move(changes).error();
                      commit(tx, *changes, stamp_, "device.create", true);
                      return {};
                    })
                    .ok());
  }

  void put_schema(const std::string& name, const char* doc) {
    ASSERT_TRUE(store_
                    ->write([&](store::WriteTx& tx) -> Status {
                      tx.insert_schema_version(core::SchemaVersion{name, 1, json::parse(doc), tx.take_revision(), 1});
                      return {};
                    })
                    .ok());
  }

  core::Device device(const std::string& id) {
    core::Device out;
    EXPECT_TRUE(store_
                    ->read([&](store::ReadTx& tx) -> Status {
                      out = *tx.device(id);
                      return {};
                    })
                    .ok());
    return out;
  }

  std::unique_ptr<store::Store> store_;
  SchemaCache cache_;
  Engine engine_{cache_};
  Stamp stamp_{1000, "tester"};
};

TEST_F(ConfigEngine, NewDeviceTakesARevisionAndHistory) {
  create("a", "", {}, json::parse(R"({"x":1})"));
  const auto d = device("a");
  EXPECT_EQ(d.desired.revision, 1u);
  EXPECT_EQ(d.desired.config, json::parse(R"({"x":1})"));
  EXPECT_EQ(d.desired.sha256.size(), 64u);
  std::vector<core::HistoryEntry> h;
  ASSERT_TRUE(store_
                  ->read([&](store::ReadTx& tx) -> Status {
                    h = tx.history("a", 0, 10);
                    return {};
                  })
                  .ok());
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].actor, "tester");
  EXPECT_EQ(h[0].action, "device.create");
}

TEST_F(ConfigEngine, UnchangedEffectiveConfigTakesNoRevision) {
  create("a", "", {}, json::parse(R"({"x":1})"));
  core::Revision taken = 99;
  ASSERT_TRUE(store_
                  ->write([&](store::WriteTx& tx) -> Status {
                    auto d = *tx.device("a");
                    d.values = json::parse(R"({"x":1})");  // same as before
                    auto changes = plan(engine_, tx, {d});
                    EXPECT_FALSE(changes->front().config_changed);
                    taken = commit(tx, *changes, stamp_, "config.put", true);
                    return {};
                  })
                  .ok());
  EXPECT_EQ(taken, 0u);
  EXPECT_EQ(device("a").desired.revision, 1u);
}

TEST_F(ConfigEngine, PendingGroupIsSeenBeforeItIsStored) {
  create("a", "", {"g"});
  PendingChanges pending;
  pending.groups["g"] = core::Group{"g", 0, json::parse(R"({"y":2})"), 0, 0, 0};
  ASSERT_TRUE(store_
                  ->read([&](store::ReadTx& tx) -> Status {
                    auto view = effective_config(engine_, tx, *tx.device("a"), pending);
                    EXPECT_TRUE(view.ok());
                    EXPECT_EQ(view->effective.config, json::parse(R"({"y":2})"));
                    EXPECT_EQ(view->effective.sources.at("/y"), "group:g");
                    return {};
                  })
                  .ok());
}

TEST_F(ConfigEngine, ValidationFailureNamesEveryBrokenDevice) {
  put_schema("s", R"({"type":"object","properties":{"n":{"type":"integer","maximum":5}}})");
  create("a", "s", {"g"});
  create("b", "s", {"g"});
  create("c", "s", {}, json::parse(R"({"n":1})"));
  PendingChanges pending;
  pending.groups["g"] = core::Group{"g", 0, json::parse(R"({"n":9})"), 0, 0, 0};
  std::optional<core::Error> error;
  ASSERT_TRUE(store_
                  ->read([&](store::ReadTx& tx) -> Status {
                    auto r = plan(engine_, tx, tx.devices_in_group("g"), pending);
                    if (!r.ok()) error = r.error();
                    return {};
                  })
                  .ok());
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code, Errc::validation_failed);
  EXPECT_EQ(error->message, "2 devices would not validate against their schema");
  ASSERT_EQ(error->details.size(), 2u);
  EXPECT_EQ(error->details[0].device, "a");
  EXPECT_EQ(error->details[1].device, "b");
  EXPECT_EQ(error->details[0].path, "/n");
}

TEST_F(ConfigEngine, OversizedConfigIsTooLarge) {
  engine_.config_limit = 64;
  core::Device d;
  d.id = "big";
  d.values = json::object{{"blob", std::string(100, 'x')}};
  ASSERT_TRUE(store_
                  ->read([&](store::ReadTx& tx) -> Status {
                    auto r = plan(engine_, tx, {d});
                    EXPECT_FALSE(r.ok());
                    EXPECT_EQ(r.error().code, Errc::too_large);
                    return {};
                  })
                  .ok());
}

}  // namespace
}  // namespace henge::service
