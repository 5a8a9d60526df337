/* The bounded writer, JSON string escaping, decimal numbers and UTF-8. */
#include "hc_test.h"
#include "hc_text.h"
#include "tests.h"

void test_text_writer_never_passes_its_buffer(void) {
  char buf[8];
  hc_out o;
  hc_out_init(&o, buf, sizeof buf);
  hc_out_str(&o, "abc");
  hc_out_u64(&o, 1234);
  CHECK(hc_out_end(&o) == 7);
  CHECK(strcmp(buf, "abc1234") == 0);

  memset(buf, 'z', sizeof buf);
  hc_out_init(&o, buf, 4);
  hc_out_str(&o, "abcd"); /* fits, but its NUL does not */
  CHECK(hc_out_end(&o) == 0);
  CHECK(buf[0] == '\0' && buf[4] == 'z');

  hc_out_init(&o, buf, sizeof buf);
  hc_out_str(&o, "0123456789"); /* overflows once, and stays overflowed */
  hc_out_str(&o, "x");
  CHECK(o.overflow && hc_out_end(&o) == 0);
}

void test_text_json_strings_are_escaped_and_valid(void) {
  char buf[64];
  hc_out o;
  static const char raw[] = "a\"b\\c\n\x01\xC3\xA9\xFF\xE2\x82";
  hc_out_init(&o, buf, sizeof buf);
  hc_out_json_string(&o, raw, sizeof raw - 1);
  CHECK(hc_out_end(&o) > 0);
  /* é stays; 0xFF and a cut-off 3-byte character become '?', one a byte. */
  CHECK(strcmp(buf, "\"a\\\"b\\\\c\\u000a\\u0001\xC3\xA9???\"") == 0);
}

void test_text_numbers_and_utf8(void) {
  uint64_t v = 0;
  char buf[24];
  hc_out o;
  static const unsigned char euro[] = {0xE2, 0x82, 0xAC};
  static const unsigned char overlong[] = {0xC0, 0x80};
  static const unsigned char surrogate[] = {0xED, 0xA0, 0x80};
  static const unsigned char too_big[] = {0xF4, 0x90, 0x80, 0x80};
  CHECK(hc_parse_u64("9007199254740991", 16, 9007199254740991ULL, &v) == 0 && v == 9007199254740991ULL);
  CHECK(hc_parse_u64("9007199254740992", 16, 9007199254740991ULL, &v) == -1);
  CHECK(hc_parse_u64("18446744073709551615", 20, UINT64_MAX, &v) == 0 && v == UINT64_MAX);
  CHECK(hc_parse_u64("18446744073709551616", 20, UINT64_MAX, &v) == -1);
  CHECK(hc_parse_u64("", 0, 10, &v) == -1);
  CHECK(hc_parse_u64("1a", 2, 100, &v) == -1);
  CHECK(hc_parse_u64("-1", 2, 100, &v) == -1);
  hc_out_init(&o, buf, sizeof buf);
  hc_out_u64(&o, 0);
  hc_out_str(&o, " ");
  hc_out_u64(&o, UINT64_MAX);
  CHECK(hc_out_end(&o) > 0 && strcmp(buf, "0 18446744073709551615") == 0);
  CHECK(hc_utf8_char(euro, 3) == 3);
  CHECK(hc_utf8_char(euro, 2) == 0);
  CHECK(hc_utf8_char(overlong, 2) == 0);
  CHECK(hc_utf8_char(surrogate, 3) == 0);
  CHECK(hc_utf8_char(too_big, 4) == 0);
  CHECK(hc_equals_nocase("Chunked", 7, "chunked"));
  CHECK(!hc_equals_nocase("chunke", 6, "chunked"));
  CHECK(!hc_equals_nocase("chunkedx", 8, "chunked"));
}
