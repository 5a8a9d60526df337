/* libFuzzer target: config documents. Whatever the bytes, the check must not crash.
 *   - A document it accepts has a config inside the input that hashes to its sha256,
 *     and cJSON reads the same revision and the same config from it.
 *   - A document whose members cJSON finds well formed (a revision in digits, a sha256
 *     of 64 lower-case hex digits, a config object, a schema that is a string or null,
 *     none of them twice) is refused for nothing but its hash. */
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cjson_reference.h"
#include "hc_doc.h"
#include "hc_json.h"
#include "hc_sha256.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

static int count(const cJSON* root, const char* name) {
  const cJSON* child;
  int n = 0;
  for (child = root->child; child != NULL; child = child->next) n += strcmp(child->string, name) == 0;
  return n;
}

static int is_lower_hex64(const char* s) {
  size_t i;
  for (i = 0; s[i] != '\0'; ++i) {
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
  }
  return i == 64;
}

/* Whether cJSON finds the document's members well formed. */
static int well_formed(const char* text, size_t size, const cJSON* root) {
  const cJSON* revision = cJSON_GetObjectItemCaseSensitive(root, "revision");
  const cJSON* sha = cJSON_GetObjectItemCaseSensitive(root, "sha256");
  const cJSON* config = cJSON_GetObjectItemCaseSensitive(root, "config");
  const cJSON* schema = cJSON_GetObjectItemCaseSensitive(root, "schema");
  hc_span raw;
  size_t i;
  if (!cJSON_IsObject(root) || count(root, "revision") != 1 || count(root, "sha256") != 1 ||
      count(root, "config") != 1 || count(root, "schema") > 1)
    return 0;
  if (!cJSON_IsNumber(revision) || revision->valuedouble < 1 || revision->valuedouble > 9007199254740991.0) return 0;
  /* The revision's own text: henge writes digits, never 1e3 or 1.0. */
  if (hc_json_get(text, size, "revision", &raw) != 1) return 0;
  for (i = 0; i < raw.len; ++i) {
    if (raw.at[i] < '0' || raw.at[i] > '9') return 0;
  }
  if (!cJSON_IsString(sha) || !is_lower_hex64(sha->valuestring) || !cJSON_IsObject(config)) return 0;
  if (hc_json_get(text, size, "sha256", &raw) != 1 || raw.len != 66) return 0; /* written without escapes */
  return schema == NULL || cJSON_IsNull(schema) || cJSON_IsString(schema);
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const char* text = (const char*)data;
  hc_doc doc;
  char hex[65];
  const hc_doc_err verdict = hc_doc_check(text, size, &doc);
  cJSON* root = parse_exact(text, size);
  if (verdict != HC_DOC_OK && verdict != HC_DOC_SHA_MISMATCH && root != NULL && hc_json_valid(text, size) &&
      well_formed(text, size, root))
    abort();
  if (verdict == HC_DOC_OK) {
    cJSON* config;
    if (doc.config.at < text || doc.config.at + doc.config.len > text + size) abort();
    hc_sha256_hex(doc.config.at, doc.config.len, hex);
    if (strcmp(hex, doc.sha256) != 0 || doc.revision < 1 || doc.revision > HC_MAX_REVISION) abort();
    if (!hc_json_valid(doc.config.at, doc.config.len) || doc.config.at[0] != '{') abort();
    config = parse_exact(doc.config.at, doc.config.len);
    if (!cJSON_IsObject(root) || config == NULL) abort();
    if (cJSON_GetObjectItemCaseSensitive(root, "revision")->valuedouble != (double)doc.revision) abort();
    if (!same_value(cJSON_GetObjectItemCaseSensitive(root, "config"), config)) abort();
    cJSON_Delete(config);
  }
  cJSON_Delete(root);
  return 0;
}
