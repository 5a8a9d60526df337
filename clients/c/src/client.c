/* libhenge's network side: the stream, polling, acks and reports over libcurl. */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backoff.h"
#include "buf.h"
#include "document.h"
#include "henge.h"
#include "sse.h"

#define HENGE_VERSION "0.1.0"
#define CALL_TIMEOUT_MS 10000L
#define MAX_ERROR_BODY 4096

struct henge_client {
  char* server; /* no trailing slash */
  char* auth_header;
  char* ca_file;
  char* user_agent;
  long long last_revision;
  size_t max_config;
  unsigned long keepalive_ms, backoff_base_ms, backoff_cap_ms;
  volatile sig_atomic_t stop;
  char error[512];
  unsigned long retry_ms; /* from the stream's retry: field */
  unsigned int rng;       /* for the jitter; no global rand() state */
};

/* What one stream connection is doing, shared with curl's callbacks. */
typedef struct stream_state {
  henge_client* client;
  CURL* curl;
  henge_config_fn fn;
  void* user;
  henge_sse parser;
  henge_buf error_body;
  long status;      /* 0 until the head is in */
  int too_large;    /* the parser hit its limit */
  char goaway[32];  /* the reason of a goaway event, or "" */
  double last_data; /* monotonic seconds of the last byte */
  int idle;         /* ended by 3 keepalives of silence */
  int connected;
} stream_state;

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

henge_client* henge_new(const henge_options* o, henge_err* err) {
  henge_client* c;
  size_t n;
  henge_err dummy;
  if (err == NULL) err = &dummy;
  if (o == NULL || o->server == NULL || o->token == NULL || o->token[0] == '\0' ||
      (strncmp(o->server, "http://", 7) != 0 && strncmp(o->server, "https://", 8) != 0) ||
      strpbrk(o->token, "\r\n") != NULL) {
    *err = HENGE_ERR_INVALID;
    return NULL;
  }
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    *err = HENGE_ERR_NOMEM;
    return NULL;
  }
  c = (henge_client*)calloc(1, sizeof *c);
  if (c == NULL) {
    curl_global_cleanup();
    *err = HENGE_ERR_NOMEM;
    return NULL;
  }
  c->server = dup_string(o->server);
  c->auth_header = (char*)malloc(strlen(o->token) + 32);
  c->ca_file = dup_string(o->ca_file);
  c->user_agent = dup_string(o->user_agent != NULL ? o->user_agent : "libhenge/" HENGE_VERSION);
  if (c->server == NULL || c->auth_header == NULL || (o->ca_file != NULL && c->ca_file == NULL) ||
      c->user_agent == NULL) {
    henge_free(c);
    *err = HENGE_ERR_NOMEM;
    return NULL;
  }
  n = strlen(c->server);
  while (n > 0 && c->server[n - 1] == '/') c->server[--n] = '\0';
  sprintf(c->auth_header, "Authorization: Bearer %s", o->token);
  c->last_revision = o->last_revision > 0 ? o->last_revision : 0;
  c->max_config = o->max_config_bytes ? o->max_config_bytes : 256 * 1024;
  c->keepalive_ms = o->keepalive_ms ? o->keepalive_ms : 15000;
  c->backoff_base_ms = o->backoff_base_ms ? o->backoff_base_ms : 500;
  c->backoff_cap_ms = o->backoff_cap_ms ? o->backoff_cap_ms : 60000;
  c->retry_ms = 2000;
  c->rng = (unsigned int)time(NULL) ^ (unsigned int)(size_t)c;
  *err = HENGE_OK;
  return c;
}

void henge_free(henge_client* c) {
  if (c == NULL) return;
  free(c->server);
  if (c->auth_header != NULL) memset(c->auth_header, 0, strlen(c->auth_header)); /* a secret */
  free(c->auth_header);
  free(c->ca_file);
  free(c->user_agent);
  free(c);
  curl_global_cleanup(); /* paired with henge_new's curl_global_init */
}

