#include "hc_client.h"

#include <string.h>

#include "hc_backoff.h"
#include "hc_protocol.h"
#include "hc_text.h"

enum { ST_CLOSED, ST_OPEN, ST_LIVE, ST_CLOSING };
/* Why the stream is to close, which says when to open it again (and what
 * hc_client_closed_info says). */
enum {
  WHY_DROPPED = HC_CLOSED_DROPPED,
  WHY_STATUS = HC_CLOSED_STATUS,
  WHY_GOAWAY = HC_CLOSED_GOAWAY,
  WHY_BAD_DOCUMENT = HC_CLOSED_BAD_DOCUMENT,
  WHY_SILENCE = HC_CLOSED_SILENCE,
  WHY_RETRY = HC_CLOSED_RETRY
};

#define NEVER UINT64_MAX

static uint64_t earlier(uint64_t a, uint64_t b) {
  return a < b ? a : b;
}

static uint32_t backoff(hc_client* c, unsigned* failures) {
  const uint32_t delay =
      hc_backoff_ms(*failures, c->settings.backoff_base_ms, c->settings.backoff_cap_ms, hc_random_next(&c->rng));
  if (*failures < 64) ++*failures;
  return delay;
}

void hc_client_init(hc_client* c, const hc_client_settings* settings, char* doc, size_t cap) {
  memset(c, 0, sizeof *c);
  c->settings = *settings;
  if (c->settings.prefix == NULL) c->settings.prefix = "";
  if (c->settings.keepalive_ms == 0) c->settings.keepalive_ms = HC_DEFAULT_KEEPALIVE_MS;
  if (c->settings.backoff_base_ms == 0) c->settings.backoff_base_ms = HC_BACKOFF_BASE_MS;
  if (c->settings.backoff_cap_ms == 0) c->settings.backoff_cap_ms = HC_BACKOFF_CAP_MS;
  c->rng = hc_random_seed(settings->seed);
  c->last_revision = settings->last_revision;
  c->retry_ms = HC_DEFAULT_RETRY_MS;
  c->doc_buf = doc;
  c->doc_cap = cap;
  if (c->settings.max_config == 0 || c->settings.max_config > cap) {
    c->settings.max_config = cap > HC_EVENT_OVERHEAD ? cap - HC_EVENT_OVERHEAD : cap;
  }
  c->state = ST_CLOSED;
}

static hc_client_do close_for(hc_client* c, unsigned char why) {
  c->why = why;
  c->state = ST_CLOSING;
  return HC_DO_CLOSE;
}

hc_client_do hc_client_next(hc_client* c, uint64_t now, uint64_t* at) {
  const uint64_t ack_at = c->ack_pending && !c->in_call ? c->ack_due : NEVER;
  /* A config to try again is applied again where it lies, when nothing has written over
   * it since; otherwise it is fetched again (below). */
  const uint64_t retry_here_at = c->retry_revision != 0 && c->retry_in_buffer && !c->in_call ? c->retry_due : NEVER;
  c->now = now;
  *at = NEVER;
  if (c->have_doc) return HC_DO_APPLY;
  if (now >= ack_at) return HC_DO_ACK;
  if (now >= retry_here_at) {
    c->have_doc = 1; /* c->doc still describes it */
    return HC_DO_APPLY;
  }
  if (c->state == ST_CLOSING) return HC_DO_CLOSE;
  if (c->state == ST_CLOSED) {
    if (now >= c->connect_at) return HC_DO_CONNECT;
    *at = earlier(earlier(c->connect_at, ack_at), retry_here_at);
    return HC_DO_WAIT;
  }
  {
    const uint64_t silent_at = c->last_data + (uint64_t)HC_KEEPALIVE_MULTIPLE * c->settings.keepalive_ms;
    /* A config to try again that is no longer in the buffer is fetched again: henged
     * sends it on a new stream, as the device's answer to it was not "applied". (A
     * stream that came up after it was due brings the config: it is not closed.) */
    const uint64_t retry_at =
        c->state == ST_LIVE && c->retry_revision != 0 && !c->retry_in_buffer && c->connected_at < c->retry_due
            ? c->retry_due
            : NEVER;
    if (now >= silent_at) return close_for(c, WHY_SILENCE);
    if (now >= retry_at) return close_for(c, WHY_RETRY);
    *at = earlier(earlier(earlier(silent_at, retry_at), ack_at), retry_here_at);
    return HC_DO_WAIT;
  }
}

