/* Reconnect delays: exponential backoff with full jitter, in integers only:
 * delay = random(0, min(cap, base * 2^failures)). The randomness is the caller's. */
#ifndef HC_BACKOFF_H
#define HC_BACKOFF_H

#include <stdint.h>

/* random is uniform over all 32-bit values; the result is in [0, ceiling]. */
uint32_t hc_backoff_ms(unsigned failures, uint32_t base_ms, uint32_t cap_ms, uint32_t random);

/* A uniform number in [0, bound] from a uniform 32-bit one. */
uint32_t hc_random_upto(uint32_t random, uint32_t bound);

/* A generator's state from any seed: the seed's bits mixed (murmur3's finalizer), so
 * that small or similar seeds (a counter, a MAC's last bytes) still start far apart.
 * Never 0. */
uint32_t hc_random_seed(uint32_t seed);

/* The next value of a xorshift32 generator (*state must not be 0; 0 is replaced). */
uint32_t hc_random_next(uint32_t* state);

#endif
