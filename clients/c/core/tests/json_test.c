/* The in-place JSON scan: what is valid, what is not, bounded depth, exact bytes. */
#include "hc_json.h"
#include "hc_test.h"
#include "tests.h"

static int valid(const char* text) {
  return hc_json_valid(text, strlen(text));
}

void test_json_accepts_valid_json(void) {
  static const char* const good[] = {"{}",
                                     " [ ] ",
                                     "0",
                                     "-0",
                                     "-1.5e+10",
                                     "1E-2",
                                     "123456789012345678901234567890",
                                     "true",
                                     "false",
                                     "null",
                                     "\"\"",
                                     "\"a\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\"",
                                     "\"\\ud83d\\ude00\"",
                                     "\"\xC3\xA9\"",
                                     "{\"a\":[1,{\"b\":null},\"c\"],\"d\":{}}",
                                     "\t\r\n{\"k\" : 1 }\n",
                                     "[[[[]]]]"};
  size_t i;
  for (i = 0; i < sizeof good / sizeof good[0]; ++i) {
    if (!valid(good[i])) printf("  rejected: %s\n", good[i]);
    CHECK(valid(good[i]));
  }
}

void test_json_rejects_invalid_json(void) {
  static const char* const bad[] = {"",
                                    " ",
                                    "{",
                                    "}",
                                    "[1,]",
                                    "{\"a\":1,}",
                                    "{\"a\" 1}",
                                    "{a:1}",
                                    "{\"a\":}",
                                    "01",
                                    "1.",
                                    ".5",
                                    "-",
                                    "1e",
                                    "+1",
                                    "tru",
                                    "nul",
                                    "True",
                                    "\"abc",
                                    "\"\\x\"",
                                    "\"\\u12\"",
                                    "\"\\u12g4\"",
                                    "\"\\udc00\"",
                                    "\"\\ud800\"",
                                    "\"\\ud800\\u0041\"",
                                    "\"a\tb\"",
                                    "\"a\nb\"",
                                    "{} {}",
                                    "[1] x",
                                    "{\"a\":1}}",
                                    "[1 2]",
                                    "{\"a\":1 \"b\":2}",
                                    "'a'",
                                    "[",
                                    "[{]}",
                                    "{\"a\":[}"};
  size_t i;
  for (i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
    if (valid(bad[i])) printf("  accepted: %s\n", bad[i]);
    CHECK(!valid(bad[i]));
  }
  CHECK(!hc_json_valid("1\0", 2)); /* a NUL after the value is not whitespace */
  CHECK(!hc_json_valid("\"a\0b\"", 5));
}

void test_json_depth_is_bounded(void) {
  char text[2 * (HC_JSON_MAX_DEPTH + 1)];
  size_t depth;
  for (depth = HC_JSON_MAX_DEPTH; depth <= HC_JSON_MAX_DEPTH + 1; ++depth) {
    size_t i;
    for (i = 0; i < depth; ++i) text[i] = '[';
    for (i = 0; i < depth; ++i) text[depth + i] = ']';
    CHECK(hc_json_valid(text, 2 * depth) == (depth <= HC_JSON_MAX_DEPTH));
  }
  {
    /* Objects and arrays mixed, at the limit: a bit a level tells them apart. */
    char mixed[HC_JSON_MAX_DEPTH * 8];
    hc_out o;
    size_t i;
    hc_out_init(&o, mixed, sizeof mixed);
    for (i = 0; i < HC_JSON_MAX_DEPTH; ++i) hc_out_str(&o, i % 3 == 0 ? "[" : "{\"k\":");
    hc_out_str(&o, "1");
    for (i = HC_JSON_MAX_DEPTH; i-- > 0;) hc_out_str(&o, i % 3 == 0 ? "]" : "}");
    CHECK(hc_out_end(&o) > 0);
    CHECK(hc_json_valid(mixed, o.len - 1));
    mixed[o.len - 2] = '}'; /* the outermost container closed with the wrong bracket */
    CHECK(!hc_json_valid(mixed, o.len - 1));
  }
}

void test_json_members_are_exact_bytes(void) {
  static const char text[] = " {\"a\" : [1, 2] , \"b\":{\"c\":\"}\"},\"e\":-1.5e3 } ";
  hc_json_members m;
  hc_span key, value;
  CHECK(hc_json_members_begin(&m, text, sizeof text - 1) == 0);
  CHECK(hc_json_members_next(&m, &key, &value) == 1);
  CHECK(SAME(key.at, key.len, "a") && SAME(value.at, value.len, "[1, 2]"));
  CHECK(hc_json_kind_of(value) == HC_JSON_ARRAY);
  CHECK(hc_json_members_next(&m, &key, &value) == 1);
  CHECK(SAME(key.at, key.len, "b") && SAME(value.at, value.len, "{\"c\":\"}\"}"));
  CHECK(hc_json_members_next(&m, &key, &value) == 1);
  CHECK(SAME(key.at, key.len, "e") && SAME(value.at, value.len, "-1.5e3"));
  CHECK(hc_json_kind_of(value) == HC_JSON_NUMBER);
  CHECK(hc_json_members_next(&m, &key, &value) == 0);
  CHECK(hc_json_members_next(&m, &key, &value) == -1); /* ended stays ended */

  CHECK(hc_json_get(text, sizeof text - 1, "b", &value) == 1 && hc_json_kind_of(value) == HC_JSON_OBJECT);
  CHECK(hc_json_get(text, sizeof text - 1, "z", &value) == 0);
  CHECK(hc_json_get("{\"a\":1,}", sizeof("{\"a\":1,}") - 1, "a", &value) == -1); /* the whole object is checked */
  CHECK(hc_json_get("[1]", sizeof("[1]") - 1, "a", &value) == -1);
  CHECK(hc_json_get("{\"a\":1} x", sizeof("{\"a\":1} x") - 1, "a", &value) == -1);
  CHECK(hc_json_get("{\"a\":1,\"a\":2}", sizeof("{\"a\":1,\"a\":2}") - 1, "a", &value) == 1 &&
        SAME(value.at, value.len, "1"));
}

