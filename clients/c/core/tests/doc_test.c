/* The config document: the config's bytes as sent, their hash, and refusals; goaway. */
#include "hc_doc.h"
#include "hc_sha256.h"
#include "hc_test.h"
#include "tests.h"

/* {"revision":<revision>,"schema":"led@1","sha256":"<sha256 of hashed>","config":<config>} */
static size_t document(char* out, size_t cap, const char* revision, const char* config, const char* hashed) {
  char hex[65];
  hc_out o;
  hc_sha256_hex(hashed, strlen(hashed), hex);
  hc_out_init(&o, out, cap);
  hc_out_str(&o, "{\"revision\":");
  hc_out_str(&o, revision);
  hc_out_str(&o, ",\"schema\":\"led@1\",\"sha256\":\"");
  hc_out_str(&o, hex);
  hc_out_str(&o, "\",\"config\":");
  hc_out_str(&o, config);
  hc_out_str(&o, "}");
  return hc_out_end(&o);
}

void test_doc_takes_the_config_bytes_and_checks_them(void) {
  static const char config[] = "{\"led\":{\"on\":true},\"name\":\"a\" }";
  char text[256], hex[65];
  hc_doc doc;
  const size_t len = document(text, sizeof text, "42", config, config);
  CHECK(len > 0);
  CHECK(hc_doc_check(text, len, &doc) == HC_DOC_OK);
  CHECK(doc.revision == 42);
  CHECK(SAME(doc.config.at, doc.config.len, config));
  CHECK(SAME(doc.schema.at, doc.schema.len, "led@1"));
  hc_sha256_hex(config, strlen(config), hex);
  CHECK(strcmp(doc.sha256, hex) == 0);

  /* The members in any order, a member henged may add later, the largest revision. */
  {
    static const char tail[] = "\",\"later\":[1,2],\"revision\":9007199254740991}";
    hc_out o;
    hc_out_init(&o, text, sizeof text);
    hc_out_str(&o, " {\"config\":{},\"sha256\":\"");
    hc_sha256_hex("{}", 2, hex);
    hc_out_str(&o, hex);
    hc_out_str(&o, tail);
    CHECK(hc_out_end(&o) > 0);
    CHECK(hc_doc_check(text, o.len - 1, &doc) == HC_DOC_OK);
    CHECK(doc.revision == 9007199254740991ULL && doc.schema.len == 0 && SAME(doc.config.at, doc.config.len, "{}"));
  }
  /* What henged sends for a device without a schema. */
  {
    static const char head[] = "{\"revision\":3,\"schema\":null,\"sha256\":\"";
    hc_out o;
    hc_out_init(&o, text, sizeof text);
    hc_out_str(&o, head);
    hc_sha256_hex("{}", 2, hex);
    hc_out_str(&o, hex);
    hc_out_str(&o, "\",\"config\":{}}");
    CHECK(hc_doc_check(text, hc_out_end(&o), &doc) == HC_DOC_OK && doc.revision == 3 && doc.schema.len == 0);
  }
  CHECK(hc_doc_check("{\"schema\":1}", sizeof("{\"schema\":1}") - 1, &doc) == HC_DOC_BAD_SCHEMA);
}

