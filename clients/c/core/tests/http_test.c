/* The HTTP/1.1 response parser, fed whole and split, and the request writer. */
#include "hc_http.h"
#include "hc_test.h"
#include "tests.h"

typedef struct reply {
  hc_http p;
  char body[128];
  size_t body_len;
  int heads, done;
  hc_http_event last;
} reply;

/* Feeds bytes[0..n) and, with at_end, the close of the connection. */
static void feed(reply* r, const char* bytes, size_t n, int at_end) {
  for (;;) {
    size_t used = 0;
    hc_span body;
    const hc_http_event ev = hc_http_feed(&r->p, bytes, n, &used, &body);
    CHECK(used <= n);
    bytes += used;
    n -= used;
    r->last = ev;
    if (ev == HC_HTTP_HEAD) ++r->heads;
    if (ev == HC_HTTP_BODY) {
      CHECK(body.len > 0);
      if (r->body_len + body.len <= sizeof r->body) memcpy(r->body + r->body_len, body.at, body.len);
      r->body_len += body.len;
    }
    if (ev == HC_HTTP_DONE) ++r->done;
    if (ev == HC_HTTP_DONE || ev == HC_HTTP_ERROR) return;
    if (ev == HC_HTTP_NEED_MORE) {
      CHECK(n == 0);
      if (at_end) r->last = hc_http_end(&r->p);
      if (at_end && r->last == HC_HTTP_DONE) ++r->done;
      return;
    }
  }
}

/* For literals: their length is counted by the compiler. */
#define FEED(r, text, at_end) feed((r), (text), sizeof(text) - 1, (at_end))

static void start(reply* r) {
  memset(r, 0, sizeof *r);
  hc_http_init(&r->p, 0);
}

/* The response parsed whole, cut in two at every byte, and a byte at a time: the same
 * head and body each way. */
static void check_splits(const char* text, unsigned status, const char* body) {
  static reply r;
  const size_t len = strlen(text);
  size_t cut, i;
  for (cut = 0; cut <= len; ++cut) {
    start(&r);
    feed(&r, text, cut, 0);
    if (r.last != HC_HTTP_DONE) feed(&r, text + cut, len - cut, 0);
    CHECK(r.heads == 1 && r.done == 1 && r.p.status == status && SAME(r.body, r.body_len, body));
  }
  start(&r);
  for (i = 0; i < len && r.last != HC_HTTP_DONE; ++i) feed(&r, text + i, 1, 0);
  CHECK(r.heads == 1 && r.done == 1 && SAME(r.body, r.body_len, body));
}

