/* libhenge's client: options, the device token, one-off calls (reports) and logs. The
 * protocol itself is run.c's, on libhenge-core's engine. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "client.h"
#include "hc_http.h"
#include "hc_json.h"
#include "hc_text.h"
#include "protocol.h"

#define MAX_ERROR_BODY 4096
#define MAX_REQUEST_HEAD 2048 /* the longest token, prefix, host and user agent fit */
#define MAX_USER_AGENT 256

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

uint64_t hl_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
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

void hl_set_error(henge_client* c, const char* message) {
  snprintf(c->error, sizeof c->error, "%s", message);
}

void hl_say(henge_client* c, henge_level level, const char* format, ...) {
  char line[1024];
  va_list args;
  if (c->log == NULL) return;
  va_start(args, format);
  vsnprintf(line, sizeof line, format, args);
  va_end(args);
  c->log(c->log_user, level, line);
}

/* A connection problem: logged when it differs from the last one. */
void hl_issue(henge_client* c, henge_level level, const char* text) {
  if (strcmp(c->last_issue, text) == 0) return;
  snprintf(c->last_issue, sizeof c->last_issue, "%s", text);
  hl_say(c, level, "%s", text);
}

static int set_token(henge_client* c, const char* token) {
  const char* p;
  if (token == NULL || token[0] == '\0' || strlen(token) > HL_MAX_TOKEN) return -1;
  for (p = token; *p != '\0'; ++p) {
    if ((unsigned char)*p <= ' ' || *p == 0x7f) return -1; /* it goes into a header */
  }
  snprintf(c->token, sizeof c->token, "%s", token);
  return 0;
}

/* Reads the token file again (a rotation replaces it); 0, or -1 with the error set. */
int hl_load_token(henge_client* c) {
  char token[HL_MAX_TOKEN + 2];
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
  hc_client_settings settings;
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
  c->stream.fd = -1; /* no stream yet (henge_free closes one) */
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
  c->max_config = o->max_config_bytes ? o->max_config_bytes : HENGE_DEFAULT_MAX_CONFIG_BYTES;
  c->log = o->log;
  c->log_user = o->log_user;
  /* The engine's buffers: one event's document, and one request (an ack's reason,
   * escaped, may be 6 times its size). */
  c->doc = (char*)malloc(c->max_config + HENGE_EVENT_OVERHEAD);
  c->request = (char*)malloc(HL_REQUEST_BYTES);
  if (c->doc == NULL || c->request == NULL) {
    henge_free(c);
    *err = HENGE_ERR_NOMEM;
    return NULL;
  }
  memset(&settings, 0, sizeof settings);
  settings.host = c->url.authority;
  settings.prefix = c->url.prefix;
  settings.token = c->token; /* read from there: a reloaded token is used at once */
  settings.user_agent = c->user_agent;
  settings.last_revision = o->last_revision > 0 ? (uint64_t)o->last_revision : 0;
  settings.keepalive_ms = (uint32_t)(o->keepalive_ms ? o->keepalive_ms : HENGE_DEFAULT_KEEPALIVE_MS);
  settings.backoff_base_ms = (uint32_t)(o->backoff_base_ms ? o->backoff_base_ms : HENGE_BACKOFF_BASE_MS);
  settings.backoff_cap_ms = (uint32_t)(o->backoff_cap_ms ? o->backoff_cap_ms : HENGE_BACKOFF_CAP_MS);
  settings.max_config = c->max_config;
  settings.seed = (uint32_t)time(NULL) ^ (uint32_t)(size_t)c; /* no global rand() state */
  hc_client_init(&c->engine, &settings, c->doc, c->max_config + HENGE_EVENT_OVERHEAD);
  *err = HENGE_OK;
  return c;
}

