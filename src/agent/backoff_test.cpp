#include "agent/backoff.hpp"

#include <gtest/gtest.h>

namespace henge::agent {
namespace {

TEST(Backoff, DelaysStayUnderAnExponentialCeilingThatStopsAtTheCap) {
  Backoff backoff(BackoffPolicy{}, 7);
  for (unsigned n = 0; n < 40; ++n) {
    const auto ceiling = std::min<std::int64_t>(60000, std::int64_t{500} << std::min(n, 30u));
    const auto delay = backoff.after_failure();
    EXPECT_GE(delay.count(), 0);
    EXPECT_LE(delay.count(), ceiling) << "attempt " << n;
  }
  EXPECT_EQ(backoff.failures(), 40u);
}

TEST(Backoff, JitterSpreadsDelaysOverTheWholeRange) {
  // Full jitter: at the cap, delays fall across [0, 60 s], not near one value.
  Backoff backoff(BackoffPolicy{}, 11);
  for (int i = 0; i < 10; ++i) (void)backoff.after_failure();
  std::int64_t low = 60000;
  std::int64_t high = 0;
  for (int i = 0; i < 200; ++i) {
    const auto d = backoff.after_failure().count();
    low = std::min(low, d);
    high = std::max(high, d);
  }
  EXPECT_LT(low, 10000);
  EXPECT_GT(high, 50000);
}

TEST(Backoff, OnlyAHealthyConnectionResetsTheCount) {
  Backoff backoff(BackoffPolicy{}, 3);
  for (int i = 0; i < 5; ++i) (void)backoff.after_failure();
  backoff.connection_ended(Millis(29999));
  EXPECT_EQ(backoff.failures(), 5u);
  backoff.connection_ended(Millis(30000));
  EXPECT_EQ(backoff.failures(), 0u);
  EXPECT_LE(backoff.after_failure().count(), 500);
}

TEST(Backoff, RandomUpToStaysInRange) {
  Backoff backoff(BackoffPolicy{}, 5);
  EXPECT_EQ(backoff.random_up_to(Millis(0)).count(), 0);
  for (int i = 0; i < 100; ++i) {
    const auto d = backoff.random_up_to(Millis(2000)).count();
    EXPECT_GE(d, 0);
    EXPECT_LE(d, 2000);
  }
}

}  // namespace
}  // namespace henge::agent
