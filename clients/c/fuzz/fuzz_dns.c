/* libFuzzer target: DNS answers from any bytes (a resolver's answer is the network's
 * to forge). hc_dns_answer must not crash or read past the message, and the addresses
 * it reports are at most what was asked for. The id and type to expect come from the
 * input's own first bytes, so answers that match them are reached too. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hc_dns.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  unsigned char addrs[4 * 16];
  const uint16_t id = size >= 2 ? (uint16_t)((data[0] << 8) | data[1]) : 0;
  const uint16_t type = size >= 3 && (data[2] & 1) ? HC_DNS_AAAA : HC_DNS_A;
  unsigned char* copy = (unsigned char*)malloc(size > 0 ? size : 1);
  int max, got;
  if (copy == NULL) abort();
  memcpy(copy, data, size); /* an exact allocation: ASan sees any read past it */
  for (max = 0; max <= 4; max += 4) {
    got = hc_dns_answer(copy, size, id, type, addrs, max);
    if (got > max || got < -3) abort();
  }
  free(copy);
  return 0;
}
