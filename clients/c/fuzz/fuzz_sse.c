/* libFuzzer target: the core's SSE parser on any bytes, split anywhere, must neither
 * crash nor pass its buffer, and must give the same events however the bytes are split
 * (whole, cut once, and in pieces of a few bytes). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hc_sha256.h"
#include "hc_sse.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

#define CAP 256

typedef struct digest {
  hc_sha256 hash; /* over every event's type, data and id, in order */
  size_t events;
} digest;

static void record(digest* d, const hc_sse_event* ev, const char* buf) {
  if (ev->data != NULL && (ev->data != buf || ev->len >= CAP || ev->data[ev->len] != '\0')) abort();
  if (ev->data == NULL && ev->len < CAP) abort(); /* reported oversized, yet it fits */
  if (strlen(ev->type) > HC_SSE_MAX_TYPE || strlen(ev->id) > HC_SSE_MAX_ID) abort();
  hc_sha256_update(&d->hash, ev->type, strlen(ev->type) + 1);
  if (ev->data != NULL) {
    hc_sha256_update(&d->hash, ev->data, ev->len);
  } else {
    hc_sha256_update(&d->hash, "\x01oversized", 11);
  }
  hc_sha256_update(&d->hash, ev->id, strlen(ev->id) + 1);
  ++d->events;
}

/* Parses data in pieces: cut bytes first, then `step` bytes at a time (0: the rest). */
static void parse(const uint8_t* data, size_t size, size_t cut, size_t step, char hex[65], size_t* events,
                  uint32_t* retry) {
  static char buf[CAP];
  hc_sse p;
  digest d;
  size_t at = 0;
  hc_sha256_init(&d.hash);
  d.events = 0;
  hc_sse_init(&p, buf, sizeof buf);
  while (at < size) {
    size_t piece = at == 0 ? cut : (step == 0 ? size - at : step);
    if (piece > size - at) piece = size - at;
    while (piece > 0) {
      hc_sse_event ev;
      size_t used = 0;
      const int got = hc_sse_feed(&p, (const char*)data + at, piece, &used, &ev);
      if (used > piece || (!got && used != piece) || (got && used == 0)) abort();
      if (got) record(&d, &ev, buf);
      at += used;
      piece -= used;
    }
    if (at == 0) cut = 1; /* an empty first piece */
  }
  hc_sha256_final_hex(&d.hash, hex);
  *events = d.events;
  *retry = hc_sse_retry_ms(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  char whole[65], split[65], pieces[65];
  size_t whole_events, split_events, piece_events;
  uint32_t whole_retry, split_retry, piece_retry;
  const size_t cut = size > 0 ? data[0] % (size + 1) : 0;
  const size_t step = size > 1 ? 1 + data[1] % 7 : 1;
  parse(data, size, size, 0, whole, &whole_events, &whole_retry);
  parse(data, size, cut, 0, split, &split_events, &split_retry);
  parse(data, size, 1, step, pieces, &piece_events, &piece_retry);
  if (whole_events != split_events || strcmp(whole, split) != 0 || whole_retry != split_retry) abort();
  if (whole_events != piece_events || strcmp(whole, pieces) != 0 || whole_retry != piece_retry) abort();
  return 0;
}
