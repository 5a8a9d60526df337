/* What the fuzzers that check libhenge-core against cJSON share: a strict parse, and a
 * comparison of values that holds for non-finite numbers. */
#ifndef HENGE_FUZZ_CJSON_REFERENCE_H
#define HENGE_FUZZ_CJSON_REFERENCE_H

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

/* Parses text[0..size) as one value with nothing after it (cJSON wants the NUL inside
 * the length for that). */
static cJSON* parse_exact(const char* text, size_t size) {
  char* copy = (char*)malloc(size + 1);
  cJSON* item;
  if (copy == NULL) abort();
  memcpy(copy, text, size);
  copy[size] = '\0';
  item = cJSON_ParseWithLengthOpts(copy, size + 1, NULL, 1);
  free(copy);
  return item;
}

/* Whether two values are the same: cJSON_Compare says -inf is not -inf, so their
 * printed forms are compared (printing is deterministic for a given double). */
static int same_value(const cJSON* a, const cJSON* b) {
  char* x = cJSON_PrintUnformatted(a);
  char* y = cJSON_PrintUnformatted(b);
  const int same = x != NULL && y != NULL && strcmp(x, y) == 0;
  cJSON_free(x);
  cJSON_free(y);
  return same;
}

#endif
