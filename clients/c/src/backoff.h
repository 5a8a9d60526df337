/* Reconnect delays: exponential backoff with full jitter, as the device protocol asks:
 * delay = random(0, min(cap, base * 2^failures)). */
#ifndef HENGE_BACKOFF_H
#define HENGE_BACKOFF_H

/* u01 is a uniform random number in [0, 1]; the result is in milliseconds. */
unsigned long henge_backoff_delay_ms(unsigned failures, unsigned long base_ms, unsigned long cap_ms, double u01);

#endif
