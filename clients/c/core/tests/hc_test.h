/* A test harness small enough for a microcontroller: plain C, printf only. Each test
 * is a function; CHECK records a failure and goes on; the runner prints one line a
 * failed check and a last line "N passed, N failed". */
#ifndef HC_TEST_H
#define HC_TEST_H

#include <stdio.h>
#include <string.h>

extern int hc_test_failures; /* failed checks in the test that runs */

#define CHECK(cond)                                                   \
  do {                                                                \
    if (!(cond)) {                                                    \
      ++hc_test_failures;                                             \
      printf("%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                 \
  } while (0)

/* Whether the n bytes at a are the NUL-terminated text b. */
#define SAME(a, n, b) ((n) == strlen(b) && memcmp((a), (b), (n)) == 0)

#endif
