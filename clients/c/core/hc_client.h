/* The device protocol without I/O (docs/protocol.md), for boards that have no libhenge:
 * what a client holds between bytes, and what it must do next. The board owns the
 * sockets, the clock and the LEDs. It asks hc_client_next what to do, does it, and
 * reports back:
 *
 *   HC_DO_CONNECT  open the stream connection, send hc_client_stream_request()'s bytes,
 *                  call hc_client_stream_opened(); feed everything it receives to
 *                  hc_client_stream_feed(); when it closes, hc_client_stream_closed().
 *                  A connection that could not be made: hc_client_stream_closed() alone.
 *   HC_DO_APPLY    apply hc_client_config(), then hc_client_answer().
 *   HC_DO_ACK      open a second connection, send hc_client_ack_request()'s bytes, feed
 *                  the answer to hc_client_call_feed(), then hc_client_call_end().
 *   HC_DO_CLOSE    close the stream (it is dead, or must be reopened), then
 *                  hc_client_stream_closed().
 *   HC_DO_WAIT     nothing until *at (milliseconds), or until bytes arrive.
 *
 * A board that sleeps between wakes polls instead of holding the stream: at each wake it
 * sends what HC_DO_ACK asks for, then hc_client_poll_request(), feeds the answer to
 * hc_client_poll_feed() and ends with hc_client_poll_end(); HC_DO_CONNECT is ignored.
 *
 * Times are the caller's monotonic clock in milliseconds. Everything the client holds is
 * in struct hc_client (HC_CLIENT_BYTES without the document buffer); its fields are
 * private. */
#ifndef HC_CLIENT_H
#define HC_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "hc_doc.h"
#include "hc_http.h"
#include "hc_sse.h"

#ifndef HC_CLIENT_ERROR_BYTES
#define HC_CLIENT_ERROR_BYTES 160 /* what a board keeps of a rejection's reason for its ack */
#endif

typedef struct hc_client_settings {
  const char* host;         /* the Host header: "name" or "name:port" */
  const char* prefix;       /* a path the API sits under ("" for none) */
  const char* token;        /* the device token */
  const char* user_agent;   /* NULL: none */
  uint64_t last_revision;   /* the revision applied last, as the board remembers it; 0: none */
  uint32_t keepalive_ms;    /* 0: HC_DEFAULT_KEEPALIVE_MS */
  uint32_t backoff_base_ms; /* 0: HC_BACKOFF_BASE_MS */
  uint32_t backoff_cap_ms;  /* 0: HC_BACKOFF_CAP_MS */
  uint32_t seed;            /* randomness for the jitter (say, a hardware RNG's word) */
  size_t max_config;        /* the largest config applied; 0: the document buffer less HC_EVENT_OVERHEAD */
} hc_client_settings;

typedef enum hc_client_do {
  HC_DO_WAIT = 0,
  HC_DO_CONNECT = 1,
  HC_DO_APPLY = 2,
  HC_DO_ACK = 3,
  HC_DO_CLOSE = 4
} hc_client_do;

/* How a config was answered. */
typedef enum hc_client_answer_kind {
  HC_APPLIED = 0,  /* acknowledged as applied */
  HC_REJECTED = 1, /* a verdict: acknowledged as rejected, not tried again */
  HC_RETRY = 2     /* a passing failure: rejected now, tried again with backoff */
} hc_client_answer_kind;

typedef struct hc_client {
  hc_client_settings settings;
  hc_http http; /* the stream's response */
  hc_sse sse;   /* the stream's events, into the document buffer */
  hc_http call; /* an ack's response */
  hc_doc doc;   /* the config to apply (HC_DO_APPLY) */
  uint64_t last_revision;
  uint64_t now;            /* the time last given */
  uint64_t last_data;      /* when the stream last sent anything */
  uint64_t connected_at;   /* when the stream's head came in (200) */
  uint64_t connect_at;     /* when to open the stream again */
  uint64_t ack_due;        /* when to send the kept ack */
  uint64_t retry_due;      /* when to try a HC_RETRY config again */
  uint64_t ack_revision;   /* the kept answer's revision; 0: none */
  uint64_t retry_revision; /* the revision answered HC_RETRY; 0: none */
  char* doc_buf;
  size_t doc_cap;
  size_t ack_error_len;
  uint32_t rng, retry_ms, retry_after_ms;
  uint32_t answer_id, sent_id; /* which answer is kept, and which one the call under way carries */
  unsigned failures, ack_failures, retry_failures;
  unsigned status, call_status; /* of the stream's head, and of the ack's answer */
  unsigned char state;          /* the stream's: closed, open, live (200 in), to close */
  unsigned char why;            /* why it is to close */
  unsigned char goaway;         /* the reason of a goaway (hc_goaway) */
  unsigned char ack_applied, ack_pending, in_call, call_done, have_doc, polling, connected;
  unsigned char closed_why, doc_err; /* of the stream closed last, for hc_client_closed_info */
  unsigned char retry_in_buffer;     /* the document to try again is still whole in the buffer */
  uint32_t closed_delay;
  size_t poll_len; /* bytes of the polled document in the document buffer, or more when over */
  char ack_error[HC_CLIENT_ERROR_BYTES];
} hc_client;

/* Starts a client; doc (cap bytes) receives each event's data, so it bounds the config
 * (cap - HC_EVENT_OVERHEAD at least leaves room for the document around it). The
 * settings' strings are used where they are, not copied. */
void hc_client_init(hc_client* c, const hc_client_settings* settings, char* doc, size_t cap);

