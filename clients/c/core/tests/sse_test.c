/* The event parser: the same events whatever the split, limits, ids and retry. */
#include "hc_sse.h"
#include "hc_test.h"
#include "tests.h"

typedef struct seen {
  char type[HC_SSE_MAX_TYPE + 1];
  char data[64];
  char id[HC_SSE_MAX_ID + 1];
  size_t oversized; /* data was NULL: the size reported */
  int own_id;       /* the event had an id field of its own */
} seen;

typedef struct record {
  hc_sse parser;
  char buf[48];
  seen events[8];
  size_t count;
} record;

static void copy_text(char* to, size_t cap, const char* from) {
  size_t n = strlen(from);
  if (n >= cap) n = cap - 1;
  memcpy(to, from, n);
  to[n] = '\0';
}

/* Feeds bytes[0..n), recording each event. */
static void feed(record* r, const char* bytes, size_t n) {
  while (n > 0) {
    hc_sse_event ev;
    size_t used = 0;
    const int got = hc_sse_feed(&r->parser, bytes, n, &used, &ev);
    CHECK(used <= n);
    bytes += used;
    n -= used;
    if (got && r->count < 8) {
      seen* s = &r->events[r->count++];
      copy_text(s->type, sizeof s->type, ev.type);
      copy_text(s->id, sizeof s->id, ev.id);
      s->oversized = ev.data == NULL ? ev.len : 0;
      s->own_id = ev.id_in_event;
      CHECK(ev.data == NULL || (strlen(ev.data) == ev.len || memchr(ev.data, '\0', ev.len) != NULL));
      if (ev.data != NULL) copy_text(s->data, sizeof s->data, ev.data);
    }
  }
}

static void start(record* r, size_t cap) {
  memset(r, 0, sizeof *r);
  hc_sse_init(&r->parser, r->buf, cap);
}

static const char stream[] =
    "\xEF\xBB\xBFretry: 2000\r\n\r\n"
    "event: config\r\nid: 42\r\ndata: {\"a\":1}\r\n\r\n"
    ": keepalive\n\n"
    "data: line one\rdata:line two\r\r"
    "event: goaway\ndata: {\"reason\":\"shutdown\"}\n\n";

static void check_stream(const record* r) {
  CHECK(r->count == 3);
  CHECK(strcmp(r->events[0].type, "config") == 0);
  CHECK(strcmp(r->events[0].id, "42") == 0 && r->events[0].own_id);
  CHECK(strcmp(r->events[0].data, "{\"a\":1}") == 0);
  CHECK(strcmp(r->events[1].type, "message") == 0);
  CHECK(strcmp(r->events[1].data, "line one\nline two") == 0);
  CHECK(strcmp(r->events[1].id, "42") == 0 && !r->events[1].own_id); /* left from before */
  CHECK(strcmp(r->events[2].type, "goaway") == 0);
  CHECK(strcmp(r->events[2].data, "{\"reason\":\"shutdown\"}") == 0);
  CHECK(hc_sse_retry_ms(&r->parser) == 2000);
}

void test_sse_same_events_whatever_the_split(void) {
  static record r;
  size_t cut, i;
  for (cut = 0; cut <= sizeof stream - 1; ++cut) {
    start(&r, sizeof r.buf);
    feed(&r, stream, cut);
    feed(&r, stream + cut, sizeof stream - 1 - cut);
    check_stream(&r);
  }
  start(&r, sizeof r.buf);
  for (i = 0; i < sizeof stream - 1; ++i) feed(&r, stream + i, 1);
  check_stream(&r);
}

void test_sse_partial_byte_order_mark_is_text(void) {
  static record r;
  static const char text[] = "\xEF\xBBz: 1\ndata: x\n\n";
  start(&r, sizeof r.buf);
  feed(&r, text, sizeof text - 1);
  CHECK(r.count == 1 && strcmp(r.events[0].data, "x") == 0);
  /* "\xEF\xBB" + "data" is no field named data: the line is ignored. */
  start(&r, sizeof r.buf);
  {
    static const char text2[] =
        "\xEF\xBB"
        "data: y\n\ndata: z\n\n";
    feed(&r, text2, sizeof text2 - 1);
  }
  CHECK(r.count == 1 && strcmp(r.events[0].data, "z") == 0);
}

