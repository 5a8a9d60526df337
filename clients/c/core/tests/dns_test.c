/* DNS queries and answers, against messages written out byte by byte. */
#include "hc_dns.h"
#include "hc_test.h"
#include "tests.h"

void test_dns_queries_are_rfc1035(void) {
  unsigned char q[64];
  static const unsigned char expected[] = {0x12, 0x34, 0x01, 0x00, 0,   1,   0,   0,   0,   0, 0, 0,  2, 'p',
                                           'i',  7,    'e',  'x',  'a', 'm', 'p', 'l', 'e', 0, 0, 28, 0, 1};
  size_t n = hc_dns_query(q, sizeof q, 0x1234, "pi.example.", HC_DNS_AAAA);
  CHECK(n == sizeof expected && memcmp(q, expected, n) == 0);
  CHECK(hc_dns_query(q, sizeof q, 1, "pi.example", HC_DNS_AAAA) == sizeof expected);
  CHECK(hc_dns_query(q, sizeof q, 1, "", HC_DNS_A) == 0);
  CHECK(hc_dns_query(q, sizeof q, 1, ".a", HC_DNS_A) == 0);
  CHECK(hc_dns_query(q, sizeof q, 1, "a..b", HC_DNS_A) == 0);
  CHECK(hc_dns_query(q, sizeof q, 1, "a..", HC_DNS_A) == 0);
  CHECK(hc_dns_query(q, sizeof q, 1, "a b", HC_DNS_A) == 0);
  CHECK(hc_dns_query(q, 20, 1, "pi.example", HC_DNS_A) == 0); /* does not fit */
  {
    char long_label[70];
    memset(long_label, 'x', 64);
    long_label[64] = '\0';
    CHECK(hc_dns_query(q, sizeof q, 1, long_label, HC_DNS_A) == 0);
    long_label[63] = '\0'; /* 63 bytes is the longest label */
    {
      unsigned char big[128];
      CHECK(hc_dns_query(big, sizeof big, 1, long_label, HC_DNS_A) == 12 + 1 + 63 + 1 + 4);
    }
  }
}

/* An answer for pi.example: a CNAME to h.example, then h.example's address. */
static const unsigned char answer[] = {
    0x12, 0x34, 0x81, 0x80, 0,   1, 0, 2, 0, 0,  0, 0,  2, 'p', 'i',  7,  'e', 'x',
    'a',  'm',  'p',  'l',  'e', 0, 0, 1, 0, 1,                                    /* the question */
    0xC0, 12,   0,    5,    0,   1, 0, 0, 0, 60, 0, 4,  1, 'h', 0xC0, 15,          /* CNAME h.example */
    1,    'h',  0xC0, 15,   0,   1, 0, 1, 0, 0,  0, 60, 0, 4,   192,  0,  2,   7}; /* A 192.0.2.7 */

void test_dns_answers_give_the_addresses(void) {
  unsigned char addrs[8];
  unsigned char copy[sizeof answer];
  size_t cut;
  CHECK(hc_dns_answer(answer, sizeof answer, 0x1234, HC_DNS_A, addrs, 2) == 1);
  CHECK(addrs[0] == 192 && addrs[1] == 0 && addrs[2] == 2 && addrs[3] == 7);
  CHECK(hc_dns_answer(answer, sizeof answer, 0x1234, HC_DNS_AAAA, addrs, 2) == 0);
  CHECK(hc_dns_answer(answer, sizeof answer, 0x4321, HC_DNS_A, addrs, 2) == -1); /* another query's */
  CHECK(hc_dns_answer(answer, sizeof answer, 0x1234, HC_DNS_A, addrs, 0) == 0);
  /* Every truncation is malformed, never read past. */
  for (cut = 0; cut < sizeof answer; ++cut) CHECK(hc_dns_answer(answer, cut, 0x1234, HC_DNS_A, addrs, 2) == -1);
  memcpy(copy, answer, sizeof answer);
  copy[3] = 0x83; /* NXDOMAIN */
  CHECK(hc_dns_answer(copy, sizeof copy, 0x1234, HC_DNS_A, addrs, 2) == -2);
  copy[3] = 0x82; /* SERVFAIL */
  CHECK(hc_dns_answer(copy, sizeof copy, 0x1234, HC_DNS_A, addrs, 2) == -3);
  memcpy(copy, answer, sizeof answer);
  copy[2] = 0x01; /* a query, not an answer */
  CHECK(hc_dns_answer(copy, sizeof copy, 0x1234, HC_DNS_A, addrs, 2) == -1);
  memcpy(copy, answer, sizeof answer);
  copy[12] = 64; /* a label longer than 63 */
  CHECK(hc_dns_answer(copy, sizeof copy, 0x1234, HC_DNS_A, addrs, 2) == -1);
}