void henge_stop(henge_client* c) {
  if (c != NULL) c->stop = 1;
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

/* A uniform number in [0, 1] from a small xorshift generator. */
static double next_uniform(henge_client* c) {
  unsigned int x = c->rng ? c->rng : 2463534242u;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  c->rng = x;
  return (double)x / 4294967295.0;
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

static size_t collect_body(char* data, size_t size, size_t nmemb, void* userp) {
  henge_buf* b = (henge_buf*)userp;
  const size_t n = size * nmemb;
  /* What does not fit is dropped: only error bodies and documents come here. */
  if (henge_buf_append(b, data, n) != 0) return 0;
  return n;
}

static int abort_when_stopped(void* clientp, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un) {
  const henge_client* c = (const henge_client*)clientp;
  (void)dt, (void)dn, (void)ut, (void)un;
  return c->stop ? 1 : 0;
}

/* A curl handle set up for one call to path. */
static CURL* new_call(henge_client* c, const char* path, struct curl_slist** headers, const char* extra) {
  CURL* curl = curl_easy_init();
  char url[2048];
  if (curl == NULL) return NULL;
  snprintf(url, sizeof url, "%s%s", c->server, path);
  *headers = curl_slist_append(NULL, c->auth_header);
  if (extra != NULL && *headers != NULL) *headers = curl_slist_append(*headers, extra);
  curl_easy_setopt(curl, CURLOPT_URL, url);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, *headers);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, c->user_agent);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, CALL_TIMEOUT_MS);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, abort_when_stopped);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, c);
  if (c->ca_file != NULL) curl_easy_setopt(curl, CURLOPT_CAINFO, c->ca_file);
  return curl;
}

/* The problem detail of an error body, or the status. */
static void error_from_answer(henge_client* c, long status, const henge_buf* body) {
  cJSON* doc = body->data != NULL ? cJSON_ParseWithLength(body->data, body->len) : NULL;
  const cJSON* detail = cJSON_GetObjectItemCaseSensitive(doc, "detail");
  if (cJSON_IsString(detail)) {
    snprintf(c->error, sizeof c->error, "HTTP %ld: %s", status, detail->valuestring);
  } else {
    snprintf(c->error, sizeof c->error, "HTTP %ld", status);
  }
  cJSON_Delete(doc);
}

static henge_err status_error(long status) {
  if (status == 401 || status == 403) return HENGE_ERR_AUTH;
  return HENGE_ERR_HTTP;
}

/* POSTs a JSON body; HENGE_OK on 2xx. */
static henge_err post_json(henge_client* c, const char* path, const char* body) {
  struct curl_slist* headers = NULL;
  henge_buf answer;
  long status = 0;
  CURLcode rc;
  henge_err result = HENGE_OK;
  CURL* curl = new_call(c, path, &headers, "Content-Type: application/json");
  if (curl == NULL || headers == NULL) {
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return HENGE_ERR_NOMEM;
  }
  henge_buf_init(&answer, MAX_ERROR_BODY);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, CALL_TIMEOUT_MS);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer);
  rc = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  if (rc != CURLE_OK) {
    set_error(c, curl_easy_strerror(rc));
    result = c->stop ? HENGE_ERR_STOPPED : HENGE_ERR_NETWORK;
  } else if (status / 100 != 2) {
    error_from_answer(c, status, &answer);
    result = status_error(status);
  }
  henge_buf_free(&answer);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return result;
}

static henge_err send_ack(henge_client* c, long long revision, const char* rejection) {
  henge_err err = HENGE_ERR_NOMEM;
  cJSON* body = cJSON_CreateObject();
  char* text;
  if (body == NULL) return err;
  cJSON_AddNumberToObject(body, "revision", (double)revision);
  cJSON_AddStringToObject(body, "status", rejection == NULL ? "applied" : "rejected");
  if (rejection != NULL) cJSON_AddStringToObject(body, "error", rejection);
  text = cJSON_PrintUnformatted(body);
  cJSON_Delete(body);
  if (text != NULL) {
    err = post_json(c, "/v1/device/ack", text);
    cJSON_free(text);
  }
  return err;
}

henge_err henge_report(henge_client* c, const char* json_object) {
  henge_buf body;
  henge_err err;
  cJSON* parsed;
  if (c == NULL || json_object == NULL) return HENGE_ERR_INVALID;
  parsed = cJSON_Parse(json_object);
  if (!cJSON_IsObject(parsed)) {
    cJSON_Delete(parsed);
    return HENGE_ERR_INVALID;
  }
  cJSON_Delete(parsed);
  henge_buf_init(&body, 64 * 1024 + 32);
  if (henge_buf_append(&body, "{\"reported\":", 12) != 0 ||
      henge_buf_append(&body, json_object, strlen(json_object)) != 0 || henge_buf_push(&body, '}') != 0) {
    henge_buf_free(&body);
    return HENGE_ERR_TOO_LARGE;
  }
  err = post_json(c, "/v1/device/report", body.data);
  henge_buf_free(&body);
  return err;
}

