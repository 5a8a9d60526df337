#include "backoff.h"

unsigned long henge_backoff_delay_ms(unsigned failures, unsigned long base_ms, unsigned long cap_ms, double u01) {
  unsigned long ceiling = base_ms;
  unsigned i;
  /* Doubling stops at the cap, long before it could overflow. */
  for (i = 0; i < failures && ceiling < cap_ms; ++i) ceiling *= 2;
  if (ceiling > cap_ms) ceiling = cap_ms;
  if (u01 < 0) u01 = 0;
  if (u01 > 1) u01 = 1;
  return (unsigned long)(u01 * (double)ceiling + 0.5);
}
