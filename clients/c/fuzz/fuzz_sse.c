/* libFuzzer target: the SSE parser on any bytes, split at any point, must neither
 * crash nor pass its limit, and must give the same events however the bytes are split. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"
#include "sse.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

typedef struct digest {
  henge_sha256 hash; /* over every event's type, data and id, in order */
  size_t events;
} digest;

static int on_event(void* user, const char* type, const char* event_data, size_t len, const char* id) {
  digest* d = (digest*)user;
  if ((event_data != NULL && len > 4096) || strlen(type) > 256 || strlen(id) > 256) abort(); /* a limit was passed */
  henge_sha256_update(&d->hash, type, strlen(type) + 1);
  if (event_data != NULL) {
    henge_sha256_update(&d->hash, event_data, len);
  } else {
    henge_sha256_update(&d->hash, "\x01oversized", 11); /* skipped over the limit */
  }
  henge_sha256_update(&d->hash, id, strlen(id) + 1);
  ++d->events;
  return 0;
}

static void parse(const uint8_t* data, size_t size, size_t cut, char hex[65], size_t* events, int* rc) {
  henge_sse p;
  digest d;
  henge_sha256_init(&d.hash);
  d.events = 0;
  henge_sse_init(&p, 4096);
  *rc = henge_sse_feed(&p, (const char*)data, cut, on_event, &d);
  if (*rc == 0) *rc = henge_sse_feed(&p, (const char*)data + cut, size - cut, on_event, &d);
  henge_sse_free(&p);
  henge_sha256_final_hex(&d.hash, hex);
  *events = d.events;
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  char whole[65], split[65];
  size_t whole_events, split_events;
  int whole_rc, split_rc;
  const size_t cut = size > 0 ? data[0] % (size + 1) : 0;
  parse(data, size, size, whole, &whole_events, &whole_rc);
  parse(data, size, cut, split, &split_events, &split_rc);
  if (whole_rc == 0 && split_rc == 0 && (whole_events != split_events || strcmp(whole, split) != 0)) abort();
  return 0;
}
