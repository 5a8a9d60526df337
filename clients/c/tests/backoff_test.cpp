// Full-jitter backoff in C: the ceiling doubles up to the cap; the delay spans it.
#include <gtest/gtest.h>

extern "C" {
#include "backoff.h"
}

TEST(CBackoff, CeilingDoublesUpToTheCap) {
  EXPECT_EQ(henge_backoff_delay_ms(0, 500, 60000, 1.0), 500u);
  EXPECT_EQ(henge_backoff_delay_ms(1, 500, 60000, 1.0), 1000u);
  EXPECT_EQ(henge_backoff_delay_ms(6, 500, 60000, 1.0), 32000u);
  EXPECT_EQ(henge_backoff_delay_ms(7, 500, 60000, 1.0), 60000u);
  EXPECT_EQ(henge_backoff_delay_ms(4000000000u, 500, 60000, 1.0), 60000u);
}

TEST(CBackoff, JitterSpansZeroToTheCeiling) {
  EXPECT_EQ(henge_backoff_delay_ms(10, 500, 60000, 0.0), 0u);
  EXPECT_EQ(henge_backoff_delay_ms(10, 500, 60000, 0.5), 30000u);
  EXPECT_EQ(henge_backoff_delay_ms(10, 500, 60000, -3.0), 0u);
  EXPECT_EQ(henge_backoff_delay_ms(10, 500, 60000, 7.0), 60000u);
}
