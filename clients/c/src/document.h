/* The config document a device receives, parsed and checked: its sha256 is verified
 * over the exact bytes of its "config" member, which are what a client writes to disk. */
#ifndef HENGE_DOCUMENT_H
#define HENGE_DOCUMENT_H

#include <stddef.h>

typedef struct henge_document {
  long long revision;
  char sha256[65];
  char* config; /* the config's bytes as received, NUL-terminated; owned */
  size_t config_len;
  char* schema; /* "name@version", or NULL; owned */
} henge_document;

/* Parses and checks text[0..len). Returns 0, or -1 with a message in err (at most
 * errlen bytes, NUL-terminated); on failure doc owns nothing. */
int henge_document_parse(const char* text, size_t len, henge_document* doc, char* err, size_t errlen);
void henge_document_free(henge_document* doc);

#endif
