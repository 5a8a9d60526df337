/* libhenge's network side: the stream, polling, acks and reports, over POSIX sockets
 * and mbedTLS (net.h); the HTTP, events and documents are libhenge-core's. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "hc_backoff.h"
#include "hc_doc.h"
#include "hc_http.h"
#include "hc_json.h"
#include "hc_sse.h"
#include "henge.h"
#include "net.h"
#include "protocol.h"
#include "url.h"

#define CALL_TIMEOUT_MS 10000
#define MAX_ERROR_BODY 4096
#define MAX_TOKEN HENGE_MAX_TOKEN_BYTES
#define MAX_REQUEST_HEAD 2048 /* the longest token, prefix, host and user agent fit */
#define MAX_USER_AGENT 256
#define READ_CHUNK 4096

/* An acknowledgement: the answer given for a revision. */
typedef struct ack_answer {
  long long revision; /* 0: none */
  int applied;
  char error[HENGE_MAX_ACK_ERROR];
} ack_answer;

struct henge_client {
  hl_url url;
  hl_tls tls;
  char token[MAX_TOKEN + 1];
  char* token_file; /* NULL: the token given in the options */
  char* ca_file;
  char* user_agent;
  long long last_revision;
  size_t max_config;
  unsigned long keepalive_ms, backoff_base_ms, backoff_cap_ms;
  volatile sig_atomic_t stop;
  char error[512];
  unsigned long retry_ms;       /* from the stream's retry: field */
  unsigned long retry_after_ms; /* the Retry-After of the last answer; 0: none */
  long long etag_revision;      /* the ETag revision of the last answer; 0: none */
  uint32_t rng;                 /* for the jitter; no global rand() state */
  henge_log_fn log;
  void* log_user;
  char last_issue[1024]; /* the connection problem logged last, not logged again */

  ack_answer given; /* the last answer, given again when henged resends its config */
  int ack_pending;  /* `given` is not recorded by henged yet */
  double ack_due;   /* when to send it again (monotonic seconds) */
  unsigned ack_failures;
  char* retry_text; /* a document whose callback asked for HENGE_RETRY; owned */
  size_t retry_len;
  double retry_due;
  unsigned retry_failures;
};

/* What one stream connection is doing. */
typedef struct stream_state {
  henge_client* client;
  henge_config_fn fn;
  void* user;
  hc_sse parser;
  char* event_buf; /* the parser's: one event's data */
  hl_buf error_body;
  long status;      /* 0 until the head is in */
  int ended;        /* the server ended the response */
  int broken;       /* the connection failed (the error says how) */
  int http_error;   /* the answer was not HTTP the parser could read (the error says how) */
  int no_memory;    /* memory ran out (for an event or a config) */
  int has_goaway;   /* the stream ended with a goaway event */
  hc_goaway goaway; /* its reason */
  double last_data; /* monotonic seconds of the last byte */
  int idle;         /* ended by 3 keepalives of silence */
  int connected;
  int bad_document; /* a config that did not check out: ask for it again */
  int no_token;     /* the token file could not be read */
} stream_state;

const char* henge_version(void) {
  return HENGE_VERSION_STRING;
}

