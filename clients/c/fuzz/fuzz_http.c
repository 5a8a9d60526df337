/* libFuzzer target: the core's HTTP response parser on any bytes. It must not crash,
 * must hand out body bytes from inside the input (never more than it was given), and
 * must give the same status, body and ending whether the bytes come whole or a few at
 * a time. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hc_http.h"
#include "hc_sha256.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

typedef struct outcome {
  hc_sha256 body; /* the body's bytes, in order */
  char body_hex[65];
  size_t body_len;
  unsigned status, heads;
  hc_http_event last;
  hc_http_err err;
  uint64_t etag;
  uint32_t retry_after;
  int close;
} outcome;

/* Parses data in pieces of `step` bytes (0: whole), then ends the connection. */
static void parse(const uint8_t* data, size_t size, size_t step, int no_body, outcome* o) {
  hc_http p;
  size_t at = 0;
  memset(o, 0, sizeof *o);
  hc_sha256_init(&o->body);
  hc_http_init(&p, no_body);
  o->last = HC_HTTP_NEED_MORE;
  while (o->last != HC_HTTP_DONE && o->last != HC_HTTP_ERROR) {
    size_t piece = step == 0 ? size - at : step;
    size_t used = 0;
    hc_span body;
    if (piece > size - at) piece = size - at;
    o->last = hc_http_feed(&p, (const char*)data + at, piece, &used, &body);
    if (used > piece) abort();
    if (o->last == HC_HTTP_BODY) {
      if (body.len == 0 || body.len > used || body.at < (const char*)data + at ||
          body.at + body.len > (const char*)data + at + used)
        abort();
      hc_sha256_update(&o->body, body.at, body.len);
      o->body_len += body.len;
    }
    if (o->last == HC_HTTP_HEAD) ++o->heads;
    at += used;
    if (o->last == HC_HTTP_NEED_MORE && at == size) o->last = hc_http_end(&p);
  }
  if (o->heads > 1 || o->body_len > size) abort();
  hc_sha256_final_hex(&o->body, o->body_hex);
  o->status = p.status;
  o->err = p.err;
  o->etag = p.etag_revision;
  o->retry_after = p.retry_after_s;
  o->close = p.close;
}

static int same(const outcome* a, const outcome* b) {
  return a->body_len == b->body_len && strcmp(a->body_hex, b->body_hex) == 0 && a->status == b->status &&
         a->heads == b->heads && a->last == b->last && a->err == b->err && a->etag == b->etag &&
         a->retry_after == b->retry_after && a->close == b->close;
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static outcome whole, pieces;
  const size_t step = size > 0 ? 1 + data[0] % 5 : 1;
  const int no_body = size > 1 && data[1] == 'H';
  parse(data, size, 0, no_body, &whole);
  parse(data, size, step, no_body, &pieces);
  if (!same(&whole, &pieces)) abort();
  return 0;
}