/* What to do now; for HC_DO_WAIT, *at says until when (UINT64_MAX: until bytes come). */
hc_client_do hc_client_next(hc_client* c, uint64_t now, uint64_t* at);

/* The stream's request head. Returns its length, or 0 when it does not fit. */
size_t hc_client_stream_request(hc_client* c, char* out, size_t cap);
void hc_client_stream_opened(hc_client* c, uint64_t now);
/* Feeds bytes the stream received. Returns how many it took: fewer than n when a config
 * is ready to apply (HC_DO_APPLY: feed the rest once it is answered) or the stream is
 * to be closed (HC_DO_CLOSE: the rest is not needed). */
size_t hc_client_stream_feed(hc_client* c, const char* bytes, size_t n, uint64_t now);
void hc_client_stream_closed(hc_client* c, uint64_t now);

/* The config to apply: its revision and its JSON bytes (in the document buffer). */
uint64_t hc_client_config(const hc_client* c, const char** config, size_t* len);
/* Answers the config given by hc_client_config; reason (len bytes, any bytes) says why
 * when it did not apply. A kind that is neither HC_APPLIED nor HC_RETRY rejects. */
void hc_client_answer(hc_client* c, hc_client_answer_kind kind, const char* reason, size_t len, uint64_t now);

/* The kept ack as one request (head and JSON body), in out (half of cap for each): a
 * rejection's reason is cut to fit. Returns its length, or 0 when even that does not
 * fit (a cap of 512 is plenty for a short host and token). */
size_t hc_client_ack_request(hc_client* c, char* out, size_t cap);
void hc_client_call_feed(hc_client* c, const char* bytes, size_t n);
/* The call's connection ended (or could not be made: nothing fed). */
void hc_client_call_end(hc_client* c, uint64_t now);

/* What a poll brought. */
typedef enum hc_client_poll_result {
  HC_POLL_CONFIG = 0,       /* a config to apply: hc_client_next says HC_DO_APPLY */
  HC_POLL_ANSWERED = 1,     /* a config answered before: its answer is kept to be sent again */
  HC_POLL_NOT_MODIFIED = 2, /* nothing new (304) */
  HC_POLL_TOO_LARGE = 3,    /* over the limit: rejected naming it (kept to send) when the ETag names its revision */
  HC_POLL_FAILED = 4,       /* no whole answer, or a status other than 200 and 304: poll again later */
  HC_POLL_BAD_DOCUMENT = 5  /* a document that does not check out (hc_client_poll_doc_err says why) */
} hc_client_poll_result;

/* The poll request (GET the config, If-None-Match the revision applied last). Returns
 * its length, or 0 when it does not fit or a call is under way. */
size_t hc_client_poll_request(hc_client* c, char* out, size_t cap);
void hc_client_poll_feed(hc_client* c, const char* bytes, size_t n);
/* The poll's connection ended (or could not be made: nothing fed). A body over the
 * document buffer is not read to its end: hc_client_call_done says so once it passes. */
hc_client_poll_result hc_client_poll_end(hc_client* c, uint64_t now);
/* The body of the last poll's answer as far as the document buffer holds it (an
 * error's problem detail, say). Returns its length; *at is in the document buffer. */
size_t hc_client_poll_body(const hc_client* c, const char** at);
/* Why the document polled last did not check out (HC_POLL_BAD_DOCUMENT). */
hc_doc_err hc_client_poll_doc_err(const hc_client* c);

/* The revision applied last: what the board remembers across restarts. */
uint64_t hc_client_last_revision(const hc_client* c);

/* Uses another token from the next request on (a rotation); it is used where it is. */
void hc_client_set_token(hc_client* c, const char* token);

/* Whether the call under way has its whole answer: its connection may be closed. */
int hc_client_call_done(const hc_client* c);

/* The status of the last call's answer (an ack's, a poll's); 0 when none came. */
unsigned hc_client_call_status(const hc_client* c);

/* Whether the stream is live: henged answered it with 200. */
int hc_client_stream_live(const hc_client* c);

/* Why the stream closed last, for a board's log. */
typedef enum hc_client_closed_reason {
  HC_CLOSED_DROPPED = 0,      /* the connection failed or ended, or was not HTTP */
  HC_CLOSED_STATUS = 1,       /* henged answered with a status other than 200 */
  HC_CLOSED_GOAWAY = 2,       /* henged sent a goaway */
  HC_CLOSED_BAD_DOCUMENT = 3, /* a config document did not check out: asked for again */
  HC_CLOSED_SILENCE = 4,      /* nothing for HC_KEEPALIVE_MULTIPLE keepalives */
  HC_CLOSED_RETRY = 5         /* reopened to fetch a config to try again */
} hc_client_closed_reason;

typedef struct hc_client_closed {
  hc_client_closed_reason reason;
  unsigned status;    /* the stream's status (0: no head came) */
  hc_goaway goaway;   /* HC_CLOSED_GOAWAY: its reason */
  hc_doc_err doc_err; /* HC_CLOSED_BAD_DOCUMENT: what did not check out */
  uint32_t delay_ms;  /* how long until the stream is opened again */
} hc_client_closed;

/* What the last hc_client_stream_closed() saw. */
void hc_client_closed_info(const hc_client* c, hc_client_closed* out);

/* The answer kept to be sent (HC_DO_ACK): its revision (0: none), whether it is
 * "applied", and a rejection's reason (len bytes, not NUL-terminated). */
uint64_t hc_client_kept_answer(const hc_client* c, int* applied, const char** reason, size_t* len);

#endif