void test_doc_refuses_broken_documents(void) {
  static const char config[] = "{\"a\":1}";
  char text[256], hex[65];
  hc_doc doc;
  size_t len;
  CHECK(hc_doc_check(text, document(text, sizeof text, "1", config, "{}"), &doc) == HC_DOC_SHA_MISMATCH);
  CHECK(hc_doc_check("not json", sizeof("not json") - 1, &doc) == HC_DOC_NOT_OBJECT);
  CHECK(hc_doc_check("[1]", sizeof("[1]") - 1, &doc) == HC_DOC_NOT_OBJECT);
  CHECK(hc_doc_check(text, document(text, sizeof text, "0", config, config), &doc) == HC_DOC_NO_REVISION);
  CHECK(hc_doc_check(text, document(text, sizeof text, "1.5", config, config), &doc) == HC_DOC_NO_REVISION);
  CHECK(hc_doc_check(text, document(text, sizeof text, "1e3", config, config), &doc) == HC_DOC_NO_REVISION);
  CHECK(hc_doc_check(text, document(text, sizeof text, "-1", config, config), &doc) == HC_DOC_NO_REVISION);
  CHECK(hc_doc_check(text, document(text, sizeof text, "\"7\"", config, config), &doc) == HC_DOC_NO_REVISION);
  CHECK(hc_doc_check(text, document(text, sizeof text, "9007199254740992", config, config), &doc) ==
        HC_DOC_NO_REVISION);
  CHECK(hc_doc_check(text, document(text, sizeof text, "1", "[1]", "[1]"), &doc) == HC_DOC_NO_CONFIG);
  CHECK(hc_doc_check(text, document(text, sizeof text, "1", "{\"a\":}", "{\"a\":}"), &doc) == HC_DOC_NOT_OBJECT);
  /* Trailing bytes after the document, and a member named twice. */
  len = document(text, sizeof text, "1", config, config);
  text[len] = 'x';
  CHECK(hc_doc_check(text, len + 1, &doc) == HC_DOC_NOT_OBJECT);
  CHECK(hc_doc_check("{\"revision\":1,\"revision\":2}", sizeof("{\"revision\":1,\"revision\":2}") - 1, &doc) ==
        HC_DOC_DUPLICATE);
  CHECK(hc_doc_check("{\"revision\":1,\"config\":{}}", sizeof("{\"revision\":1,\"config\":{}}") - 1, &doc) ==
        HC_DOC_NO_SHA256);
  CHECK(hc_doc_check("{\"revision\":1,\"sha256\":\"ab\",\"config\":{}}",
                     sizeof("{\"revision\":1,\"sha256\":\"ab\",\"config\":{}}") - 1, &doc) == HC_DOC_NO_SHA256);
  /* An upper-case digest is not henged's form. */
  hc_sha256_hex(config, strlen(config), hex);
  {
    hc_out o;
    size_t i;
    for (i = 0; i < 64; ++i) {
      if (hex[i] >= 'a') hex[i] = (char)(hex[i] - 32);
    }
    hc_out_init(&o, text, sizeof text);
    hc_out_str(&o, "{\"revision\":1,\"sha256\":\"");
    hc_out_str(&o, hex);
    hc_out_str(&o, "\",\"config\":{\"a\":1}}");
    CHECK(hc_doc_check(text, hc_out_end(&o), &doc) == HC_DOC_NO_SHA256);
  }
  CHECK(strlen(hc_doc_strerror(HC_DOC_SHA_MISMATCH)) > 0);
}

void test_doc_goaway_reasons(void) {
  static const char* const names[] = {"replaced", "deleted", "token_rotated", "shutdown", "overflow"};
  char text[64];
  size_t i;
  for (i = 0; i < 5; ++i) {
    hc_out o;
    hc_goaway reason;
    hc_out_init(&o, text, sizeof text);
    hc_out_str(&o, "{\"reason\":\"");
    hc_out_str(&o, names[i]);
    hc_out_str(&o, "\",\"retry_ms\":100}");
    reason = hc_goaway_reason(text, hc_out_end(&o));
    CHECK(reason == (hc_goaway)(HC_GOAWAY_REPLACED + i));
    CHECK(strcmp(hc_goaway_name(reason), names[i]) == 0);
  }
  CHECK(hc_goaway_reason("{\"reason\":\"later\"}", sizeof("{\"reason\":\"later\"}") - 1) == HC_GOAWAY_UNKNOWN);
  CHECK(hc_goaway_reason("{\"reason\":1}", sizeof("{\"reason\":1}") - 1) == HC_GOAWAY_UNKNOWN);
  CHECK(hc_goaway_reason("{\"reason\":\"shutdown\"", sizeof("{\"reason\":\"shutdown\"") - 1) == HC_GOAWAY_UNKNOWN);
  CHECK(strcmp(hc_goaway_name(HC_GOAWAY_UNKNOWN), "unknown") == 0);
}