void henge_free(henge_client* c) {
  if (c == NULL) return;
  hl_conn_close(&c->stream);
  memset(c->token, 0, sizeof c->token); /* a secret */
  hl_tls_free(&c->tls);
  if (c->request != NULL) memset(c->request, 0, HL_REQUEST_BYTES); /* it held the token */
  free(c->doc);
  free(c->request);
  free(c->token_file);
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

const char* henge_last_error(const henge_client* c) {
  return c != NULL ? c->error : "";
}

/* Sleeps up to ms, waking early when stopped. */
void hl_pause_ms(henge_client* c, unsigned long ms) {
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
    hl_set_error(c, "the request does not fit in a request head");
    *err = HENGE_ERR_INVALID;
    return -1;
  }
  rc = hl_conn_open(conn, &c->url, &c->tls, c->ca_file, HL_CALL_TIMEOUT_MS, &c->stop, c->error, sizeof c->error);
  if (rc == HL_NET_OK) rc = hl_conn_send(conn, head, head_len, HL_CALL_TIMEOUT_MS, c->error, sizeof c->error);
  if (rc == HL_NET_OK && body != NULL) {
    rc = hl_conn_send(conn, body, q.body_len, HL_CALL_TIMEOUT_MS, c->error, sizeof c->error);
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
 * body) within HL_CALL_TIMEOUT_MS. HENGE_ERR_TOO_LARGE when the body passed the maximum
 * (the status and the ETag are known then). */
static henge_err exchange(henge_client* c, const char* method, const char* path, const char* extra_name,
                          const char* extra_value, const char* body, hl_buf* answer, long* status) {
  hl_conn conn;
  hc_http http;
  char buf[HL_READ_CHUNK];
  henge_err result = HENGE_OK;
  const double deadline = (double)hl_now_ms() / 1000.0 + HL_CALL_TIMEOUT_MS / 1000.0;
  int done = 0;
  *status = 0;
  if (send_request(c, &conn, method, path, NULL, extra_name, extra_value, body, &result) != 0) return result;
  hc_http_init(&http, 0);
  while (!done) {
    const double left = deadline - (double)hl_now_ms() / 1000.0;
    const long got = hl_conn_recv(&conn, buf, sizeof buf, left > 0 ? (int)(left * 1000) : 0, c->error, sizeof c->error);
    size_t at = 0;
    if (got == HL_NET_STOPPED) {
      result = HENGE_ERR_STOPPED;
      break;
    }
    if (got == HL_NET_TIMEOUT || got == HL_NET_ERROR) {
      if (got == HL_NET_TIMEOUT) hl_set_error(c, "the server did not answer in time");
      result = HENGE_ERR_NETWORK;
      break;
    }
    if (got == HL_NET_CLOSED) {
      if (hc_http_end(&http) != HC_HTTP_DONE) {
        hl_set_error(c, http.status != 0 ? hc_http_strerror(http.err) : "the server closed the connection");
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
      } else if (ev == HC_HTTP_BODY) {
        if (hl_buf_append(answer, part.at, part.len) != 0) {
          hl_set_error(c, "the answer is over the size limit");
          result = HENGE_ERR_TOO_LARGE;
          done = 1;
        }
      } else if (ev == HC_HTTP_DONE) {
        done = 1;
      } else {
        hl_set_error(c, hc_http_strerror(http.err));
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
void hl_error_from_answer(henge_client* c, unsigned status, const char* body, size_t len) {
  hc_span value, raw;
  hc_out o;
  hc_out_init(&o, c->error, sizeof c->error - 1); /* room for the NUL of a cut-off detail */
  hc_out_str(&o, "HTTP ");
  hc_out_u64(&o, status);
  if (body != NULL && hc_json_get(body, len, "detail", &value) == 1 && hc_json_string_raw(value, &raw) == 0) {
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
  if (hl_load_token(c) != 0) return HENGE_ERR_AUTH;
  hl_buf_init(&answer, MAX_ERROR_BODY);
  result = exchange(c, "POST", path, NULL, NULL, body, &answer, &status);
  if (result == HENGE_ERR_TOO_LARGE) result = HENGE_OK; /* only an error body is kept, and cut */
  if (result == HENGE_OK && status / 100 != 2) {
    hl_error_from_answer(c, (unsigned)status, answer.data, answer.len);
    result = status_error(status);
  }
  hl_buf_free(&answer);
  return result;
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