/* Applies one document through fn and acknowledges it. */
static henge_err deliver(henge_client* c, const char* text, size_t len, henge_config_fn fn, void* user) {
  henge_document doc;
  char why[512];
  int rejected;
  henge_err err;
  if (henge_document_parse(text, len, &doc, c->error, sizeof c->error) != 0) return HENGE_ERR_PROTOCOL;
  why[0] = '\0';
  rejected = fn(user, doc.revision, doc.config, doc.config_len, why, sizeof why);
  if (!rejected) c->last_revision = doc.revision;
  err = send_ack(c, doc.revision, rejected ? (why[0] != '\0' ? why : "rejected by the device") : NULL);
  henge_document_free(&doc);
  return err;
}

static int on_event(void* user, const char* type, const char* data, size_t len, const char* id) {
  stream_state* s = (stream_state*)user;
  (void)id;
  if (strcmp(type, "config") == 0) {
    /* A failed ack is not fatal here: the next connection sends Last-Event-ID, and the
     * server resends what was not recorded as applied. */
    (void)deliver(s->client, data, len, s->fn, s->user);
  } else if (strcmp(type, "goaway") == 0) {
    cJSON* doc = cJSON_ParseWithLength(data, len);
    const cJSON* reason = cJSON_GetObjectItemCaseSensitive(doc, "reason");
    snprintf(s->goaway, sizeof s->goaway, "%s", cJSON_IsString(reason) ? reason->valuestring : "unknown");
    cJSON_Delete(doc);
  }
  return s->client->stop ? 1 : 0;
}

static size_t on_stream_data(char* data, size_t size, size_t nmemb, void* userp) {
  stream_state* s = (stream_state*)userp;
  const size_t n = size * nmemb;
  int rc;
  if (s->status == 0) curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &s->status);
  s->last_data = now_seconds();
  if (s->status != 200) return henge_buf_append(&s->error_body, data, n) == 0 ? n : 0;
  s->connected = 1;
  rc = henge_sse_feed(&s->parser, data, n, on_event, s);
  if (s->parser.retry_ms >= 0) s->client->retry_ms = (unsigned long)s->parser.retry_ms;
  if (rc < 0) s->too_large = 1;
  return rc == 0 ? n : 0; /* anything else aborts the transfer */
}

static int stream_progress(void* clientp, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un) {
  stream_state* s = (stream_state*)clientp;
  (void)dt, (void)dn, (void)ut, (void)un;
  if (s->client->stop) return 1;
  if (now_seconds() - s->last_data > 3.0 * (double)s->client->keepalive_ms / 1000.0) {
    s->idle = 1;
    return 1;
  }
  return 0;
}