void test_json_keys_compare_through_escapes(void) {
  hc_span raw, value;
  raw.at = "re\\u0076ision";
  raw.len = strlen(raw.at);
  CHECK(hc_json_raw_is(raw, "revision"));
  CHECK(!hc_json_raw_is(raw, "revisio"));
  CHECK(!hc_json_raw_is(raw, "revisions"));
  raw.at = "a\\nb\\\"\\/";
  raw.len = strlen(raw.at);
  CHECK(hc_json_raw_is(raw, "a\nb\"/"));
  raw.at = "\\u00e9";
  raw.len = 6;
  CHECK(!hc_json_raw_is(raw, "e"));
  value.at = "\"x\"";
  value.len = 3;
  CHECK(hc_json_string_raw(value, &raw) == 0 && SAME(raw.at, raw.len, "x"));
  value.at = "12";
  value.len = 2;
  CHECK(hc_json_string_raw(value, &raw) == -1);
}

void test_json_strings_decode_to_utf8(void) {
  char buf[32];
  hc_out o;
  hc_span raw;
  raw.at = "a\\\"\\n\\u00e9\\u20ac\\ud83d\\ude00\\/";
  raw.len = strlen(raw.at);
  hc_out_init(&o, buf, sizeof buf);
  CHECK(hc_json_unescape(raw, &o) == 0 && hc_out_end(&o) > 0);
  CHECK(strcmp(buf, "a\"\n\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80/") == 0);
  raw.at = "\\ud83dx";
  raw.len = strlen(raw.at);
  hc_out_init(&o, buf, sizeof buf);
  CHECK(hc_json_unescape(raw, &o) == -1);
  raw.at = "\\q";
  raw.len = 2;
  CHECK(hc_json_unescape(raw, &o) == -1);
}

void test_json_pointers_find_values(void) {
  static const char text[] =
      " {\"led\":{\"on\":true,\"level\":3},\"pins\":[10,[20,21],{\"x\":null}],"
      "\"a/b\":1,\"m~n\":2,\"\\u00e9\":\"e\",\"\":\"empty\"} ";
  const size_t len = sizeof text - 1;
  hc_span v;
  CHECK(hc_json_pointer(text, len, "/led/on", &v) == 1 && SAME(v.at, v.len, "true"));
  CHECK(hc_json_pointer(text, len, "/led/level", &v) == 1 && SAME(v.at, v.len, "3"));
  CHECK(hc_json_pointer(text, len, "/led", &v) == 1 && SAME(v.at, v.len, "{\"on\":true,\"level\":3}"));
  CHECK(hc_json_pointer(text, len, "/pins/0", &v) == 1 && SAME(v.at, v.len, "10"));
  CHECK(hc_json_pointer(text, len, "/pins/1/1", &v) == 1 && SAME(v.at, v.len, "21"));
  CHECK(hc_json_pointer(text, len, "/pins/2/x", &v) == 1 && SAME(v.at, v.len, "null"));
  CHECK(hc_json_pointer(text, len, "/a~1b", &v) == 1 && SAME(v.at, v.len, "1"));
  CHECK(hc_json_pointer(text, len, "/m~0n", &v) == 1 && SAME(v.at, v.len, "2"));
  CHECK(hc_json_pointer(text, len, "/\xC3\xA9", &v) == 1 && SAME(v.at, v.len, "\"e\""));
  CHECK(hc_json_pointer(text, len, "/", &v) == 1 && SAME(v.at, v.len, "\"empty\""));
  CHECK(hc_json_pointer(text, len, "", &v) == 1 && v.at[0] == '{' && v.at[v.len - 1] == '}');
  CHECK(hc_json_pointer(text, len, "/pins/3", &v) == 0);
  CHECK(hc_json_pointer(text, len, "/pins/01", &v) == 0);
  CHECK(hc_json_pointer(text, len, "/pins/-", &v) == 0);
  CHECK(hc_json_pointer(text, len, "/led/on/x", &v) == 0);
  CHECK(hc_json_pointer(text, len, "/nope", &v) == 0);
  CHECK(hc_json_pointer(text, len, "led", &v) == -1);
  CHECK(hc_json_pointer(text, len, "/a~2b", &v) == -1);
  CHECK(hc_json_pointer("{\"a\":1,}", sizeof("{\"a\":1,}") - 1, "/a", &v) == -1);
  CHECK(hc_json_pointer("[]", 2, "/0", &v) == 0);
}

void test_json_flags_are_true_false_or_wrong(void) {
  static const char config[] = "{\"led\":{\"on\":true,\"off\":false,\"word\":\"true\",\"n\":1}}";
  const size_t n = sizeof config - 1;
  CHECK(hc_json_flag(config, n, "/led/on") == 1);
  CHECK(hc_json_flag(config, n, "/led/off") == 0);
  CHECK(hc_json_flag(config, n, "/led/missing") == 0); /* no key: off */
  CHECK(hc_json_flag(config, n, "/led/word") == -1);   /* a string is not a switch */
  CHECK(hc_json_flag(config, n, "/led/n") == -1);
  CHECK(hc_json_flag(config, n, "/led") == -1);
  CHECK(hc_json_flag("{\"on\":tru}", 10, "/on") == -1); /* not JSON */
}
