/* libFuzzer target: config documents. Whatever the bytes, parsing must not crash, and an
 * accepted document's config must hash to its sha256 and lie inside the input. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "document.h"
#include "sha256.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  henge_document doc;
  char err[256];
  char hex[65];
  if (henge_document_parse((const char*)data, size, &doc, err, sizeof err) != 0) {
    if (doc.config != NULL || err[0] == '\0') abort(); /* a failure owns nothing and says why */
    return 0;
  }
  henge_sha256_hex(doc.config, doc.config_len, hex);
  if (strcmp(hex, doc.sha256) != 0 || doc.config_len > size || doc.revision < 1) abort();
  henge_document_free(&doc);
  return 0;
}
