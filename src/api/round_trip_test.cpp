// The round-trip invariant (round_trip.hpp) as a property test: the inputs that once
// poisoned rows, and hundreds of generated writes of hostile JSON to every write route,
// each followed by every read, over SQLite, PostgreSQL (the server the suite starts)
// and the memory store.

#include "api/round_trip.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <random>

#include "store/memory/memory_store.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/postgres/test_database.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace henge::api {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kAdmin = RoundTrip::kAdminToken;
constexpr std::string_view kDeviceToken = RoundTrip::kDeviceToken;

std::string nested(std::size_t depth, const std::string& leaf = "1") {
  std::string s;
  for (std::size_t i = 0; i < depth; ++i) s += "{\"a\":";
  s += leaf;
  for (std::size_t i = 0; i < depth; ++i) s += "}";
  return s;
}

class RoundTripTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgres") {
      const auto server = store::postgres::testing::server_url();
      if (!server) GTEST_SKIP() << "no PostgreSQL server for tests (HENGE_TEST_PG_DIR); ctest starts one";
      auto s = store::open_postgres_store(
          {store::postgres::testing::create_database(*server), "round-trip", std::chrono::seconds(15)});
      ASSERT_TRUE(s) << s.error().message;
      rt_ = std::make_unique<RoundTrip>(std::move(*s));
    } else if (GetParam() == "sqlite") {
      dir_ = fs::temp_directory_path() / ("henge-round-trip-" + std::to_string(::getpid()) + "-" +
                                          ::testing::UnitTest::GetInstance()->current_test_info()->name());
      fs::remove_all(dir_);
      fs::create_directories(dir_);
      auto s = store::open_sqlite_store(dir_ / "henge.db");
      ASSERT_TRUE(s) << s.error().message;
      rt_ = std::make_unique<RoundTrip>(std::move(*s));
    } else {
      rt_ = std::make_unique<RoundTrip>(store::make_memory_store());
    }
  }
  void TearDown() override {
    rt_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  void expect_reads_hold(server::Request&& req) {
    const std::string what = req.method + " " + req.target + " " + req.body.substr(0, 120);
    const auto broke = rt_->check(std::move(req));
    EXPECT_FALSE(broke) << what << "\n  broke: " << *broke;
  }

  fs::path dir_;
  std::unique_ptr<RoundTrip> rt_;
};

TEST_P(RoundTripTest, InputsThatOncePoisonedRowsLeaveEveryReadAnswering) {
  const std::string dev = "/v1/devices/pi-1";
  const std::vector<server::Request> inputs = {
      make_request("POST", "/v1/device/report", kDeviceToken, R"({"reported":{"x":1e400}})"),
      make_request("POST", "/v1/device/report", kDeviceToken, "{\"reported\":" + nested(32) + "}"),
      make_request("PUT", dev + "/config", kAdmin, R"({"x":1e400})"),
      make_request("PUT", dev + "/config", kAdmin, R"({"n":18446744073709551616})"),
      make_request("PATCH", dev + "/config", kAdmin, R"({"x":-1e999})", "application/merge-patch+json"),
      make_request("PUT", dev + "/config/" + std::string("a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a"),
                   kAdmin, nested(10)),
      make_request("PUT", "/v1/schemas/s", kAdmin, R"({"properties":{"x":{"default":1e400}}})"),
      make_request("PUT", "/v1/schemas/s", kAdmin, nested(40, "{}")),
      make_request("POST", "/v1/devices", kAdmin, R"({"id":"pi-2","config":{"x":1e400}})"),
      make_request("PUT", "/v1/groups/g", kAdmin, R"({"config":{"x":1e400}})"),
      make_request("PUT", "/v1/groups/g/config", kAdmin, R"({"x":1e400})"),
      make_request("PUT", dev + "/config?dry_run=TRUE", kAdmin, R"({"x":1})"),
      make_request("PUT", dev + "/config", kAdmin, R"({"u":18446744073709551615,"i":-9223372036854775808})"),
  };
  for (auto req : inputs) expect_reads_hold(std::move(req));
}

