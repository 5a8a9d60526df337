/* The documents a device receives: a config document (what a config event or a poll
 * carries) checked against its sha256, and a goaway's reason. */
#ifndef HC_DOC_H
#define HC_DOC_H

#include <stddef.h>
#include <stdint.h>

#include "hc_text.h"

/* The largest revision: revisions are integers below 2^53, exact in any JSON reader. */
#define HC_MAX_REVISION 9007199254740991ULL

/* Why a config document did not check out. */
typedef enum hc_doc_err {
  HC_DOC_OK = 0,
  HC_DOC_NOT_OBJECT,   /* not a JSON object */
  HC_DOC_NO_REVISION,  /* no revision, or not an integer in [1, 2^53) */
  HC_DOC_NO_SHA256,    /* no sha256 of 64 lower-case hex digits */
  HC_DOC_NO_CONFIG,    /* no config object */
  HC_DOC_DUPLICATE,    /* a member named twice */
  HC_DOC_SHA_MISMATCH, /* the config's bytes do not have its sha256 */
  HC_DOC_BAD_SCHEMA    /* a schema that is neither a string nor null */
} hc_doc_err;

/* A checked config document: spans into the text it was checked in. */
typedef struct hc_doc {
  uint64_t revision;
  hc_span config; /* the config object's exact bytes, as hashed */
  hc_span schema; /* "name@version" as written between its quotes; len 0 when absent or null */
  char sha256[65];
} hc_doc;

/* Checks the config document text[0..len): one JSON object with a revision, a sha256
 * and a config object whose bytes have that sha256 (and perhaps a schema: a string, or
 * null).
 * Returns HC_DOC_OK with doc filled in, or why it did not check out (doc unspecified). */
hc_doc_err hc_doc_check(const char* text, size_t len, hc_doc* doc);
/* A static sentence for a hc_doc_err. */
const char* hc_doc_strerror(hc_doc_err err);

/* The reasons henged gives in a goaway event (docs/protocol.md). */
typedef enum hc_goaway {
  HC_GOAWAY_UNKNOWN = 0,
  HC_GOAWAY_REPLACED,      /* another stream took over: do not come back soon */
  HC_GOAWAY_DELETED,       /* the device was deleted */
  HC_GOAWAY_TOKEN_ROTATED, /* the token was rotated: a new one is needed */
  HC_GOAWAY_SHUTDOWN,      /* henged is stopping: reconnect within random(0, retry) */
  HC_GOAWAY_OVERFLOW       /* the stream fell behind: reconnect with Last-Event-ID */
} hc_goaway;

/* The reason of a goaway event's data ({"reason":"…"}); HC_GOAWAY_UNKNOWN for anything
 * else. */
hc_goaway hc_goaway_reason(const char* data, size_t len);
/* The reason's protocol name ("replaced", …; "unknown"). */
const char* hc_goaway_name(hc_goaway reason);

#endif
