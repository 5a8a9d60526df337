#include "document.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"

static char* copy_bytes(const char* bytes, size_t n) {
  char* out = (char*)malloc(n + 1);
  if (out == NULL) return NULL;
  memcpy(out, bytes, n);
  out[n] = '\0';
  return out;
}

/* The last occurrence of c in text[0..len), or NULL. */
static const char* last_of(const char* text, size_t len, char c) {
  while (len > 0) {
    if (text[--len] == c) return text + len;
  }
  return NULL;
}

/* The first occurrence of needle in text[0..len), or NULL (text need not end in NUL). */
static const char* find(const char* text, size_t len, const char* needle) {
  const size_t n = strlen(needle);
  size_t i;
  for (i = 0; n <= len && i <= len - n; ++i) {
    if (memcmp(text + i, needle, n) == 0) return text + i;
  }
  return NULL;
}

static int fail(char* err, size_t errlen, const char* message) {
  if (errlen > 0) snprintf(err, errlen, "%s", message);
  return -1;
}

int henge_document_parse(const char* text, size_t len, henge_document* doc, char* err, size_t errlen) {
  static const char member[] = "\"config\":";
  const size_t member_len = sizeof member - 1;
  cJSON* root;
  const cJSON *revision, *sha, *config, *schema;
  const char *at, *end;
  cJSON* reparsed;
  char actual[65];
  int same;
  int has_schema;

  memset(doc, 0, sizeof *doc);
  root = cJSON_ParseWithLength(text, len);
  if (root == NULL || !cJSON_IsObject(root)) {
    cJSON_Delete(root);
    return fail(err, errlen, "config document is not a JSON object");
  }
  revision = cJSON_GetObjectItemCaseSensitive(root, "revision");
  sha = cJSON_GetObjectItemCaseSensitive(root, "sha256");
  config = cJSON_GetObjectItemCaseSensitive(root, "config");
  schema = cJSON_GetObjectItemCaseSensitive(root, "schema");
  /* Revisions are integers below 2^53, exact in a double. */
  if (!cJSON_IsNumber(revision) || revision->valuedouble < 1 || revision->valuedouble > 9007199254740991.0 ||
      revision->valuedouble != (double)(long long)revision->valuedouble) {
    cJSON_Delete(root);
    return fail(err, errlen, "config document has no positive integer revision");
  }
  if (!cJSON_IsString(sha) || strlen(sha->valuestring) != 64) {
    cJSON_Delete(root);
    return fail(err, errlen, "config document has no sha256");
  }
  if (!cJSON_IsObject(config)) {
    cJSON_Delete(root);
    return fail(err, errlen, "config document has no config object");
  }
  /* The protocol puts "config" last: its bytes run from just after the first
   * "config": to just before the closing brace. */
  at = find(text, len, member);
  end = last_of(text, len, '}');
  if (at == NULL || end == NULL || end < at + member_len) {
    cJSON_Delete(root);
    return fail(err, errlen, "config document does not end with its config member");
  }
  doc->config_len = (size_t)(end - (at + member_len));
  henge_sha256_hex(at + member_len, doc->config_len, actual);
  if (strcmp(actual, sha->valuestring) != 0) {
    cJSON_Delete(root);
    memset(doc, 0, sizeof *doc);
    return fail(err, errlen, "config does not match its sha256");
  }
  reparsed = cJSON_ParseWithLength(at + member_len, doc->config_len);
  same = reparsed != NULL && cJSON_Compare(reparsed, config, 1);
  cJSON_Delete(reparsed);
  if (!same) {
    cJSON_Delete(root);
    memset(doc, 0, sizeof *doc);
    return fail(err, errlen, "config document does not end with its config member");
  }
  doc->revision = (long long)revision->valuedouble;
  memcpy(doc->sha256, actual, sizeof actual);
  doc->config = copy_bytes(at + member_len, doc->config_len);
  has_schema = cJSON_IsString(schema);
  doc->schema = has_schema ? copy_bytes(schema->valuestring, strlen(schema->valuestring)) : NULL;
  cJSON_Delete(root); /* schema pointed into it: copied above, not used below */
  if (doc->config == NULL || (has_schema && doc->schema == NULL)) {
    henge_document_free(doc);
    return fail(err, errlen, "out of memory");
  }
  return 0;
}

void henge_document_free(henge_document* doc) {
  if (doc == NULL) return;
  free(doc->config);
  free(doc->schema);
  memset(doc, 0, sizeof *doc);
}
