#include "hc_text.h"

#include <string.h>

void hc_out_init(hc_out* o, char* buf, size_t cap) {
  o->at = buf;
  o->cap = cap;
  o->len = 0;
  o->overflow = 0;
}

void hc_out_bytes(hc_out* o, const char* bytes, size_t n) {
  if (o->overflow || n > o->cap - o->len) {
    o->overflow = 1;
    return;
  }
  memcpy(o->at + o->len, bytes, n);
  o->len += n;
}

void hc_out_str(hc_out* o, const char* s) {
  hc_out_bytes(o, s, strlen(s));
}

void hc_out_u64(hc_out* o, uint64_t v) {
  char digits[20];
  size_t n = 0;
  do {
    digits[sizeof digits - 1 - n++] = (char)('0' + v % 10u);
    v /= 10u;
  } while (v != 0);
  hc_out_bytes(o, digits + sizeof digits - n, n);
}

void hc_out_json_string(hc_out* o, const char* s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char* p = (const unsigned char*)s;
  size_t i = 0;
  hc_out_bytes(o, "\"", 1);
  while (i < n) {
    const unsigned char c = p[i];
    char esc[6];
    if (c == '"' || c == '\\') {
      esc[0] = '\\';
      esc[1] = (char)c;
      hc_out_bytes(o, esc, 2);
      ++i;
    } else if (c < 0x20) {
      esc[0] = '\\';
      esc[1] = 'u';
      esc[2] = '0';
      esc[3] = '0';
      esc[4] = hex[c >> 4];
      esc[5] = hex[c & 15u];
      hc_out_bytes(o, esc, 6);
      ++i;
    } else if (c < 0x80) {
      hc_out_bytes(o, (const char*)p + i, 1);
      ++i;
    } else {
      const size_t len = hc_utf8_char(p + i, n - i);
      if (len == 0) {
        hc_out_bytes(o, "?", 1);
        ++i;
      } else {
        hc_out_bytes(o, (const char*)p + i, len);
        i += len;
      }
    }
  }
  hc_out_bytes(o, "\"", 1);
}

size_t hc_out_end(hc_out* o) {
  hc_out_bytes(o, "", 1);
  if (o->overflow) {
    if (o->cap > 0) o->at[0] = '\0';
    return 0;
  }
  return o->len - 1;
}

int hc_parse_u64(const char* s, size_t n, uint64_t max, uint64_t* out) {
  uint64_t v = 0;
  size_t i;
  if (n == 0) return -1;
  for (i = 0; i < n; ++i) {
    const unsigned d = (unsigned)(unsigned char)s[i] - '0';
    if (d > 9 || v > (max - d) / 10u) return -1;
    v = v * 10u + d;
  }
  *out = v;
  return 0;
}

size_t hc_utf8_char(const unsigned char* s, size_t n) {
  size_t len, i;
  uint32_t cp;
  if (n == 0) return 0;
  if (s[0] < 0x80) return 1;
  if (s[0] >= 0xC2 && s[0] <= 0xDF) {
    len = 2;
    cp = s[0] & 0x1Fu;
  } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
    len = 3;
    cp = s[0] & 0x0Fu;
  } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
    len = 4;
    cp = s[0] & 0x07u;
  } else {
    return 0;
  }
  if (n < len) return 0;
  for (i = 1; i < len; ++i) {
    if ((s[i] & 0xC0u) != 0x80u) return 0;
    cp = (cp << 6) | (s[i] & 0x3Fu);
  }
  if ((len == 3 && cp < 0x800u) || (len == 4 && cp < 0x10000u)) return 0; /* overlong */
  if ((cp >= 0xD800u && cp <= 0xDFFFu) || cp > 0x10FFFFu) return 0;
  return len;
}

int hc_equals_nocase(const char* a, size_t n, const char* b) {
  size_t i;
  for (i = 0; i < n; ++i) {
    char x = a[i];
    if (b[i] == '\0') return 0;
    if (x >= 'A' && x <= 'Z') x = (char)(x + ('a' - 'A'));
    if (x != b[i]) return 0;
  }
  return b[n] == '\0';
}
