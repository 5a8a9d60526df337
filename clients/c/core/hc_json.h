/* An in-place JSON scan (RFC 8259): it checks text and hands out the exact bytes of its
 * members, allocating nothing and copying nothing. There is no tree: a caller asks for
 * the members it wants and reads their bytes where they lie. Nesting is bounded by
 * HC_JSON_MAX_DEPTH without recursion, so the stack used is fixed.
 *
 * Strings are checked for their escapes (surrogates paired) and for raw control
 * characters; other bytes pass as they are (a config's sha256 vouches for them). */
#ifndef HC_JSON_H
#define HC_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "hc_text.h"

#define HC_JSON_MAX_DEPTH 64

/* Whether text[0..len) is one JSON value, with nothing but whitespace around it.
 * Returns 1 or 0. */
int hc_json_valid(const char* text, size_t len);

/* The members of an object, one at a time, checked as they are reached. */
typedef struct hc_json_members {
  const char* text;
  size_t len;
  size_t pos;
  int started;
} hc_json_members;

/* Starts on the object text[0..len) (whitespace around it allowed). Returns 0, or -1
 * when the text does not start with '{'. */
int hc_json_members_begin(hc_json_members* m, const char* text, size_t len);
/* The next member: its key's raw bytes between the quotes (escapes as written) and its
 * value's exact bytes. Returns 1 for a member, 0 after the last one (when the object
 * ends and only whitespace follows it), -1 when the text is not valid JSON there. */
int hc_json_members_next(hc_json_members* m, hc_span* key, hc_span* value);

/* Looks up key in the object text[0..len), checking the whole object. Returns 1 with
 * the value's bytes (its first occurrence), 0 when it is absent, -1 when the text is
 * not a valid JSON object. */
int hc_json_get(const char* text, size_t len, const char* key, hc_span* value);

/* Finds the value at an RFC 6901 JSON pointer ("" for the whole text, "/led/on",
 * "/pins/0", "/a~1b" for the key "a/b") in text[0..len), checking the whole text.
 * Returns 1 with the value's bytes, 0 when there is no value there, -1 when the text
 * is not valid JSON or the pointer is malformed (not starting with '/', a '~' not
 * followed by 0 or 1, a token over 255 bytes). */
int hc_json_pointer(const char* text, size_t len, const char* pointer, hc_span* value);

/* Whether the raw string bytes s (between the quotes, escapes as written) decode to the
 * ASCII word. Returns 1 or 0. */
int hc_json_raw_is(hc_span s, const char* word);
/* A string value's raw bytes between its quotes. Returns 0, or -1 when value is not a
 * string. */
int hc_json_string_raw(hc_span value, hc_span* raw);

/* Writes the raw string bytes s (between the quotes, from a checked text) decoded into
 * o: escapes resolved, \u escapes (a surrogate pair as one character) as UTF-8.
 * Returns 0, or -1 when an escape is malformed. */
int hc_json_unescape(hc_span s, hc_out* o);

/* What a value's first byte says it is. */
typedef enum hc_json_kind {
  HC_JSON_OBJECT,
  HC_JSON_ARRAY,
  HC_JSON_STRING,
  HC_JSON_NUMBER,
  HC_JSON_TRUE,
  HC_JSON_FALSE,
  HC_JSON_NULL
} hc_json_kind;
/* The kind of a value span handed out by this scan. */
hc_json_kind hc_json_kind_of(hc_span value);

/* A switch in a config: the value at pointer (as hc_json_pointer reads it). Returns 1
 * for true, 0 for false or no value there, -1 for any other value or text that is not
 * valid JSON. */
int hc_json_flag(const char* text, size_t len, const char* pointer);

#endif