void test_sse_oversized_event_is_skipped_and_reported(void) {
  static record r;
  static const char big[] = "event: config\nid: 7\ndata: 0123456789abcdef0123456789abcdef";
  static const char rest[] = "\n\nevent: config\nid: 8\ndata: {}\n\n";
  static const char lines[] = "data: 0123456\ndata: 0123456\ndata: 0123456\n\ndata: ok\n\n";
  start(&r, 16);
  feed(&r, big, sizeof big - 1);
  CHECK(r.count == 0);
  feed(&r, rest, sizeof rest - 1);
  CHECK(r.count == 2);
  CHECK(strcmp(r.events[0].type, "config") == 0 && strcmp(r.events[0].id, "7") == 0);
  CHECK(r.events[0].oversized == 33); /* 32 bytes and the line's '\n' */
  CHECK(strcmp(r.events[1].id, "8") == 0 && strcmp(r.events[1].data, "{}") == 0 && r.events[1].oversized == 0);

  start(&r, 16);
  feed(&r, lines, sizeof lines - 1);
  CHECK(r.count == 2);
  CHECK(r.events[0].oversized > 16);
  CHECK(strcmp(r.events[1].data, "ok") == 0);

  /* Exactly the buffer: 15 bytes of data, its NUL where the '\n' was. */
  start(&r, 16);
  feed(&r, "data: 0123456789abcde\n\n", sizeof("data: 0123456789abcde\n\n") - 1);
  CHECK(r.count == 1 && r.events[0].oversized == 0 && strcmp(r.events[0].data, "0123456789abcde") == 0);
  start(&r, 16);
  feed(&r, "data: 0123456789abcdef\n\n", sizeof("data: 0123456789abcdef\n\n") - 1);
  CHECK(r.count == 1 && r.events[0].oversized == 17);
}

void test_sse_ignores_unknown_fields_and_bad_retries(void) {
  static record r;
  static const char text[] =
      "foo: bar\nretry: soon\nretry: 12x\nretry:\nretry: \nretry: 1234567890\n"
      "event: x\n\ndata\n\nretry:250\nevent: a-very-long-event-name\ndata: q\n\n";
  start(&r, sizeof r.buf);
  feed(&r, text, sizeof text - 1);
  CHECK(r.count == 2);
  CHECK(strcmp(r.events[0].type, "message") == 0 && strcmp(r.events[0].data, "") == 0);
  CHECK(strcmp(r.events[1].type, "") == 0 && strcmp(r.events[1].data, "q") == 0);
  CHECK(hc_sse_retry_ms(&r.parser) == 250);
  start(&r, sizeof r.buf);
  feed(&r, "retry: 12x\n", sizeof("retry: 12x\n") - 1);
  CHECK(hc_sse_retry_ms(&r.parser) == HC_SSE_NO_RETRY);
}

void test_sse_ids_with_nul_or_too_long(void) {
  static record r;
  static const char text[] =
      "id: 5\ndata: a\n\nid: 6\0x\ndata: b\n\nid: 123456789012345678901234\ndata: c\n\n"
      "id\ndata: d\n\n";
  start(&r, sizeof r.buf);
  feed(&r, text, sizeof text - 1);
  CHECK(r.count == 4);
  CHECK(strcmp(r.events[0].id, "5") == 0);
  CHECK(strcmp(r.events[1].id, "5") == 0); /* an id holding a NUL is ignored */
  CHECK(strcmp(r.events[2].id, "") == 0);  /* one too long is no id */
  CHECK(strcmp(r.events[3].id, "") == 0);  /* "id" alone clears it */
}
