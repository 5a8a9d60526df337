/* Runs every test of the core and prints "N passed, N failed"; exits non-zero on any
 * failure. The same program runs on the host and on a Cortex-M under qemu (semihosting
 * carries its output and exit status). */
#include "hc_client.h"
#include "hc_http.h"
#include "hc_sse.h"
#include "hc_test.h"
#include "tests.h"

int hc_test_failures;

struct test {
  const char* name;
  void (*run)(void);
};

#define HC_ENTRY(name) {#name, test_##name},
static const struct test all[] = {HC_TESTS(HC_ENTRY)};

int main(void) {
  int passed = 0, failed = 0;
  size_t i;
  /* What a client holds for a response and for a stream, on this target. */
  printf("sizes: hc_http %u B, hc_sse %u B, hc_client %u B\n", (unsigned)sizeof(hc_http), (unsigned)sizeof(hc_sse),
         (unsigned)sizeof(hc_client));
  for (i = 0; i < sizeof all / sizeof all[0]; ++i) {
    hc_test_failures = 0;
    all[i].run();
    if (hc_test_failures == 0) {
      ++passed;
    } else {
      ++failed;
      printf("FAILED %s\n", all[i].name);
    }
  }
  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
