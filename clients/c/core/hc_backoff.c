#include "hc_backoff.h"

uint32_t hc_random_upto(uint32_t random, uint32_t bound) {
  /* Multiply and shift: no division, and no bias worth naming at these sizes. */
  return (uint32_t)(((uint64_t)random * ((uint64_t)bound + 1u)) >> 32);
}

uint32_t hc_backoff_ms(unsigned failures, uint32_t base_ms, uint32_t cap_ms, uint32_t random) {
  uint32_t ceiling = base_ms;
  unsigned i;
  /* Doubling stops at the cap, before it could overflow. */
  for (i = 0; i < failures && ceiling < cap_ms; ++i) ceiling = ceiling > UINT32_MAX / 2u ? UINT32_MAX : ceiling * 2u;
  if (ceiling > cap_ms) ceiling = cap_ms;
  return hc_random_upto(random, ceiling);
}

uint32_t hc_random_seed(uint32_t seed) {
  uint32_t x = seed;
  x ^= x >> 16;
  x *= 0x85ebca6bu;
  x ^= x >> 13;
  x *= 0xc2b2ae35u;
  x ^= x >> 16;
  return x != 0 ? x : 0x9e3779b9u;
}

uint32_t hc_random_next(uint32_t* state) {
  uint32_t x = *state != 0 ? *state : 2463534242u;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  *state = x;
  return x;
}
