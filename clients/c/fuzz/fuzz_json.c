/* libFuzzer target: the core's JSON scan, differentially against cJSON.
 *   - What the scan accepts, cJSON accepts.
 *   - What cJSON accepts, printed back by cJSON (always strict JSON), the scan accepts
 *     (cJSON itself is laxer: raw control characters, "1.", trailing NULs).
 *   - For an object, the scan's members are cJSON's, in order: the same keys, and each
 *     value's bytes parse to cJSON's value; hc_json_get finds the first of a key. */
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cjson_reference.h"
#include "hc_json.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

static int depth_of(const cJSON* item) {
  int deepest = 0;
  const cJSON* child;
  for (child = item->child; child != NULL; child = child->next) {
    const int d = depth_of(child);
    if (d > deepest) deepest = d;
  }
  return (cJSON_IsObject(item) || cJSON_IsArray(item)) ? deepest + 1 : deepest;
}

static void check_members(const char* text, size_t size, const cJSON* tree) {
  hc_json_members m;
  hc_span key, value;
  const cJSON* child = tree->child;
  char decoded[512];
  int rc;
  if (hc_json_members_begin(&m, text, size) != 0) abort();
  while ((rc = hc_json_members_next(&m, &key, &value)) == 1) {
    hc_out o;
    cJSON* parsed;
    hc_span found;
    if (child == NULL) abort(); /* the scan found more members than cJSON */
    hc_out_init(&o, decoded, sizeof decoded);
    if (hc_json_unescape(key, &o) != 0) abort();
    if (hc_out_end(&o) > 0 && memchr(decoded, '\0', o.len - 1) == NULL && strcmp(decoded, child->string) != 0) abort();
    parsed = parse_exact(value.at, value.len);
    if (parsed == NULL || !same_value(parsed, child)) abort();
    cJSON_Delete(parsed);
    if (hc_out_end(&o) > 0 && memchr(decoded, '\0', o.len - 1) == NULL) {
      /* The first member of that name, which is cJSON's choice too. */
      if (hc_json_get(text, size, decoded, &found) != 1) abort();
      parsed = parse_exact(found.at, found.len);
      if (parsed == NULL || !same_value(parsed, cJSON_GetObjectItemCaseSensitive(tree, decoded))) abort();
      cJSON_Delete(parsed);
    }
    child = child->next;
  }
  if (rc != 0 || child != NULL) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const char* text = (const char*)data;
  const int ours = hc_json_valid(text, size);
  cJSON* tree = parse_exact(text, size);
  if (ours && tree == NULL) abort();
  if (tree != NULL && depth_of(tree) <= HC_JSON_MAX_DEPTH) {
    char* printed = cJSON_PrintUnformatted(tree);
    cJSON* again = printed != NULL ? cJSON_Parse(printed) : NULL;
    /* Numbers cJSON cannot print back (1e999 prints as null) are left out. */
    if (again != NULL && cJSON_Compare(tree, again, 1) && !hc_json_valid(printed, strlen(printed))) abort();
    cJSON_Delete(again);
    cJSON_free(printed);
  }
  if (ours && cJSON_IsObject(tree)) check_members(text, size, tree);
  cJSON_Delete(tree);
  return 0;
}
