#include "hc_doc.h"

#include <string.h>

#include "hc_json.h"
#include "hc_sha256.h"

static int is_lower_hex(hc_span s) {
  size_t i;
  for (i = 0; i < s.len; ++i) {
    const char c = s.at[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return 0;
  }
  return 1;
}

hc_doc_err hc_doc_check(const char* text, size_t len, hc_doc* doc) {
  hc_json_members m;
  hc_span key, value, sha;
  int rc, seen = 0; /* a bit for each known member */
  char actual[65];
  if (hc_json_members_begin(&m, text, len) != 0) return HC_DOC_NOT_OBJECT;
  doc->schema.at = text;
  doc->schema.len = 0;
  sha.at = text;
  sha.len = 0;
  while ((rc = hc_json_members_next(&m, &key, &value)) == 1) {
    int bit;
    if (hc_json_raw_is(key, "revision")) {
      bit = 1;
      if (hc_parse_u64(value.at, value.len, HC_MAX_REVISION, &doc->revision) != 0 || doc->revision == 0)
        return HC_DOC_NO_REVISION;
    } else if (hc_json_raw_is(key, "sha256")) {
      bit = 2;
      if (hc_json_string_raw(value, &sha) != 0 || sha.len != 64 || !is_lower_hex(sha)) return HC_DOC_NO_SHA256;
    } else if (hc_json_raw_is(key, "config")) {
      bit = 4;
      if (hc_json_kind_of(value) != HC_JSON_OBJECT) return HC_DOC_NO_CONFIG;
      doc->config = value;
    } else if (hc_json_raw_is(key, "schema")) {
      bit = 8; /* a string, or null for a device without a schema */
      if (hc_json_kind_of(value) != HC_JSON_NULL && hc_json_string_raw(value, &doc->schema) != 0)
        return HC_DOC_BAD_SCHEMA;
    } else {
      continue; /* members a later henged may add */
    }
    if (seen & bit) return HC_DOC_DUPLICATE;
    seen |= bit;
  }
  if (rc < 0) return HC_DOC_NOT_OBJECT;
  if (!(seen & 1)) return HC_DOC_NO_REVISION;
  if (!(seen & 2)) return HC_DOC_NO_SHA256;
  if (!(seen & 4)) return HC_DOC_NO_CONFIG;
  hc_sha256_hex(doc->config.at, doc->config.len, actual);
  if (memcmp(actual, sha.at, 64) != 0) return HC_DOC_SHA_MISMATCH;
  memcpy(doc->sha256, actual, sizeof actual);
  return HC_DOC_OK;
}

const char* hc_doc_strerror(hc_doc_err err) {
  switch (err) {
    case HC_DOC_OK:
      return "ok";
    case HC_DOC_NOT_OBJECT:
      return "config document is not a JSON object";
    case HC_DOC_NO_REVISION:
      return "config document has no positive integer revision";
    case HC_DOC_NO_SHA256:
      return "config document has no sha256";
    case HC_DOC_NO_CONFIG:
      return "config document has no config object";
    case HC_DOC_DUPLICATE:
      return "config document names a member twice";
    case HC_DOC_SHA_MISMATCH:
      return "config does not match its sha256";
    case HC_DOC_BAD_SCHEMA:
      return "config document's schema is not a string";
  }
  return "config document does not check out";
}

static const char* const goaway_names[] = {"unknown", "replaced", "deleted", "token_rotated", "shutdown", "overflow"};

hc_goaway hc_goaway_reason(const char* data, size_t len) {
  hc_span value, raw;
  unsigned i;
  if (hc_json_get(data, len, "reason", &value) != 1 || hc_json_string_raw(value, &raw) != 0) return HC_GOAWAY_UNKNOWN;
  for (i = 1; i < sizeof goaway_names / sizeof goaway_names[0]; ++i) {
    if (hc_json_raw_is(raw, goaway_names[i])) return (hc_goaway)i;
  }
  return HC_GOAWAY_UNKNOWN;
}

const char* hc_goaway_name(hc_goaway reason) {
  return (unsigned)reason < sizeof goaway_names / sizeof goaway_names[0] ? goaway_names[reason] : "unknown";
}