/* A request of this client's: its method and path, with the host, token and agent. */
static void start_request(const hc_client* c, hc_request* q, const char* method, const char* path) {
  memset(q, 0, sizeof *q);
  q->method = method;
  q->host = c->settings.host;
  q->prefix = c->settings.prefix;
  q->path = path;
  q->token = c->settings.token;
  q->user_agent = c->settings.user_agent;
}

size_t hc_client_stream_request(hc_client* c, char* out, size_t cap) {
  char last_id[24];
  hc_request q;
  hc_out o;
  hc_out_init(&o, last_id, sizeof last_id);
  hc_out_u64(&o, c->last_revision);
  (void)hc_out_end(&o);
  start_request(c, &q, "GET", "/v1/device/stream");
  q.accept = "text/event-stream";
  if (c->last_revision > 0) {
    q.extra_name = "Last-Event-ID";
    q.extra_value = last_id;
  }
  return hc_http_request(out, cap, &q);
}

void hc_client_stream_opened(hc_client* c, uint64_t now) {
  c->state = ST_OPEN;
  c->why = WHY_DROPPED;
  c->status = 0;
  c->retry_after_ms = 0;
  c->last_data = now;
  c->connected = 0;
  hc_http_init(&c->http, 0);
  hc_sse_init(&c->sse, c->doc_buf, c->doc_cap);
}

/* Records an answer and keeps it to be sent. */
static void keep_answer(hc_client* c, uint64_t revision, int applied, const char* reason, size_t len) {
  c->ack_revision = revision;
  c->ack_applied = (unsigned char)(applied != 0);
  if (len > sizeof c->ack_error) len = sizeof c->ack_error; /* the ack's writer makes a cut character '?' */
  if (len > 0) memcpy(c->ack_error, reason, len);
  c->ack_error_len = applied ? 0 : len;
  c->ack_pending = 1;
  c->ack_failures = 0;
  c->ack_due = c->now;
  ++c->answer_id; /* an ack under way for an older answer does not record this one */
}

/* A config answered before (henged sends it until it records the answer; after a
 * restart it is the revision applied last): the same answer goes again, and nothing
 * runs, unless it is a retry that is due. Returns 1 when it was. */
static int answered_before(hc_client* c, uint64_t revision) {
  const int retry_now = c->retry_revision == revision && c->now >= c->retry_due;
  if (!((revision == c->ack_revision && !retry_now) || (c->ack_revision == 0 && revision == c->last_revision)))
    return 0;
  if (c->ack_revision != revision) keep_answer(c, revision, 1, "", 0);
  c->ack_pending = 1;
  c->ack_failures = 0;
  c->ack_due = c->now;
  return 1;
}

/* Rejects a config over the device's limit, naming the limit so the operator can act
 * on it. */
static void reject_oversized(hc_client* c, uint64_t revision) {
  char why[80];
  hc_out o;
  size_t n;
  hc_out_init(&o, why, sizeof why);
  hc_out_str(&o, "the config is over this device's limit of ");
  hc_out_u64(&o, c->settings.max_config);
  hc_out_str(&o, " bytes");
  n = hc_out_end(&o);
  c->retry_revision = 0; /* a newer revision: an older one's retry must not apply over it */
  keep_answer(c, revision, 0, why, n);
}

/* Handles one event. Returns non-zero when the stream must stop being fed. */
static int on_event(hc_client* c, const hc_sse_event* ev) {
  if (strcmp(ev->type, "goaway") == 0) {
    c->goaway = (unsigned char)(ev->data != NULL ? hc_goaway_reason(ev->data, ev->len) : HC_GOAWAY_UNKNOWN);
    close_for(c, WHY_GOAWAY);
    return 1;
  }
  if (strcmp(ev->type, "config") != 0) return 0;
  if (ev->data == NULL) {
    /* Over the buffer: answered by the event's own id (an earlier event's is not it). */
    uint64_t revision = 0;
    if (ev->id_in_event && hc_parse_u64(ev->id, strlen(ev->id), HC_MAX_REVISION, &revision) == 0 && revision > 0) {
      reject_oversized(c, revision);
    }
    return 0;
  }
  c->doc_err = (unsigned char)hc_doc_check(ev->data, ev->len, &c->doc);
  if (c->doc_err != HC_DOC_OK) {
    close_for(c, WHY_BAD_DOCUMENT); /* nothing in it is trusted; henged sends it again */
    return 1;
  }
  if (c->doc.revision == c->retry_revision) c->retry_in_buffer = 1; /* sent again: here it is */
  if (c->doc.config.len > c->settings.max_config) {
    reject_oversized(c, c->doc.revision);
    return 0;
  }
  if (answered_before(c, c->doc.revision)) return 0;
  c->have_doc = 1;
  return 1;
}

