/* Server-sent events (WHATWG text/event-stream), parsed as the bytes arrive: each
 * event's data is written straight into the caller's buffer, and nothing else of a line
 * is kept. Bytes may be split anywhere, even between the '\r' and '\n' of a line end.
 *
 * The parser hands out one event at a time: hc_sse_feed stops right after an event, so
 * the caller uses its data before feeding the bytes that follow (they overwrite it). */
#ifndef HC_SSE_H
#define HC_SSE_H

#include <stddef.h>
#include <stdint.h>

#define HC_SSE_MAX_TYPE 15 /* longer event names are kept as "" (no henge event is one) */
#define HC_SSE_MAX_ID 23   /* longer ids are kept as "" (henge's ids are revisions) */
#define HC_SSE_NO_RETRY UINT32_MAX

typedef struct hc_sse_event {
  const char* type; /* "message" when the event named none */
  const char* data; /* NUL-terminated, len bytes; NULL when the data passed the buffer */
  size_t len;       /* the data's length; when it passed the buffer, the bytes seen */
  const char* id;   /* the last event id in force; "" for none */
  int id_in_event;  /* the event had an id field of its own (not one left from before) */
} hc_sse_event;

typedef struct hc_sse {
  char* buf; /* the data of the event in progress */
  size_t cap;
  size_t len;
  size_t oversized; /* > 0: the event's data passed cap; its size so far */
  uint32_t retry_ms;
  uint32_t retry_value; /* the retry field being read */
  char type[HC_SSE_MAX_TYPE + 1];
  char id[HC_SSE_MAX_ID + 1];
  char new_id[HC_SSE_MAX_ID + 1]; /* the id field being read */
  char field[6];                  /* the field name being read */
  unsigned char type_len, id_len, new_id_len, field_len;
  unsigned char state;      /* where in a line the parser is */
  unsigned char which;      /* the field of the current line */
  unsigned char bad;        /* the current line's value is unusable for its field */
  unsigned char type_long;  /* the event's name was too long to keep */
  unsigned char saw_cr;     /* the last byte was '\r': a '\n' next ends the same line */
  unsigned char bom;        /* bytes of a leading byte-order mark seen; 3 = past it */
  unsigned char dispatched; /* an event was handed out: clear it on the next feed */
  unsigned char id_seen;    /* the event in progress has had an id field */
} hc_sse;

/* buf (cap bytes, cap >= 1) receives each event's data and its NUL. */
void hc_sse_init(hc_sse* p, char* buf, size_t cap);
/* Feeds bytes[0..n). Returns 1 when an event completed (*ev filled in; *used is how
 * many bytes it took, the rest are to be fed again), 0 when all n were taken. */
int hc_sse_feed(hc_sse* p, const char* bytes, size_t n, size_t* used, hc_sse_event* ev);
/* The retry: of the stream in milliseconds, or HC_SSE_NO_RETRY until one was valid. */
uint32_t hc_sse_retry_ms(const hc_sse* p);

#endif
