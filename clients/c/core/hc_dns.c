#include "hc_dns.h"

#include <string.h>

static int is_label_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

size_t hc_dns_query(unsigned char* out, size_t cap, uint16_t id, const char* name, uint16_t type) {
  size_t n = strlen(name), at = 12, i = 0;
  if (n > 0 && name[n - 1] == '.') --n;
  if (n == 0 || n > 253 || cap < 12 + n + 2 + 4) return 0;
  memset(out, 0, 12);
  out[0] = (unsigned char)(id >> 8);
  out[1] = (unsigned char)id;
  out[2] = 0x01; /* recursion desired */
  out[5] = 1;    /* one question */
  while (i < n) {
    const size_t start = i;
    while (i < n && name[i] != '.') {
      if (!is_label_char(name[i])) return 0;
      ++i;
    }
    if (i == start || i - start > 63) return 0;
    out[at++] = (unsigned char)(i - start);
    memcpy(out + at, name + start, i - start);
    at += i - start;
    if (i < n) ++i;                             /* the dot */
    if (i == n && name[n - 1] == '.') return 0; /* an empty last label ("a..") */
  }
  out[at++] = 0;
  out[at++] = (unsigned char)(type >> 8);
  out[at++] = (unsigned char)type;
  out[at++] = 0;
  out[at++] = 1; /* class IN */
  return at;
}

static unsigned get16(const unsigned char* p) {
  return ((unsigned)p[0] << 8) | p[1];
}

/* Skips the name at msg[*at]: labels, ended by a zero or by a compression pointer. */
static int skip_name(const unsigned char* msg, size_t len, size_t* at) {
  size_t i = *at;
  for (;;) {
    unsigned label;
    if (i >= len) return -1;
    label = msg[i];
    if (label == 0) {
      *at = i + 1;
      return 0;
    }
    if ((label & 0xC0u) == 0xC0u) {
      if (i + 2 > len) return -1;
      *at = i + 2;
      return 0;
    }
    if (label > 63) return -1;
    i += 1 + label;
  }
}

int hc_dns_answer(const unsigned char* msg, size_t len, uint16_t id, uint16_t type, unsigned char* addrs, int max) {
  const size_t size = type == HC_DNS_AAAA ? 16 : 4;
  unsigned questions, answers, rcode;
  size_t at = 12;
  int found = 0;
  if (len < 12 || get16(msg) != id || (msg[2] & 0x80u) == 0) return -1; /* not our answer */
  rcode = msg[3] & 0x0Fu;
  if (rcode == 3) return -2;
  if (rcode != 0) return -3;
  questions = get16(msg + 4);
  answers = get16(msg + 6);
  while (questions-- > 0) {
    if (skip_name(msg, len, &at) != 0 || len - at < 4) return -1;
    at += 4;
  }
  while (answers-- > 0) {
    unsigned rtype, rclass, rdlength;
    if (skip_name(msg, len, &at) != 0 || len - at < 10) return -1;
    rtype = get16(msg + at);
    rclass = get16(msg + at + 2);
    rdlength = get16(msg + at + 8);
    at += 10;
    if (len - at < rdlength) return -1;
    /* CNAMEs and other records are passed over: a recursive server puts the addresses
     * the alias leads to in the same answer. */
    if (rtype == type && rclass == 1 && rdlength == size && found < max) {
      memcpy(addrs + (size_t)found * size, msg + at, size);
      ++found;
    }
    at += rdlength;
  }
  return found;
}
