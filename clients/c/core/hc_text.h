/* Text without a C library: spans of bytes, a bounded writer, decimal numbers, UTF-8.
 * Everything in the core that reads or writes text goes through these. */
#ifndef HC_TEXT_H
#define HC_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* Bytes inside a buffer someone else owns; not NUL-terminated. */
typedef struct hc_span {
  const char* at;
  size_t len;
} hc_span;

/* Writes into a caller's buffer and never past it: once something does not fit, the
 * writer stays overflowed and hc_out_end reports it. */
typedef struct hc_out {
  char* at;
  size_t cap;
  size_t len;
  int overflow;
} hc_out;

void hc_out_init(hc_out* o, char* buf, size_t cap);
void hc_out_bytes(hc_out* o, const char* bytes, size_t n);
void hc_out_str(hc_out* o, const char* s);
void hc_out_u64(hc_out* o, uint64_t v);
/* Writes n bytes of s as a JSON string, quotes included. Bytes that are not valid UTF-8
 * become '?', so the text is always valid JSON. */
void hc_out_json_string(hc_out* o, const char* s, size_t n);
/* Ends the text with a NUL. Returns its length without the NUL, or 0 when the text
 * (and its NUL) did not fit. */
size_t hc_out_end(hc_out* o);

/* Parses n decimal digits (no sign, no space) into *out. Returns 0, or -1 when n is 0,
 * a byte is not a digit, or the value is above max. */
int hc_parse_u64(const char* s, size_t n, uint64_t max, uint64_t* out);

/* The length of the valid UTF-8 character at s (at most n bytes there), or 0 when the
 * bytes are not one (overlong forms, surrogates and values above U+10FFFF are not). */
size_t hc_utf8_char(const unsigned char* s, size_t n);

/* Whether a[0..n) equals the NUL-terminated ASCII word b, ignoring ASCII case. */
int hc_equals_nocase(const char* a, size_t n, const char* b);

#endif