size_t hc_client_stream_feed(hc_client* c, const char* bytes, size_t n, uint64_t now) {
  size_t at = 0;
  c->now = now;
  c->last_data = now;
  while (at < n && !c->have_doc && c->state != ST_CLOSING) {
    hc_span body;
    size_t used = 0;
    const hc_http_event ev = hc_http_feed(&c->http, bytes + at, n - at, &used, &body);
    if (ev == HC_HTTP_HEAD) {
      at += used;
      c->status = c->http.status;
      c->retry_after_ms = c->http.retry_after_s * 1000u;
      if (c->status == 200) {
        c->state = ST_LIVE;
        c->connected = 1;
        c->connected_at = now;
        c->ack_due = now; /* a kept ack goes at once on a new connection */
      } else {
        close_for(c, WHY_STATUS);
      }
    } else if (ev == HC_HTTP_BODY) {
      size_t off = 0;
      while (off < body.len && !c->have_doc && c->state != ST_CLOSING) {
        hc_sse_event e;
        size_t took = 0;
        const int got = hc_sse_feed(&c->sse, body.at + off, body.len - off, &took, &e);
        off += took;
        /* An event's data is written over the buffer: a config kept there to try again
         * is no longer whole (on_event says when it is this one again). */
        if (got || c->sse.len > 0 || c->sse.oversized > 0) c->retry_in_buffer = 0;
        if (got && on_event(c, &e)) break;
      }
      if (hc_sse_retry_ms(&c->sse) != HC_SSE_NO_RETRY) c->retry_ms = hc_sse_retry_ms(&c->sse);
      hc_http_unread(&c->http, body.len - off); /* fed again once the config is applied */
      at = (size_t)(body.at - bytes) + off;
    } else if (ev == HC_HTTP_NEED_MORE) {
      at = n;
    } else {
      at += used;
      close_for(c, WHY_DROPPED); /* the response ended, or is not HTTP */
    }
  }
  return at;
}

void hc_client_stream_closed(hc_client* c, uint64_t now) {
  const uint32_t cap = c->settings.backoff_cap_ms;
  uint32_t delay;
  if (c->connected && now - c->connected_at >= HC_HEALTHY_CONNECTION_MS) c->failures = 0;
  c->connected = 0; /* a connection that fails next is not this healthy one */
  switch (c->state == ST_CLOSING ? c->why : WHY_DROPPED) {
    case WHY_RETRY:
      delay = 0;
      break;
    case WHY_GOAWAY:
      if (c->goaway == HC_GOAWAY_SHUTDOWN || c->goaway == HC_GOAWAY_OVERFLOW) {
        delay = hc_random_upto(hc_random_next(&c->rng), c->retry_ms < cap ? c->retry_ms : cap);
      } else if (c->goaway == HC_GOAWAY_UNKNOWN) {
        delay = backoff(c, &c->failures);
      } else {
        delay = cap; /* replaced, deleted, token rotated: only an operator helps */
      }
      break;
    case WHY_STATUS:
      if (c->status == 401 || c->status == 403) {
        delay = cap;
        break;
      }
      delay = backoff(c, &c->failures);
      if ((c->status == 429 || c->status == 503) && c->retry_after_ms > delay) {
        delay = c->retry_after_ms < cap ? c->retry_after_ms : cap;
      }
      break;
    default:
      delay = backoff(c, &c->failures);
      break;
  }
  c->closed_why = c->state == ST_CLOSING ? c->why : WHY_DROPPED;
  c->closed_delay = delay;
  c->connect_at = now + delay;
  c->state = ST_CLOSED;
  c->have_doc = 0; /* a config not applied yet comes again on the next stream */
}

uint64_t hc_client_config(const hc_client* c, const char** config, size_t* len) {
  *config = c->doc.config.at;
  *len = c->doc.config.len;
  return c->doc.revision;
}