const char* henge_strerror(henge_err err) {
  switch (err) {
    case HENGE_OK:
      return "ok";
    case HENGE_ERR_INVALID:
      return "invalid argument";
    case HENGE_ERR_NOMEM:
      return "out of memory";
    case HENGE_ERR_NETWORK:
      return "network error";
    case HENGE_ERR_AUTH:
      return "the server refused the device token";
    case HENGE_ERR_HTTP:
      return "unexpected HTTP status";
    case HENGE_ERR_PROTOCOL:
      return "protocol error";
    case HENGE_ERR_TOO_LARGE:
      return "over the size limit";
    case HENGE_ERR_STOPPED:
      return "stopped";
    case HENGE_ERR_NOT_MODIFIED:
      return "not modified";
  }
  return "unknown error";
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char* dup_string(const char* s) {
  size_t n;
  char* out;
  if (s == NULL) return NULL;
  n = strlen(s);
  out = (char*)malloc(n + 1);
  if (out != NULL) memcpy(out, s, n + 1);
  return out;
}

static void set_error(henge_client* c, const char* message) {
  snprintf(c->error, sizeof c->error, "%s", message);
}

static void say(henge_client* c, henge_level level, const char* format, ...) {
  char line[1024];
  va_list args;
  if (c->log == NULL) return;
  va_start(args, format);
  vsnprintf(line, sizeof line, format, args);
  va_end(args);
  c->log(c->log_user, level, line);
}

/* A connection problem: logged when it differs from the last one. */
static void issue(henge_client* c, henge_level level, const char* text) {
  if (strcmp(c->last_issue, text) == 0) return;
  snprintf(c->last_issue, sizeof c->last_issue, "%s", text);
  say(c, level, "%s", text);
}

static int set_token(henge_client* c, const char* token) {
  const char* p;
  if (token == NULL || token[0] == '\0' || strlen(token) > MAX_TOKEN) return -1;
  for (p = token; *p != '\0'; ++p) {
    if ((unsigned char)*p <= ' ' || *p == 0x7f) return -1; /* it goes into a header */
  }
  snprintf(c->token, sizeof c->token, "%s", token);
  return 0;
}

/* Reads the token file again (a rotation replaces it); 0, or -1 with the error set. */
static int load_token(henge_client* c) {
  char token[MAX_TOKEN + 2];
  int rc;
  if (c->token_file == NULL) return 0;
  if (henge_read_token_file(c->token_file, token, sizeof token) != HENGE_OK || set_token(c, token) != 0) {
    snprintf(c->error, sizeof c->error, "cannot read a device token from %s", c->token_file);
    rc = -1;
  } else {
    rc = 0;
  }
  memset(token, 0, sizeof token); /* a secret */
  return rc;
}

henge_client* henge_new(const henge_options* o, henge_err* err) {
  henge_client* c;
  size_t n;
  henge_err dummy;
  if (err == NULL) err = &dummy;
  if (o == NULL || o->server == NULL || (o->token == NULL && o->token_file == NULL)) {
    *err = HENGE_ERR_INVALID;
    return NULL;
  }
  c = (henge_client*)calloc(1, sizeof *c);
  if (c == NULL) {
    *err = HENGE_ERR_NOMEM;
    return NULL;
  }
  hl_tls_init(&c->tls);
  if (hl_url_parse(o->server, &c->url) != 0) {
    henge_free(c);
    *err = HENGE_ERR_INVALID;
    return NULL;
  }
  if (o->token_file == NULL && set_token(c, o->token) != 0) {
    henge_free(c);
    *err = HENGE_ERR_INVALID;
    return NULL;
  }
  c->token_file = dup_string(o->token_file);
  c->ca_file = dup_string(o->ca_file);
  c->user_agent = dup_string(o->user_agent != NULL ? o->user_agent : "libhenge/" HENGE_VERSION_STRING);
  if ((o->token_file != NULL && c->token_file == NULL) || (o->ca_file != NULL && c->ca_file == NULL) ||
      c->user_agent == NULL) {
    henge_free(c);
    *err = HENGE_ERR_NOMEM;
    return NULL;
  }
  /* It goes into a header: printable, and short enough for every request head. */
  for (n = 0; c->user_agent[n] != '\0'; ++n) {
    if ((unsigned char)c->user_agent[n] < ' ' || c->user_agent[n] == 0x7f) c->user_agent[n] = ' ';
  }
  if (n > MAX_USER_AGENT) c->user_agent[MAX_USER_AGENT] = '\0';
  c->last_revision = o->last_revision > 0 ? o->last_revision : 0;
  c->max_config = o->max_config_bytes ? o->max_config_bytes : HENGE_DEFAULT_MAX_CONFIG_BYTES;
  c->keepalive_ms = o->keepalive_ms ? o->keepalive_ms : HENGE_DEFAULT_KEEPALIVE_MS;
  c->backoff_base_ms = o->backoff_base_ms ? o->backoff_base_ms : HENGE_BACKOFF_BASE_MS;
  c->backoff_cap_ms = o->backoff_cap_ms ? o->backoff_cap_ms : HENGE_BACKOFF_CAP_MS;
  c->retry_ms = HENGE_DEFAULT_RETRY_MS;
  c->log = o->log;
  c->log_user = o->log_user;
  c->rng = (uint32_t)time(NULL) ^ (uint32_t)(size_t)c;
  *err = HENGE_OK;
  return c;
}

void henge_free(henge_client* c) {
  if (c == NULL) return;
  memset(c->token, 0, sizeof c->token); /* a secret */
  hl_tls_free(&c->tls);
  free(c->token_file);
  free(c->retry_text);
  free(c->ca_file);
  free(c->user_agent);
  free(c);
}

void henge_stop(henge_client* c) {
  if (c != NULL) c->stop = 1;
}

int henge_stopping(const henge_client* c) {
  return c != NULL && c->stop;
}

henge_err henge_read_token_file(const char* path, char* token, size_t size) {
  FILE* f;
  size_t n;
  int next = EOF;
  if (path == NULL || token == NULL || size < 2) return HENGE_ERR_INVALID;
  f = fopen(path, "r");
  if (f == NULL) return HENGE_ERR_INVALID;
  if (fgets(token, (int)size, f) == NULL) token[0] = '\0';
  n = strcspn(token, "\r\n");
  /* A full buffer without a line end is a whole token only if the line ends next. */
  if (n == size - 1) next = fgetc(f);
  fclose(f);
  if (n == size - 1 && next != EOF && next != '\n' && next != '\r') {
    token[0] = '\0';
    return HENGE_ERR_INVALID;
  }
  token[n] = '\0';
  return n > 0 ? HENGE_OK : HENGE_ERR_INVALID;
}

long long henge_last_revision(const henge_client* c) {
  return c != NULL ? c->last_revision : 0;
}

const char* henge_last_error(const henge_client* c) {
  return c != NULL ? c->error : "";
}

/* Full-jitter backoff after `failures` failures, in milliseconds. */
static unsigned long backoff_ms(henge_client* c, unsigned failures) {
  return hc_backoff_ms(failures, (uint32_t)c->backoff_base_ms, (uint32_t)c->backoff_cap_ms, hc_random_next(&c->rng));
}

/* Sleeps up to ms, waking early when stopped. */
static void pause_ms(henge_client* c, unsigned long ms) {
  while (ms > 0 && !c->stop) {
    const unsigned long step = ms > 100 ? 100 : ms;
    struct timespec ts;
    ts.tv_sec = 0;
    ts.tv_nsec = (long)step * 1000000L;
    nanosleep(&ts, NULL);
    ms -= step;
  }
}

/* Opens a connection and sends a request's head (and body): 0, or -1 with the error
 * set and *err saying which kind. */
static int send_request(henge_client* c, hl_conn* conn, const char* method, const char* path, const char* accept,
                        const char* extra_name, const char* extra_value, const char* body, henge_err* err) {
  char head[MAX_REQUEST_HEAD];
  char full_path[sizeof c->url.prefix + 64];
  hc_request q;
  size_t head_len;
  hl_net_rc rc;
  snprintf(full_path, sizeof full_path, "%s%s", c->url.prefix, path);
  memset(&q, 0, sizeof q);
  q.method = method;
  q.host = c->url.authority;
  q.path = full_path;
  q.token = c->token;
  q.user_agent = c->user_agent;
  q.accept = accept;
  q.extra_name = extra_name;
  q.extra_value = extra_value;
  q.has_body = body != NULL;
  q.body_len = body != NULL ? strlen(body) : 0;
  head_len = hc_http_request(head, sizeof head, &q);
  if (head_len == 0) {
    set_error(c, "the request does not fit in a request head");
    *err = HENGE_ERR_INVALID;
    return -1;
  }
  rc = hl_conn_open(conn, &c->url, &c->tls, c->ca_file, CALL_TIMEOUT_MS, &c->stop, c->error, sizeof c->error);
  if (rc == HL_NET_OK) rc = hl_conn_send(conn, head, head_len, CALL_TIMEOUT_MS, c->error, sizeof c->error);
  if (rc == HL_NET_OK && body != NULL) {
    rc = hl_conn_send(conn, body, q.body_len, CALL_TIMEOUT_MS, c->error, sizeof c->error);
  }
  memset(head, 0, sizeof head); /* it holds the token */
  if (rc != HL_NET_OK) {
    hl_conn_close(conn);
    *err = rc == HL_NET_STOPPED ? HENGE_ERR_STOPPED : HENGE_ERR_NETWORK;
    return -1;
  }
  return 0;
}

/* One call: a request, and its whole answer (status, at most answer->max bytes of
 * body) within CALL_TIMEOUT_MS. HENGE_ERR_TOO_LARGE when the body passed the maximum
 * (the status and the ETag are known then). */
static henge_err exchange(henge_client* c, const char* method, const char* path, const char* extra_name,
                          const char* extra_value, const char* body, hl_buf* answer, long* status) {
  hl_conn conn;
  hc_http http;
  char buf[READ_CHUNK];
  henge_err result = HENGE_OK;
  const double deadline = now_seconds() + CALL_TIMEOUT_MS / 1000.0;
  int done = 0;
  *status = 0;
  c->retry_after_ms = 0;
  c->etag_revision = 0;
  if (send_request(c, &conn, method, path, NULL, extra_name, extra_value, body, &result) != 0) return result;
  hc_http_init(&http, 0);
  while (!done) {
    const double left = deadline - now_seconds();
    const long got = hl_conn_recv(&conn, buf, sizeof buf, left > 0 ? (int)(left * 1000) : 0, c->error, sizeof c->error);
    size_t at = 0;
    if (got == HL_NET_STOPPED) {
      result = HENGE_ERR_STOPPED;
      break;
    }
    if (got == HL_NET_TIMEOUT || got == HL_NET_ERROR) {
      if (got == HL_NET_TIMEOUT) set_error(c, "the server did not answer in time");
      result = HENGE_ERR_NETWORK;
      break;
    }
    if (got == HL_NET_CLOSED) {
      if (hc_http_end(&http) != HC_HTTP_DONE) {
        set_error(c, http.status != 0 ? hc_http_strerror(http.err) : "the server closed the connection");
        result = HENGE_ERR_NETWORK;
      }
      break;
    }
    while (!done) {
      size_t used = 0;
      hc_span part;
      const hc_http_event ev = hc_http_feed(&http, buf + at, (size_t)got - at, &used, &part);
      at += used;
      if (ev == HC_HTTP_NEED_MORE) break;
      if (ev == HC_HTTP_HEAD) {
        *status = (long)http.status;
        c->retry_after_ms = http.retry_after_s * 1000UL;
        c->etag_revision = (long long)http.etag_revision;
      } else if (ev == HC_HTTP_BODY) {
        if (hl_buf_append(answer, part.at, part.len) != 0) {
          set_error(c, "the answer is over the size limit");
          result = HENGE_ERR_TOO_LARGE;
          done = 1;
        }
      } else if (ev == HC_HTTP_DONE) {
        done = 1;
      } else {
        set_error(c, hc_http_strerror(http.err));
        result = HENGE_ERR_PROTOCOL;
        done = 1;
      }
    }
  }
  hl_conn_close(&conn);
  return result;
}

/* The problem detail of an error body, or the status; a detail too long for the error
 * is cut off. */
static void error_from_answer(henge_client* c, long status, const hl_buf* body) {
  hc_span value, raw;
  hc_out o;
  hc_out_init(&o, c->error, sizeof c->error - 1); /* room for the NUL of a cut-off detail */
  hc_out_str(&o, "HTTP ");
  hc_out_u64(&o, (uint64_t)status);
  if (body->data != NULL && hc_json_get(body->data, body->len, "detail", &value) == 1 &&
      hc_json_string_raw(value, &raw) == 0) {
    const size_t before = o.len;
    hc_out_str(&o, ": ");
    if (hc_json_unescape(raw, &o) != 0) o.len = before;
  }
  c->error[o.len] = '\0';
}

static henge_err status_error(long status) {
  if (status == 401 || status == 403) return HENGE_ERR_AUTH;
  return HENGE_ERR_HTTP;
}

/* POSTs a JSON body; HENGE_OK on 2xx. */
static henge_err post_json(henge_client* c, const char* path, const char* body) {
  hl_buf answer;
  long status = 0;
  henge_err result;
  if (load_token(c) != 0) return HENGE_ERR_AUTH;
  hl_buf_init(&answer, MAX_ERROR_BODY);
  result = exchange(c, "POST", path, NULL, NULL, body, &answer, &status);
  if (result == HENGE_ERR_TOO_LARGE) result = HENGE_OK; /* only an error body is kept, and cut */
  if (result == HENGE_OK && status / 100 != 2) {
    error_from_answer(c, status, &answer);
    result = status_error(status);
  }
  hl_buf_free(&answer);
  return result;
}

static henge_err send_ack(henge_client* c, const ack_answer* a) {
  /* An escaped error is at most 6 bytes a byte of it. */
  const size_t cap = 64 + 6 * HENGE_MAX_ACK_ERROR;
  char* body = (char*)malloc(cap);
  henge_err err;
  hc_out o;
  if (body == NULL) return HENGE_ERR_NOMEM;
  hc_out_init(&o, body, cap);
  hc_out_str(&o, "{\"revision\":");
  hc_out_u64(&o, (uint64_t)a->revision);
  hc_out_str(&o, a->applied ? ",\"status\":\"applied\"" : ",\"status\":\"rejected\",\"error\":");
  if (!a->applied) hc_out_json_string(&o, a->error, strlen(a->error));
  hc_out_str(&o, "}");
  err = hc_out_end(&o) > 0 ? post_json(c, "/v1/device/ack", body) : HENGE_ERR_TOO_LARGE;
  free(body);
  return err;
}

/* Sends the kept ack. A failure keeps it, to be sent again after a backoff (at least
 * the server's Retry-After) on the same stream, or at once on the next connection. */
static henge_err flush_ack(henge_client* c) {
  henge_err err;
  unsigned long delay;
  if (!c->ack_pending) return HENGE_OK;
  err = send_ack(c, &c->given);
  if (err == HENGE_OK || err == HENGE_ERR_STOPPED) {
    if (err == HENGE_OK) {
      c->ack_pending = 0;
      c->ack_failures = 0;
    }
    return err;
  }
  if (err == HENGE_ERR_HTTP && (strncmp(c->error, "HTTP 400", 8) == 0 || strncmp(c->error, "HTTP 409", 8) == 0)) {
    say(c, HENGE_LOG_WARN, "the server refused the ack for revision %lld (%s)", c->given.revision, c->error);
    c->ack_pending = 0; /* sending it again cannot help */
    return err;
  }
  delay = backoff_ms(c, c->ack_failures++);
  if (c->retry_after_ms > delay) delay = c->retry_after_ms < c->backoff_cap_ms ? c->retry_after_ms : c->backoff_cap_ms;
  c->ack_due = now_seconds() + (double)delay / 1000.0;
  say(c, HENGE_LOG_WARN, "cannot send the ack for revision %lld (%s); it is kept and sent again in %.1f s",
      c->given.revision, c->error, (double)delay / 1000.0);
  return err;
}

/* Records the answer for a revision and sends it. */
static void answer_with(henge_client* c, long long revision, int applied, const char* error) {
  c->given.revision = revision;
  c->given.applied = applied;
  /* Cut to what henged keeps; bytes that are not UTF-8 (a command's output) become '?'
   * in the ack's body, which henged would refuse otherwise. */
  snprintf(c->given.error, sizeof c->given.error, "%s", applied ? "" : error);
  c->ack_pending = 1;
  c->ack_failures = 0;
  (void)flush_ack(c);
}

henge_err henge_report(henge_client* c, const char* json_object) {
  hl_buf body;
  henge_err err;
  hc_json_members m;
  if (c == NULL || json_object == NULL) return HENGE_ERR_INVALID;
  if (hc_json_members_begin(&m, json_object, strlen(json_object)) != 0 ||
      !hc_json_valid(json_object, strlen(json_object)))
    return HENGE_ERR_INVALID;
  hl_buf_init(&body, HENGE_MAX_REPORT_BYTES + 32);
  if (hl_buf_append(&body, "{\"reported\":", 12) != 0 || hl_buf_append(&body, json_object, strlen(json_object)) != 0 ||
      hl_buf_push(&body, '}') != 0) {
    hl_buf_free(&body);
    return HENGE_ERR_TOO_LARGE;
  }
  err = post_json(c, "/v1/device/report", body.data);
  hl_buf_free(&body);
  return err;
}

static void forget_retry(henge_client* c) {
  free(c->retry_text);
  c->retry_text = NULL;
  c->retry_len = 0;
  c->retry_failures = 0;
}

/* Keeps a document whose callback asked to be called again, and when. */
static void keep_for_retry(henge_client* c, const char* text, size_t len) {
  unsigned long delay;
  if (c->retry_text == NULL || c->retry_len != len || memcmp(c->retry_text, text, len) != 0) {
    char* copy = (char*)malloc(len + 1);
    free(c->retry_text);
    c->retry_text = copy;
    c->retry_len = copy != NULL ? len : 0;
    if (copy == NULL) return; /* out of memory: the next connection brings it again */
    memcpy(copy, text, len);
    copy[len] = '\0';
  }
  delay = backoff_ms(c, c->retry_failures++);
  c->retry_due = now_seconds() + (double)delay / 1000.0;
  say(c, HENGE_LOG_INFO, "trying revision again in %.1f s", (double)delay / 1000.0);
}

/* Rejects a config over max_config_bytes: an answer the operator can act on, rather
 * than a connection dropped again and again. */
static void reject_oversized(henge_client* c, long long revision, size_t size) {
  char why[160];
  snprintf(why, sizeof why, "the config is over this device's limit of %lu bytes (max_config_bytes)",
           (unsigned long)c->max_config);
  say(c, HENGE_LOG_ERROR, "rejected revision %lld: %s (%lu bytes or more)", revision, why, (unsigned long)size);
  forget_retry(c); /* a newer revision: an older one's retry must not apply over it */
  if (revision > 0) answer_with(c, revision, 0, why);
}

/* Applies one document through fn and acknowledges it. HENGE_ERR_PROTOCOL when the
 * document does not check out (its sha256, its form): nothing in it is trusted. */
static henge_err deliver(henge_client* c, const char* text, size_t len, henge_config_fn fn, void* user) {
  hc_doc doc;
  hc_doc_err checked;
  char why[HENGE_MAX_ACK_ERROR];
  char* config;
  long long revision;
  int rc;
  const int retrying = c->retry_text != NULL && c->retry_len == len && memcmp(c->retry_text, text, len) == 0;
  const int due = retrying && now_seconds() >= c->retry_due;
  checked = hc_doc_check(text, len, &doc);
  if (checked != HC_DOC_OK) {
    snprintf(c->error, sizeof c->error, "%s", hc_doc_strerror(checked));
    say(c, HENGE_LOG_ERROR, "received a config document that does not check out (%s); asking for it again",
        hc_doc_strerror(checked));
    return HENGE_ERR_PROTOCOL;
  }
  revision = (long long)doc.revision;
  if (doc.config.len > c->max_config) {
    reject_oversized(c, revision, doc.config.len);
    return HENGE_OK;
  }
  if ((!retrying && (revision == c->given.revision || (c->given.revision == 0 && revision == c->last_revision))) ||
      (retrying && !due && revision == c->given.revision)) {
    /* henged sends a config again until it has recorded an answer: the same answer goes
     * back, and nothing runs (a retry waits for its time). */
    say(c, HENGE_LOG_INFO, "revision %lld already answered; acknowledging it again", revision);
    if (c->given.revision != revision) {
      c->given.revision = revision;
      c->given.applied = 1;
      c->given.error[0] = '\0';
    }
    c->ack_pending = 1;
    c->ack_failures = 0;
    (void)flush_ack(c);
    return HENGE_OK;
  }
  /* The callback gets the config's bytes NUL-terminated, apart from the document. */
  config = (char*)malloc(doc.config.len + 1);
  if (config == NULL) {
    set_error(c, "out of memory");
    return HENGE_ERR_NOMEM;
  }
  memcpy(config, doc.config.at, doc.config.len);
  config[doc.config.len] = '\0';
  why[0] = '\0';
  rc = fn(user, revision, config, doc.config.len, why, sizeof why);
  free(config);
  if (rc != HENGE_APPLIED && c->stop) {
    /* Stopped part-way: not applied, not answered; the next start gets it again. */
    return HENGE_ERR_STOPPED;
  }
  if (rc == HENGE_RETRY) {
    keep_for_retry(c, text, len);
  } else {
    forget_retry(c);
  }
  if (rc == HENGE_APPLIED) c->last_revision = revision;
  answer_with(c, revision, rc == HENGE_APPLIED, why[0] != '\0' ? why : "rejected by the device");
  return HENGE_OK;
}

/* Work due while a stream is held: a kept ack, a config to try again. Non-zero when
 * it did any (which takes time: callers then restart their silence clock). */
static int due_work(henge_client* c, henge_config_fn fn, void* user) {
  const double now = now_seconds();
  int worked = 0;
  if (c->ack_pending && now >= c->ack_due) {
    (void)flush_ack(c);
    worked = 1;
  }
  if (c->retry_text != NULL && now >= c->retry_due && !c->stop) {
    /* A copy: deliver() replaces or frees the kept one. */
    const size_t len = c->retry_len;
    char* text = (char*)malloc(len + 1);
    if (text == NULL) return worked;
    memcpy(text, c->retry_text, len + 1);
    (void)deliver(c, text, len, fn, user);
    free(text);
    worked = 1;
  }
  return worked;
}

static long long parse_revision(const char* id) {
  long long v = 0;
  if (id == NULL || *id == '\0') return 0;
  for (; *id != '\0'; ++id) {
    if (*id < '0' || *id > '9' || v > 922337203685477580LL) return 0;
    v = v * 10 + (*id - '0');
  }
  return v;
}

/* Handles one event; non-zero to end the stream. */
static int on_event(stream_state* s, const hc_sse_event* ev) {
  henge_err err = HENGE_OK;
  if (strcmp(ev->type, "config") == 0) {
    if (ev->data == NULL) {
      /* Its revision is its id; an id left from an earlier event is not its own. */
      reject_oversized(s->client, ev->id_in_event ? parse_revision(ev->id) : 0, ev->len);
    } else {
      err = deliver(s->client, ev->data, ev->len, s->fn, s->user);
    }
    if (err == HENGE_ERR_PROTOCOL) {
      s->bad_document = 1;
      return 1; /* drop the stream; the next one brings the config again */
    }
    if (err == HENGE_ERR_NOMEM) {
      s->no_memory = 1;
      return 1;
    }
  } else if (strcmp(ev->type, "goaway") == 0 && ev->data != NULL) {
    s->has_goaway = 1;
    s->goaway = hc_goaway_reason(ev->data, ev->len);
  }
  return s->client->stop ? 1 : 0;
}

/* The response's head is in. */
static void on_stream_head(stream_state* s, const hc_http* http) {
  henge_client* c = s->client;
  s->status = (long)http->status;
  c->retry_after_ms = http->retry_after_s * 1000UL;
  if (s->status != 200) return;
  s->connected = 1;
  c->last_issue[0] = '\0';
  say(c, HENGE_LOG_INFO, "stream connected (Last-Event-ID %lld)", c->last_revision);
  c->ack_due = 0; /* a kept ack goes at once on a new connection */
}

/* Bytes of the response's body: events of a stream, or an error's body. Non-zero to
 * end the stream. */
static int on_stream_body(stream_state* s, const char* data, size_t n) {
  size_t at = 0;
  int rc = 0;
  if (s->status != 200) {
    (void)hl_buf_append(&s->error_body, data, n); /* what does not fit is not needed */
    return 0;
  }
  while (rc == 0 && at < n) {
    hc_sse_event ev;
    size_t used = 0;
    if (hc_sse_feed(&s->parser, data + at, n - at, &used, &ev)) rc = on_event(s, &ev);
    at += used;
  }
  if (hc_sse_retry_ms(&s->parser) != HC_SSE_NO_RETRY) s->client->retry_ms = hc_sse_retry_ms(&s->parser);
  return rc;
}

/* Feeds what arrived to the response parser. Non-zero when the stream is over. */
static int on_stream_bytes(stream_state* s, hc_http* http, const char* data, size_t n) {
  size_t at = 0;
  for (;;) {
    size_t used = 0;
    hc_span part;
    const hc_http_event ev = hc_http_feed(http, data + at, n - at, &used, &part);
    at += used;
    switch (ev) {
      case HC_HTTP_NEED_MORE:
        return 0;
      case HC_HTTP_HEAD:
        on_stream_head(s, http);
        break;
      case HC_HTTP_BODY:
        if (on_stream_body(s, part.at, part.len) != 0) return 1;
        break;
      case HC_HTTP_DONE:
        s->ended = 1;
        return 1;
      default:
        set_error(s->client, hc_http_strerror(http->err));
        s->http_error = 1;
        return 1;
    }
  }
}

/* One stream connection, until it ends; s says how it ended. */
static henge_err stream_once(henge_client* c, henge_config_fn fn, void* user, stream_state* s) {
  const double silence = HENGE_KEEPALIVE_MULTIPLE * (double)c->keepalive_ms / 1000.0;
  char last_id[32];
  char buf[READ_CHUNK];
  hl_conn conn;
  hc_http http;
  henge_err result = HENGE_OK;
  if (load_token(c) != 0) {
    s->no_token = 1;
    return HENGE_ERR_AUTH;
  }
  s->client = c;
  s->fn = fn;
  s->user = user;
  s->event_buf = (char*)malloc(c->max_config + HENGE_EVENT_OVERHEAD);
  if (s->event_buf == NULL) {
    set_error(c, "out of memory");
    return HENGE_ERR_NOMEM;
  }
  snprintf(last_id, sizeof last_id, "%lld", c->last_revision);
  c->retry_after_ms = 0;
  if (send_request(c, &conn, "GET", "/v1/device/stream", "text/event-stream",
                   c->last_revision > 0 ? "Last-Event-ID" : NULL, last_id, NULL, &result) != 0) {
    free(s->event_buf);
    s->event_buf = NULL;
    return result;
  }
  hc_sse_init(&s->parser, s->event_buf, c->max_config + HENGE_EVENT_OVERHEAD);
  hl_buf_init(&s->error_body, MAX_ERROR_BODY);
  hc_http_init(&http, 0);
  s->last_data = now_seconds();
  while (!c->stop) {
    /* Wakes at least every second: for due work, and to notice silence. */
    const long got = hl_conn_recv(&conn, buf, sizeof buf, 1000, c->error, sizeof c->error);
    int over = 0;
    if (got == HL_NET_STOPPED) break;
    if (got == HL_NET_ERROR) {
      s->broken = 1;
      break;
    }
    if (got == HL_NET_CLOSED) {
      if (hc_http_end(&http) != HC_HTTP_DONE) set_error(c, "the server closed the connection");
      s->ended = 1;
      break;
    }
    if (got > 0) {
      s->last_data = now_seconds();
      over = on_stream_bytes(s, &http, buf, (size_t)got);
      if (over || c->stop) break;
    }
    if (s->connected) {
      /* The time the work took is not the server's silence; the silence before it is. */
      const double before = now_seconds();
      if (due_work(c, fn, user)) s->last_data += now_seconds() - before;
    }
    if (got > 0) s->last_data = now_seconds(); /* time in callbacks (a long command) is not silence */
    if (now_seconds() - s->last_data > silence) {
      s->idle = 1;
      break;
    }
  }
  hl_conn_close(&conn);

  if (c->stop) {
    result = HENGE_ERR_STOPPED;
  } else if (s->status != 0 && s->status != 200) {
    error_from_answer(c, s->status, &s->error_body);
    result = status_error(s->status);
  } else if (s->bad_document || s->http_error) {
    result = HENGE_ERR_PROTOCOL; /* the error says what did not check out */
  } else if (s->no_memory) {
    set_error(c, "out of memory reading the stream");
    result = HENGE_ERR_NOMEM;
  } else if (s->idle) {
    set_error(c, "no data from the server for 3 keepalive intervals");
    result = HENGE_ERR_NETWORK;
  } else if (!s->connected) {
    if (!s->broken) set_error(c, "the server closed the connection without an answer");
    result = HENGE_ERR_NETWORK;
  } else {
    if (!s->broken) set_error(c, s->has_goaway ? hc_goaway_name(s->goaway) : "the stream ended");
    result = HENGE_OK; /* the stream was held and ended */
  }
  free(s->event_buf);
  s->event_buf = NULL;
  hl_buf_free(&s->error_body);
  return result;
}

/* How long to wait after a stream ended with err, and the one line that says why. */
static unsigned long delay_after(henge_client* c, henge_err err, const stream_state* s, unsigned* failures) {
  char line[768];
  unsigned long delay;
  const double cap_s = (double)c->backoff_cap_ms / 1000.0;
  if (s->no_token) {
    snprintf(line, sizeof line, "%s; trying again every %.1f s", c->error, cap_s);
    issue(c, HENGE_LOG_ERROR, line);
    return c->backoff_cap_ms;
  }
  if (err == HENGE_ERR_AUTH) {
    /* Only an operator can fix this (or a new token in the token file). */
    snprintf(line, sizeof line, "the server refused the device token (%s); trying again every %.1f s%s%s", c->error,
             cap_s, c->token_file != NULL ? " with what is in " : "", c->token_file != NULL ? c->token_file : "");
    issue(c, HENGE_LOG_ERROR, line);
    return c->backoff_cap_ms;
  }
  if (s->has_goaway &&
      (s->goaway == HC_GOAWAY_DELETED || s->goaway == HC_GOAWAY_TOKEN_ROTATED || s->goaway == HC_GOAWAY_REPLACED)) {
    say(c, HENGE_LOG_ERROR, "the server ended the stream (goaway %s)%s; trying again in %.1f s",
        hc_goaway_name(s->goaway), s->goaway == HC_GOAWAY_REPLACED ? ": is a second client using this token?" : "",
        cap_s);
    return c->backoff_cap_ms;
  }
  if (s->has_goaway && (s->goaway == HC_GOAWAY_SHUTDOWN || s->goaway == HC_GOAWAY_OVERFLOW)) {
    delay = hc_random_upto(hc_random_next(&c->rng),
                           (uint32_t)(c->retry_ms < c->backoff_cap_ms ? c->retry_ms : c->backoff_cap_ms));
    say(c, HENGE_LOG_INFO, "the server asked to reconnect (goaway %s); reconnecting in %.1f s",
        hc_goaway_name(s->goaway), (double)delay / 1000.0);
    return delay;
  }
  delay = backoff_ms(c, (*failures)++);
  if (err == HENGE_ERR_HTTP && (s->status == 429 || s->status == 503) && c->retry_after_ms > delay) {
    delay = c->retry_after_ms < c->backoff_cap_ms ? c->retry_after_ms : c->backoff_cap_ms;
  }
  if (err == HENGE_ERR_HTTP) {
    snprintf(line, sizeof line, "the server answered the stream with %s; retrying", c->error);
  } else if (err == HENGE_ERR_NETWORK && !s->connected) {
    snprintf(line, sizeof line, "cannot reach the server: %s; retrying", c->error);
  } else if (err == HENGE_ERR_PROTOCOL && !s->http_error) {
    return delay; /* logged where it was found */
  } else if (err == HENGE_ERR_PROTOCOL) {
    snprintf(line, sizeof line, "the server's answer cannot be read as HTTP (%s); retrying", c->error);
  } else {
    snprintf(line, sizeof line, "the stream ended (%s); reconnecting", c->error);
  }
  issue(c, HENGE_LOG_WARN, line);
  return delay;
}

henge_err henge_run(henge_client* c, henge_config_fn fn, void* user) {
  unsigned failures = 0;
  if (c == NULL || fn == NULL) return HENGE_ERR_INVALID;
  while (!c->stop) {
    stream_state s;
    const double started = now_seconds();
    henge_err err;
    memset(&s, 0, sizeof s);
    err = stream_once(c, fn, user, &s);
    if (err == HENGE_ERR_STOPPED || c->stop) break;
    if (err == HENGE_ERR_NOMEM) return err;
    if (s.connected && now_seconds() - started >= HENGE_HEALTHY_CONNECTION_S) failures = 0; /* a healthy connection */
    pause_ms(c, delay_after(c, err, &s, &failures));
  }
  return HENGE_ERR_STOPPED;
}

henge_err henge_poll(henge_client* c, henge_config_fn fn, void* user) {
  char if_none_match[32];
  hl_buf body;
  long status = 0;
  henge_err result;
  if (c == NULL || fn == NULL) return HENGE_ERR_INVALID;
  if (load_token(c) != 0) return HENGE_ERR_AUTH;
  (void)flush_ack(c); /* one kept from the last wake-up */
  snprintf(if_none_match, sizeof if_none_match, "\"%lld\"", c->last_revision);
  hl_buf_init(&body, c->max_config + HENGE_EVENT_OVERHEAD);
  result = exchange(c, "GET", "/v1/device/config", c->last_revision > 0 ? "If-None-Match" : NULL, if_none_match, NULL,
                    &body, &status);
  if (result == HENGE_ERR_TOO_LARGE && status == 200) {
    /* Its revision is in the ETag: the operator learns of the limit from the ack. */
    if (c->etag_revision > 0) reject_oversized(c, c->etag_revision, body.len);
    set_error(c, "the config is over the size limit");
  } else if (result != HENGE_OK) {
    /* the error is set */
  } else if (status == 304) {
    result = HENGE_ERR_NOT_MODIFIED;
  } else if (status != 200) {
    error_from_answer(c, status, &body);
    result = status_error(status);
  } else {
    result = deliver(c, body.data != NULL ? body.data : "", body.len, fn, user);
  }
  hl_buf_free(&body);
  return result;
}
