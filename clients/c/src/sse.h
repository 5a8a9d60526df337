/* An incremental parser for server-sent events (WHATWG text/event-stream). Bytes may
 * arrive split anywhere, even between the '\r' and '\n' of a line end. */
#ifndef HENGE_SSE_H
#define HENGE_SSE_H

#include <stddef.h>

#include "buf.h"

/* One dispatched event: type ("message" when none was named), its data (NUL-terminated,
 * data_len bytes), and the last event id in force. An event whose data (or one of its
 * lines) passed the limit comes with data NULL and data_len the bytes seen of it: it
 * was skipped, not kept, and the stream goes on. Return non-zero to stop parsing. */
typedef int (*henge_sse_event_fn)(void* user, const char* type, const char* data, size_t data_len, const char* id);

typedef struct henge_sse {
  henge_buf line;
  henge_buf type;
  henge_buf data;
  henge_buf id;
  long retry_ms;    /* -1 until the stream sends a valid retry field */
  int saw_cr;       /* the last byte was '\r': a '\n' next ends the same line */
  int bom_state;    /* how many bytes of a leading byte-order mark were seen; 3 = done */
  int broken;       /* memory ran out; the parser stays broken */
  size_t skipping;  /* > 0: the current line passed the limit; its length so far */
  size_t oversized; /* > 0: the current event passed the limit; its size so far */
} henge_sse;

/* max_bytes bounds one line and one event's data; what passes it is skipped. */
void henge_sse_init(henge_sse* p, size_t max_bytes);
void henge_sse_free(henge_sse* p);
/* Feeds bytes. Returns 0, 1 when the callback asked to stop, -1 when memory ran out. */
int henge_sse_feed(henge_sse* p, const char* bytes, size_t n, henge_sse_event_fn fn, void* user);

#endif
