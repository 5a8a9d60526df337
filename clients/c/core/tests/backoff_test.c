/* Full-jitter backoff in integers: the ceiling doubles up to the cap; the delay spans
 * zero to the ceiling. */
#include "hc_backoff.h"
#include "hc_test.h"
#include "tests.h"

void test_backoff_ceiling_doubles_up_to_the_cap(void) {
  CHECK(hc_backoff_ms(0, 500, 60000, UINT32_MAX) == 500);
  CHECK(hc_backoff_ms(1, 500, 60000, UINT32_MAX) == 1000);
  CHECK(hc_backoff_ms(6, 500, 60000, UINT32_MAX) == 32000);
  CHECK(hc_backoff_ms(7, 500, 60000, UINT32_MAX) == 60000);
  CHECK(hc_backoff_ms(4000000000u, 500, 60000, UINT32_MAX) == 60000);
  CHECK(hc_backoff_ms(40, 3000000000u, UINT32_MAX, UINT32_MAX) == UINT32_MAX); /* no overflow */
}

void test_backoff_jitter_spans_zero_to_the_ceiling(void) {
  uint32_t state = 1, low = UINT32_MAX, high = 0;
  int i;
  CHECK(hc_backoff_ms(10, 500, 60000, 0) == 0);
  CHECK(hc_backoff_ms(10, 500, 60000, 0x80000000u) == 30000);
  CHECK(hc_random_upto(UINT32_MAX, 0) == 0);
  for (i = 0; i < 10000; ++i) {
    const uint32_t d = hc_backoff_ms(3, 500, 60000, hc_random_next(&state));
    if (d < low) low = d;
    if (d > high) high = d;
  }
  CHECK(low < 40 && high > 3960 && high <= 4000);
  state = 0; /* a zero state is replaced, not stuck */
  CHECK(hc_random_next(&state) != 0 && state != 0);
  /* Small seeds start far apart: their first delays spread over the ceiling. */
  low = UINT32_MAX;
  high = 0;
  for (i = 1; i <= 64; ++i) {
    uint32_t s = hc_random_seed((uint32_t)i);
    const uint32_t d = hc_backoff_ms(0, 500, 60000, hc_random_next(&s));
    if (d < low) low = d;
    if (d > high) high = d;
  }
  CHECK(low < 100 && high > 400);
  CHECK(hc_random_seed(0) != 0);
}