void hc_client_answer(hc_client* c, hc_client_answer_kind kind, const char* reason, size_t len, uint64_t now) {
  static const char fallback[] = "rejected by the device";
  const uint64_t revision = c->doc.revision;
  c->now = now;
  if (kind != HC_APPLIED && len == 0) {
    reason = fallback;
    len = sizeof fallback - 1;
  }
  keep_answer(c, revision, kind == HC_APPLIED, reason, len);
  if (c->state == ST_OPEN || c->state == ST_LIVE) c->last_data = now; /* applying is not the server's silence */
  if (kind == HC_APPLIED) c->last_revision = revision;
  if (kind == HC_RETRY) {
    if (c->retry_revision != revision) c->retry_failures = 0;
    c->retry_revision = revision;
    c->retry_due = now + backoff(c, &c->retry_failures);
    c->retry_in_buffer = 1; /* the document just applied is in the buffer */
  } else {
    c->retry_revision = 0;
    c->retry_in_buffer = 0;
  }
  c->have_doc = 0;
}

/* A call (an ack, or a poll) starts: its answer is read from nothing. */
static void begin_call(hc_client* c, int polling) {
  c->in_call = 1;
  c->polling = (unsigned char)polling;
  c->call_done = 0;
  c->call_status = 0;
  c->poll_len = 0;
  if (polling) c->retry_in_buffer = 0; /* the poll's answer goes into the buffer */
  hc_http_init(&c->call, 0);
}

/* Feeds a call's answer; a poll's body goes into the document buffer, and what passes
 * it is only counted. */
static void feed_call(hc_client* c, const char* bytes, size_t n) {
  size_t at = 0;
  /* Fed on even when no byte is left: after a head, an empty body is done at once. */
  while (!c->call_done) {
    hc_span body;
    size_t used = 0;
    const hc_http_event ev = hc_http_feed(&c->call, bytes + at, n - at, &used, &body);
    at += used;
    if (ev == HC_HTTP_HEAD) c->call_status = c->call.status;
    if (ev == HC_HTTP_BODY && c->polling) {
      if (c->poll_len < c->doc_cap) {
        const size_t room = c->doc_cap - c->poll_len;
        memcpy(c->doc_buf + c->poll_len, body.at, body.len < room ? body.len : room);
      }
      c->poll_len += body.len;
      if (c->poll_len > c->doc_cap) {
        c->call_done = 1; /* over the buffer: the rest is not read (it is rejected by its ETag) */
        break;
      }
    }
    if (ev == HC_HTTP_DONE) c->call_done = 1;
    if (ev == HC_HTTP_NEED_MORE || ev == HC_HTTP_ERROR) break;
  }
}

/* A call's connection ended: whether its answer came whole. */
static int end_call(hc_client* c, uint64_t now) {
  c->now = now;
  c->in_call = 0;
  c->polling = 0;
  if (!c->call_done && c->call_status != 0 && hc_http_end(&c->call) == HC_HTTP_DONE) c->call_done = 1;
  return c->call_done;
}

/* An ack that does not fit the board's buffer: kept, and asked for again after a
 * backoff (not at once, over and over). Returns 0. */
static size_t not_sent(hc_client* c) {
  c->ack_due = c->now + backoff(c, &c->ack_failures);
  return 0;
}

size_t hc_client_ack_request(hc_client* c, char* out, size_t cap) {
  const size_t half = cap / 2;
  char* body = out + half;
  hc_request q;
  hc_out o;
  size_t body_len, head_len, reason_len = c->ack_error_len;
  /* The body first, in the buffer's second half: the head names its length. A reason
   * that does not fit (escaped, it may be 6 times its size) is cut until it does. */
  for (;;) {
    hc_out_init(&o, body, cap - half);
    hc_out_str(&o, "{\"revision\":");
    hc_out_u64(&o, c->ack_revision);
    hc_out_str(&o, c->ack_applied ? ",\"status\":\"applied\"}" : ",\"status\":\"rejected\",\"error\":");
    if (!c->ack_applied) {
      hc_out_json_string(&o, c->ack_error, reason_len);
      hc_out_str(&o, "}");
    }
    body_len = hc_out_end(&o);
    if (body_len > 0) break;
    if (reason_len == 0) return not_sent(c);
    reason_len /= 2;
  }
  start_request(c, &q, "POST", "/v1/device/ack");
  q.close = 1;
  q.has_body = 1;
  q.body_len = body_len;
  head_len = hc_http_request(out, half, &q);
  if (head_len == 0) return not_sent(c);
  memmove(out + head_len, body, body_len);
  begin_call(c, 0);
  c->sent_id = c->answer_id;
  return head_len + body_len;
}

void hc_client_call_feed(hc_client* c, const char* bytes, size_t n) {
  feed_call(c, bytes, n);
}