/* One stream connection, until it ends; s says how it ended. */
static henge_err stream_once(henge_client* c, henge_config_fn fn, void* user, stream_state* s) {
  struct curl_slist* headers = NULL;
  char last_id[64];
  CURLcode rc;
  henge_err result;
  snprintf(last_id, sizeof last_id, "Last-Event-ID: %lld", c->last_revision);
  s->curl = new_call(c, "/v1/device/stream", &headers, "Accept: text/event-stream");
  if (s->curl == NULL || headers == NULL) {
    curl_slist_free_all(headers);
    curl_easy_cleanup(s->curl);
    return HENGE_ERR_NOMEM;
  }
  if (c->last_revision > 0) {
    struct curl_slist* more = curl_slist_append(headers, last_id);
    if (more == NULL) {
      curl_slist_free_all(headers);
      curl_easy_cleanup(s->curl);
      return HENGE_ERR_NOMEM;
    }
    headers = more;
    curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, headers);
  }
  s->client = c;
  s->fn = fn;
  s->user = user;
  henge_sse_init(&s->parser, c->max_config + 4096);
  henge_buf_init(&s->error_body, MAX_ERROR_BODY);
  s->last_data = now_seconds();
  curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, on_stream_data);
  curl_easy_setopt(s->curl, CURLOPT_WRITEDATA, s);
  curl_easy_setopt(s->curl, CURLOPT_XFERINFOFUNCTION, stream_progress);
  curl_easy_setopt(s->curl, CURLOPT_XFERINFODATA, s);
  rc = curl_easy_perform(s->curl);
  if (s->status == 0) curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &s->status);

  if (c->stop) {
    result = HENGE_ERR_STOPPED;
  } else if (s->status != 0 && s->status != 200) {
    error_from_answer(c, s->status, &s->error_body);
    result = status_error(s->status);
  } else if (s->too_large) {
    set_error(c, "the stream sent an event over the size limit");
    result = HENGE_ERR_TOO_LARGE;
  } else if (s->idle) {
    set_error(c, "no data from the server for 3 keepalive intervals");
    result = HENGE_ERR_NETWORK;
  } else if (rc != CURLE_OK && !s->connected) {
    set_error(c, curl_easy_strerror(rc));
    result = HENGE_ERR_NETWORK;
  } else {
    set_error(c, s->goaway[0] != '\0' ? s->goaway : "the stream ended");
    result = HENGE_OK; /* the stream was held and ended */
  }
  henge_sse_free(&s->parser);
  henge_buf_free(&s->error_body);
  curl_slist_free_all(headers);
  curl_easy_cleanup(s->curl);
  s->curl = NULL;
  return result;
}

henge_err henge_run(henge_client* c, henge_config_fn fn, void* user) {
  unsigned failures = 0;
  if (c == NULL || fn == NULL) return HENGE_ERR_INVALID;
  while (!c->stop) {
    stream_state s;
    const double started = now_seconds();
    henge_err err;
    unsigned long delay;
    memset(&s, 0, sizeof s);
    err = stream_once(c, fn, user, &s);
    if (err == HENGE_ERR_STOPPED || c->stop) break;
    if (err == HENGE_ERR_NOMEM) return err;
    if (s.connected && now_seconds() - started >= 30.0) failures = 0; /* a healthy connection */
    if (err == HENGE_ERR_AUTH || strcmp(s.goaway, "deleted") == 0 || strcmp(s.goaway, "token_rotated") == 0 ||
        strcmp(s.goaway, "replaced") == 0) {
      delay = c->backoff_cap_ms; /* only an operator can fix this: do not hammer the server */
    } else if (strcmp(s.goaway, "shutdown") == 0 || strcmp(s.goaway, "overflow") == 0) {
      delay = (unsigned long)(next_uniform(c) * (double)c->retry_ms);
    } else {
      delay = henge_backoff_delay_ms(failures++, c->backoff_base_ms, c->backoff_cap_ms, next_uniform(c));
    }
    pause_ms(c, delay);
  }
  return HENGE_ERR_STOPPED;
}

henge_err henge_poll(henge_client* c, henge_config_fn fn, void* user) {
  struct curl_slist* headers = NULL;
  char if_none_match[64];
  henge_buf body;
  long status = 0;
  CURLcode rc;
  henge_err result;
  CURL* curl;
  if (c == NULL || fn == NULL) return HENGE_ERR_INVALID;
  snprintf(if_none_match, sizeof if_none_match, "If-None-Match: \"%lld\"", c->last_revision);
  curl = new_call(c, "/v1/device/config", &headers, c->last_revision > 0 ? if_none_match : NULL);
  if (curl == NULL || headers == NULL) {
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return HENGE_ERR_NOMEM;
  }
  henge_buf_init(&body, c->max_config + 4096);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, CALL_TIMEOUT_MS);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  rc = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  if (rc == CURLE_WRITE_ERROR) {
    set_error(c, "the config is over the size limit");
    result = HENGE_ERR_TOO_LARGE;
  } else if (rc != CURLE_OK) {
    set_error(c, curl_easy_strerror(rc));
    result = c->stop ? HENGE_ERR_STOPPED : HENGE_ERR_NETWORK;
  } else if (status == 304) {
    result = HENGE_ERR_NOT_MODIFIED;
  } else if (status != 200) {
    error_from_answer(c, status, &body);
    result = status_error(status);
  } else {
    result = deliver(c, body.data != NULL ? body.data : "", body.len, fn, user);
  }
  henge_buf_free(&body);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return result;
}