void test_http_content_length_response(void) {
  static reply r;
  static const char two[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiHTTP/1.1 204 No Content\r\n\r\n";
  check_splits("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello", 200, "hello");
  check_splits("HTTP/1.0 404 Not Found\nContent-Length:  3 \n\n{x}", 404, "{x}");
  check_splits("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 200, "");
  /* Keep-alive: the parser stops at the end of one response; the next one follows. */
  start(&r);
  feed(&r, two, sizeof two - 1, 0);
  CHECK(r.done == 1 && SAME(r.body, r.body_len, "hi"));
}

void test_http_chunked_response_whatever_the_split(void) {
  check_splits(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1;ext=1\r\n!\r\nA \r\n0123456789\r\n"
      "0\r\nX-Trailer: y\r\n\r\n",
      200, "hello!0123456789");
  check_splits("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\nContent-Length: 99\r\n\r\n0\r\n\r\n", 200, "");
}

void test_http_close_delimited_and_truncated(void) {
  static reply r;
  start(&r);
  FEED(&r, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\ndata: 1\n\n", 1);
  CHECK(r.done == 1 && r.p.close && SAME(r.body, r.body_len, "data: 1\n\n"));
  start(&r);
  FEED(&r, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", 1);
  CHECK(r.last == HC_HTTP_ERROR && r.p.err == HC_HTTP_TRUNCATED);
  start(&r);
  FEED(&r, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", 1);
  CHECK(r.last == HC_HTTP_ERROR && r.p.err == HC_HTTP_TRUNCATED);
  start(&r);
  FEED(&r, "HTTP/1.1 200 OK\r\nContent-Le", 1);
  CHECK(r.last == HC_HTTP_ERROR && r.p.err == HC_HTTP_TRUNCATED && r.heads == 0);
}

void test_http_headers_the_protocol_reads(void) {
  static reply r;
  static const char text[] =
      "HTTP/1.1 429 Too Many Requests\r\nretry-after: 7\r\nETag: \"42\"\r\nConnection: keep-alive, Close\r\n"
      "X-Very-Long-Header-Name-Indeed: "
      "0123456789012345678901234567890123456789\r\n"
      "Content-Length: 0\r\n\r\n";
  start(&r);
  feed(&r, text, sizeof text - 1, 0);
  CHECK(r.done == 1 && r.p.status == 429 && r.p.retry_after_s == 7 && r.p.etag_revision == 42 && r.p.close);
  start(&r);
  FEED(&r, "HTTP/1.1 503 x\r\nRetry-After: 99999999999999999999999999\r\nETag: W/\"7\"\r\n\r\n", 1);
  CHECK(r.p.retry_after_s == HC_HTTP_MAX_RETRY_AFTER && r.p.etag_revision == 7 && r.done == 1);
  start(&r);
  FEED(&r, "HTTP/1.1 503 x\r\nRetry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\nETag: \"abc\"\r\n\r\n", 1);
  CHECK(r.p.retry_after_s == 0 && r.p.etag_revision == 0 && r.done == 1);
}

static hc_http_err error_of(const char* text, size_t len) {
  static reply r;
  start(&r);
  feed(&r, text, len, 1);
  CHECK(r.last == HC_HTTP_ERROR);
  return r.p.err;
}

#define ERROR_OF(text) error_of((text), sizeof(text) - 1)

void test_http_rejects_malformed_responses(void) {
  CHECK(ERROR_OF("HTTP/2 200 OK\r\n\r\n") == HC_HTTP_BAD_STATUS_LINE);
  CHECK(ERROR_OF("HTTP/1.1 20 OK\r\n\r\n") == HC_HTTP_BAD_STATUS_LINE);
  CHECK(ERROR_OF("HTTP/1.1 2000\r\n\r\n") == HC_HTTP_BAD_STATUS_LINE);
  CHECK(ERROR_OF("HTTP/1.1 099 x\r\n\r\n") == HC_HTTP_BAD_STATUS_LINE);
  CHECK(ERROR_OF("HTTP/1.1 200 OK\rX\r\n\r\n") == HC_HTTP_BAD_STATUS_LINE);
  CHECK(ERROR_OF("HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n") == HC_HTTP_BAD_HEADER);
  CHECK(ERROR_OF("HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n") == HC_HTTP_BAD_HEADER);
  CHECK(ERROR_OF("HTTP/1.1 200 OK\r\nBad Name: b\r\n\r\n") == HC_HTTP_BAD_HEADER);
  CHECK(ERROR_OF("HTTP/1.1 200 OK\r\n: b\r\n\r\n") == HC_HTTP_BAD_HEADER);
  CHECK(ERROR_OF("HTTP/1.1 200 OK\r\nA: b\x01\r\n\r\n") == HC_HTTP_BAD_HEADER);
  CHECK(ERROR_OF("HTTP/1.1 200 OK\r\nContent-Length: 5x\r\n\r\n") == HC_HTTP_BAD_LENGTH);
  CHECK(ERROR_OF("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n") == HC_HTTP_BAD_LENGTH);
  CHECK(ERROR_OF("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n") == HC_HTTP_BAD_LENGTH);
  CHECK(ERROR_OF("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n") == HC_HTTP_UNSUPPORTED_CODING);
  CHECK(ERROR_OF("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n") == HC_HTTP_BAD_CHUNK);
  CHECK(ERROR_OF("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n") == HC_HTTP_BAD_CHUNK);
  CHECK(ERROR_OF("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n") == HC_HTTP_BAD_CHUNK);
  CHECK(ERROR_OF("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n11111111111111111\r\n") == HC_HTTP_BAD_CHUNK);
  CHECK(ERROR_OF("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n00000000000000000\r\n") == HC_HTTP_BAD_CHUNK);
  CHECK(ERROR_OF("HTTP/1.1 101 Switching\r\n\r\n") == HC_HTTP_BAD_STATUS_LINE);
  /* A head over the limit, fed a header line at a time (the head itself is not kept). */
  {
    static reply r;
    static const char line[] = "X-Filler: 0123456789012345678901234567890123456789\r\n";
    size_t fed = 0;
    start(&r);
    FEED(&r, "HTTP/1.1 200 OK\r\n", 0);
    while (r.last == HC_HTTP_NEED_MORE && fed <= HC_HTTP_MAX_HEAD) {
      FEED(&r, line, 0);
      fed += sizeof line - 1;
    }
    CHECK(r.last == HC_HTTP_ERROR && r.p.err == HC_HTTP_HEAD_TOO_LARGE && fed > HC_HTTP_MAX_HEAD - 64);
  }
  /* Interim responses count against the limit: an endless run of them is refused. */
  {
    static reply r;
    static const char interim[] = "HTTP/1.1 100 Continue\r\n\r\n";
    size_t fed = 0;
    start(&r);
    while (r.last == HC_HTTP_NEED_MORE && fed <= 2 * HC_HTTP_MAX_HEAD) {
      FEED(&r, interim, 0);
      fed += sizeof interim - 1;
    }
    CHECK(r.last == HC_HTTP_ERROR && r.p.err == HC_HTTP_HEAD_TOO_LARGE);
  }
  CHECK(strlen(hc_http_strerror(HC_HTTP_BAD_CHUNK)) > 0);
}

void test_http_no_body_statuses_and_interim(void) {
  static reply r;
  static const char not_modified[] = "HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\nETag: \"3\"\r\n\r\n";
  static const char interim[] = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  start(&r);
  feed(&r, not_modified, sizeof not_modified - 1, 0);
  CHECK(r.done == 1 && r.p.status == 304 && r.body_len == 0 && r.p.etag_revision == 3);
  check_splits(interim, 200, "ok");
  /* The answer to a HEAD request has no body whatever its head says. */
  memset(&r, 0, sizeof r);
  hc_http_init(&r.p, 1);
  FEED(&r, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", 0);
  CHECK(r.done == 1 && r.body_len == 0);
}

void test_http_request_heads(void) {
  char out[256];
  hc_request q;
  size_t n;
  memset(&q, 0, sizeof q);
  q.method = "GET";
  q.host = "henge.local:8080";
  q.path = "/v1/device/stream";
  q.token = "hdt_abc";
  q.user_agent = "libhenge/0.2 (test)";
  q.accept = "text/event-stream";
  q.extra_name = "Last-Event-ID";
  q.extra_value = "42";
  n = hc_http_request(out, sizeof out, &q);
  CHECK(n > 0 && n == strlen(out));
  CHECK(strcmp(out,
               "GET /v1/device/stream HTTP/1.1\r\nHost: henge.local:8080\r\nAuthorization: Bearer hdt_abc\r\n"
               "User-Agent: libhenge/0.2 (test)\r\nAccept: text/event-stream\r\nLast-Event-ID: 42\r\n\r\n") == 0);
  memset(&q, 0, sizeof q);
  q.method = "POST";
  q.host = "h";
  q.path = "/v1/device/ack";
  q.has_body = 1;
  q.body_len = 37;
  n = hc_http_request(out, sizeof out, &q);
  CHECK(
      strcmp(
          out,
          "POST /v1/device/ack HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nContent-Length: 37\r\n\r\n") ==
      0);
  CHECK(hc_http_request(out, 20, &q) == 0 && out[0] == '\0'); /* does not fit */
  q.token = "hdt_x\r\nX-Injected: 1";
  CHECK(hc_http_request(out, sizeof out, &q) == 0);
  q.token = NULL;
  q.path = "/a b";
  CHECK(hc_http_request(out, sizeof out, &q) == 0);
  q.path = "relative";
  CHECK(hc_http_request(out, sizeof out, &q) == 0);
  q.path = "/";
  q.host = NULL;
  CHECK(hc_http_request(out, sizeof out, &q) == 0);
  /* A prefix goes before the path, with no buffer of the caller's between them. */
  memset(&q, 0, sizeof q);
  q.method = "GET";
  q.host = "h";
  q.prefix = "/api/henge";
  q.path = "/v1/device/config";
  q.close = 1;
  CHECK(hc_http_request(out, sizeof out, &q) > 0 &&
        strcmp(out, "GET /api/henge/v1/device/config HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n") == 0);
  q.prefix = "api"; /* not a path */
  CHECK(hc_http_request(out, sizeof out, &q) == 0);
  q.prefix = "/a b";
  CHECK(hc_http_request(out, sizeof out, &q) == 0);
  q.prefix = "";
  CHECK(hc_http_request(out, sizeof out, &q) > 0 && strncmp(out, "GET /v1/device/config ", 22) == 0);
}