void hc_client_call_end(hc_client* c, uint64_t now) {
  const uint32_t cap = c->settings.backoff_cap_ms;
  const int sent = c->in_call && !c->polling;
  (void)end_call(c, now);
  if (!sent) {
    c->call_done = 0; /* nothing was under way: the ack is still to send */
  } else if (c->sent_id != c->answer_id) {
    c->ack_due = now; /* a newer answer was kept meanwhile: it goes now, whatever this one got */
    return;
  }
  if (c->call_done && c->call_status / 100 == 2) {
    c->ack_pending = 0; /* recorded */
    c->ack_failures = 0;
  } else if (c->call_done && (c->call_status == 400 || c->call_status == 409)) {
    c->ack_pending = 0; /* refused for good: sending it again cannot help */
  } else {
    uint32_t delay = backoff(c, &c->ack_failures);
    const uint32_t after = c->call.retry_after_s * 1000u;
    if (c->call_done && after > delay) delay = after < cap ? after : cap;
    c->ack_due = now + delay; /* kept, and sent again */
  }
}

size_t hc_client_poll_request(hc_client* c, char* out, size_t cap) {
  char etag[28];
  hc_request q;
  hc_out o;
  size_t n;
  if (c->in_call) return 0;
  hc_out_init(&o, etag, sizeof etag);
  hc_out_str(&o, "\"");
  hc_out_u64(&o, c->last_revision);
  hc_out_str(&o, "\"");
  (void)hc_out_end(&o);
  start_request(c, &q, "GET", "/v1/device/config");
  q.close = 1;
  if (c->last_revision > 0) {
    q.extra_name = "If-None-Match";
    q.extra_value = etag;
  }
  n = hc_http_request(out, cap, &q);
  if (n == 0) return 0;
  begin_call(c, 1);
  return n;
}

void hc_client_poll_feed(hc_client* c, const char* bytes, size_t n) {
  feed_call(c, bytes, n);
}

hc_client_poll_result hc_client_poll_end(hc_client* c, uint64_t now) {
  if (!c->in_call || !c->polling) return HC_POLL_FAILED; /* no poll was under way */
  if (!end_call(c, now)) return HC_POLL_FAILED;
  if (c->call_status == 304) return HC_POLL_NOT_MODIFIED;
  if (c->call_status != 200) return HC_POLL_FAILED;
  if (c->poll_len > c->doc_cap) {
    /* Its revision is in the ETag: the operator learns of the limit from the ack (and
     * without one, nothing can be answered). */
    if (c->call.etag_revision != 0) reject_oversized(c, c->call.etag_revision);
    return HC_POLL_TOO_LARGE;
  }
  c->doc_err = (unsigned char)hc_doc_check(c->doc_buf, c->poll_len, &c->doc);
  if (c->doc_err != HC_DOC_OK) return HC_POLL_BAD_DOCUMENT;
  if (c->doc.revision == c->retry_revision) c->retry_in_buffer = 1;
  if (c->doc.config.len > c->settings.max_config) {
    reject_oversized(c, c->doc.revision);
    return HC_POLL_TOO_LARGE;
  }
  if (answered_before(c, c->doc.revision)) return HC_POLL_ANSWERED;
  c->have_doc = 1;
  return HC_POLL_CONFIG;
}

uint64_t hc_client_last_revision(const hc_client* c) {
  return c->last_revision;
}

void hc_client_set_token(hc_client* c, const char* token) {
  c->settings.token = token;
}

int hc_client_call_done(const hc_client* c) {
  return c->in_call && c->call_done;
}

unsigned hc_client_call_status(const hc_client* c) {
  return c->call_status;
}

int hc_client_stream_live(const hc_client* c) {
  return c->state == ST_LIVE;
}

void hc_client_closed_info(const hc_client* c, hc_client_closed* out) {
  out->reason = (hc_client_closed_reason)c->closed_why;
  out->status = c->status;
  out->goaway = (hc_goaway)c->goaway;
  out->doc_err = (hc_doc_err)c->doc_err;
  out->delay_ms = c->closed_delay;
}

uint64_t hc_client_kept_answer(const hc_client* c, int* applied, const char** reason, size_t* len) {
  *applied = c->ack_applied;
  *reason = c->ack_error;
  *len = c->ack_error_len;
  return c->ack_pending ? c->ack_revision : 0;
}

hc_doc_err hc_client_poll_doc_err(const hc_client* c) {
  return (hc_doc_err)c->doc_err;
}

size_t hc_client_poll_body(const hc_client* c, const char** at) {
  *at = c->doc_buf;
  return c->poll_len < c->doc_cap ? c->poll_len : c->doc_cap;
}