// A JSON text built to find what the policy misses: deep nesting near the limit,
// numbers at the edges of the 64-bit and double ranges, keys that need escaping.
class HostileJson {
 public:
  explicit HostileJson(std::uint32_t seed) : rng_(seed) {}

  std::string document() {
    std::string out;
    value(out, 0, pick(2) == 0 ? 34 : 8);
    return out;
  }

 private:
  std::size_t pick(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }

  void value(std::string& out, std::size_t depth, std::size_t max_depth) {
    static const char* const kNumbers[] = {"0",
                                           "-0",
                                           "1e400",
                                           "-1e400",
                                           "1e308",
                                           "2.2250738585072014e-308",
                                           "18446744073709551615",
                                           "18446744073709551616",
                                           "-9223372036854775808",
                                           "-9223372036854775809",
                                           "123456789012345678901234567890",
                                           "1.5",
                                           "4.9e-324",
                                           "1E+2"};
    const auto kind = depth >= max_depth ? pick(3) : pick(6);
    switch (kind) {
      case 0:
        out += kNumbers[pick(std::size(kNumbers))];
        break;
      case 1:
        out += pick(2) ? "\"s\\u0000\\\"x\"" : "true";
        break;
      case 2:
        out += "null";
        break;
      case 3:
      case 4: {
        out += '{';
        const auto n = 1 + pick(3);
        for (std::size_t i = 0; i < n; ++i) {
          if (i) out += ',';
          out += pick(3) == 0 ? "\"a/b~c\":" : "\"k" + std::to_string(i) + "\":";
          value(out, depth + 1, max_depth);
        }
        out += '}';
        break;
      }
      default: {
        out += '[';
        const auto n = pick(3);
        for (std::size_t i = 0; i < n; ++i) {
          if (i) out += ',';
          value(out, depth + 1, max_depth);
        }
        out += ']';
      }
    }
  }

  std::mt19937 rng_;
};

TEST_P(RoundTripTest, GeneratedHostileWritesToEveryWriteRouteLeaveEveryReadAnswering) {
  HostileJson gen(20261201);
  std::mt19937 rng(7);
  auto pick = [&rng](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); };
  const std::string dev = "/v1/devices/pi-1";
  for (int i = 0; i < 300; ++i) {
    const std::string doc = gen.document();
    const std::string obj = "{\"x\":" + doc + "}";
    std::vector<server::Request> choices = {
        make_request("POST", "/v1/device/report", kDeviceToken, "{\"reported\":" + obj + "}"),
        make_request("PUT", dev + "/config", kAdmin, obj),
        make_request("PATCH", dev + "/config", kAdmin, obj, "application/merge-patch+json"),
        make_request("PUT", dev + "/config/a/b/c", kAdmin, doc),
        make_request("PUT", "/v1/groups/g", kAdmin, "{\"config\":" + obj + "}"),
        make_request("PATCH", "/v1/groups/g/config", kAdmin, obj, "application/merge-patch+json"),
        make_request("PUT", "/v1/schemas/s", kAdmin, "{\"properties\":{\"x\":{\"default\":" + doc + "}}}"),
        make_request("POST", "/v1/devices", kAdmin,
                     "{\"id\":\"gen-" + std::to_string(i) + "\",\"groups\":[\"g\"],\"config\":" + obj + "}"),
        make_request("PATCH", dev, kAdmin, "{\"labels\":{\"k\":\"v\"},\"groups\":[\"g\"]}"),
    };
    expect_reads_hold(std::move(choices[pick(choices.size())]));
    if (::testing::Test::HasFailure()) return;
  }
}

INSTANTIATE_TEST_SUITE_P(Stores, RoundTripTest, ::testing::Values("sqlite", "postgres", "memory"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace henge::api
