#include "server/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace henge::server {
namespace {

using namespace std::chrono_literals;
using Clock = RateLimiter::Clock;

TEST(RatePolicy, Parses) {
  RatePolicy p;
  ASSERT_TRUE(parse_rate_policy("5,20", p));
  EXPECT_EQ(p.per_second, 5);
  EXPECT_EQ(p.burst, 20);
  ASSERT_TRUE(parse_rate_policy("0.5", p));
  EXPECT_EQ(p.per_second, 0.5);
  EXPECT_EQ(p.burst, 1);
  ASSERT_TRUE(parse_rate_policy("2.5", p));
  EXPECT_EQ(p.burst, 3);
  ASSERT_TRUE(parse_rate_policy("0", p));
  EXPECT_FALSE(p.limited());
  for (const char* bad : {"", ",", "5,", ",5", "-1", "5,0", "5,-2", "x", "5,20,1", "inf", "nan", "1e999"}) {
    EXPECT_FALSE(parse_rate_policy(bad, p)) << bad;
  }
}

TEST(RateLimiter, SpendsTheBurstThenRefusesWithTheWait) {
  RateLimiter limiter({2, 3});
  const auto t0 = Clock::now();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.take("a", t0), Clock::duration::zero()) << i;
  const auto wait = limiter.take("a", t0);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(wait), 500ms);
  // Half a second later one request has been earned, and only one.
  EXPECT_EQ(limiter.take("a", t0 + 500ms), Clock::duration::zero());
  EXPECT_GT(limiter.take("a", t0 + 500ms), Clock::duration::zero());
}

TEST(RateLimiter, RefillsUpToTheBurstOnly) {
  RateLimiter limiter({10, 2});
  const auto t0 = Clock::now();
  EXPECT_EQ(limiter.take("a", t0), Clock::duration::zero());
  EXPECT_EQ(limiter.take("a", t0), Clock::duration::zero());
  const auto later = t0 + 1h;
  EXPECT_EQ(limiter.take("a", later), Clock::duration::zero());
  EXPECT_EQ(limiter.take("a", later), Clock::duration::zero());
  EXPECT_GT(limiter.take("a", later), Clock::duration::zero());
}

TEST(RateLimiter, KeysAreIndependent) {
  RateLimiter limiter({1, 1});
  const auto t0 = Clock::now();
  EXPECT_EQ(limiter.take("a", t0), Clock::duration::zero());
  EXPECT_GT(limiter.take("a", t0), Clock::duration::zero());
  EXPECT_EQ(limiter.take("b", t0), Clock::duration::zero());
}

TEST(RateLimiter, UnlimitedAlwaysAllowsAndTracksNothing) {
  RateLimiter limiter({});
  const auto t0 = Clock::now();
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(limiter.take("a", t0), Clock::duration::zero());
  EXPECT_EQ(limiter.size(), 0u);
}

TEST(RateLimiter, MemoryIsBoundedAndDroppingFullBucketsChangesNothing) {
  RateLimiter limiter({1, 2}, 64);
  const auto t0 = Clock::now();
  for (int i = 0; i < 10000; ++i) (void)limiter.take("k" + std::to_string(i), t0);
  EXPECT_LE(limiter.size(), 64u);
  // A key that spent its burst is still held to it while its bucket is not full ...
  RateLimiter held({1, 2}, 64);
  (void)held.take("hot", t0);
  (void)held.take("hot", t0);
  for (int i = 0; i < 10000; ++i) (void)held.take("k" + std::to_string(i), t0 + 10ms);
  EXPECT_GT(held.take("hot", t0 + 10ms), Clock::duration::zero());
  // ... and once it is full again, dropping it loses nothing: it is tracked anew with a
  // full burst.
  for (int i = 0; i < 10000; ++i) (void)held.take("j" + std::to_string(i), t0 + 10s);
  EXPECT_EQ(held.take("hot", t0 + 20s), Clock::duration::zero());
  EXPECT_EQ(held.take("hot", t0 + 20s), Clock::duration::zero());
  EXPECT_GT(held.take("hot", t0 + 20s), Clock::duration::zero());
}

// Run under ThreadSanitizer too: many threads spending the same and different keys.
TEST(RateLimiter, ManyThreadsSpendExactlyTheBurst) {
  RateLimiter limiter({0.001, 1000});
  const auto t0 = Clock::now();
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        if (limiter.take("shared", t0) == Clock::duration::zero()) allowed.fetch_add(1);
        (void)limiter.take("own" + std::to_string(t), t0);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(allowed.load(), 1000);
}

}  // namespace
}  // namespace henge::server
