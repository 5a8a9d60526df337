/* libhenge's network side: the stream, polling, acks and reports over libcurl. */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backoff.h"
#include "buf.h"
#include "document.h"
#include "henge.h"
#include "protocol.h"
#include "sse.h"

#define HENGE_VERSION "0.1.0"
#define CALL_TIMEOUT_MS 10000L
#define MAX_ERROR_BODY 4096
#define MAX_TOKEN 512

/* An acknowledgement: the answer given for a revision. */
typedef struct ack_answer {
  long long revision; /* 0: none */
  int applied;
  char error[HENGE_MAX_ACK_ERROR];
} ack_answer;

struct henge_client {
  char* server; /* no trailing slash */
  char auth_header[MAX_TOKEN + 32];
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
  unsigned int rng;             /* for the jitter; no global rand() state */
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

/* What one stream connection is doing, shared with curl's callbacks. */
typedef struct stream_state {
  henge_client* client;
  CURL* curl;
  henge_config_fn fn;
  void* user;
  henge_sse parser;
  henge_buf error_body;
  long status;      /* 0 until the head is in */
  int no_memory;    /* the parser ran out of memory */
  char goaway[32];  /* the reason of a goaway event, or "" */
  double last_data; /* monotonic seconds of the last byte */
  int idle;         /* ended by 3 keepalives of silence */
  int connected;
  int bad_document; /* a config that did not check out: ask for it again */
  int no_token;     /* the token file could not be read */
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

/* strncasecmp is POSIX but not C99, and only ASCII is wanted here. */
static int strncasecmp_ascii(const char* a, const char* b, size_t n) {
  size_t i;
  for (i = 0; i < n; ++i) {
    const int x = (a[i] >= 'A' && a[i] <= 'Z') ? a[i] + 32 : a[i];
    const int y = (b[i] >= 'A' && b[i] <= 'Z') ? b[i] + 32 : b[i];
    if (x != y || x == 0) return x - y;
  }
  return 0;
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
  if (token == NULL || token[0] == '\0' || strlen(token) > MAX_TOKEN || strpbrk(token, "\r\n") != NULL) return -1;
  snprintf(c->auth_header, sizeof c->auth_header, "Authorization: Bearer %s", token);
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
  if (o == NULL || o->server == NULL || (o->token == NULL && o->token_file == NULL) ||
      (strncmp(o->server, "http://", 7) != 0 && strncmp(o->server, "https://", 8) != 0)) {
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
  if (o->token_file == NULL && set_token(c, o->token) != 0) {
    henge_free(c);
    *err = HENGE_ERR_INVALID;
    return NULL;
  }
  c->server = dup_string(o->server);
  c->token_file = dup_string(o->token_file);
  c->ca_file = dup_string(o->ca_file);
  c->user_agent = dup_string(o->user_agent != NULL ? o->user_agent : "libhenge/" HENGE_VERSION);
  if (c->server == NULL || (o->token_file != NULL && c->token_file == NULL) ||
      (o->ca_file != NULL && c->ca_file == NULL) || c->user_agent == NULL) {
    henge_free(c);
    *err = HENGE_ERR_NOMEM;
    return NULL;
  }
  n = strlen(c->server);
  while (n > 0 && c->server[n - 1] == '/') c->server[--n] = '\0';
  c->last_revision = o->last_revision > 0 ? o->last_revision : 0;
  c->max_config = o->max_config_bytes ? o->max_config_bytes : HENGE_DEFAULT_MAX_CONFIG;
  c->keepalive_ms = o->keepalive_ms ? o->keepalive_ms : HENGE_DEFAULT_KEEPALIVE_MS;
  c->backoff_base_ms = o->backoff_base_ms ? o->backoff_base_ms : HENGE_BACKOFF_BASE_MS;
  c->backoff_cap_ms = o->backoff_cap_ms ? o->backoff_cap_ms : HENGE_BACKOFF_CAP_MS;
  c->retry_ms = HENGE_DEFAULT_RETRY_MS;
  c->log = o->log;
  c->log_user = o->log_user;
  c->rng = (unsigned int)time(NULL) ^ (unsigned int)(size_t)c;
  *err = HENGE_OK;
  return c;
}

void henge_free(henge_client* c) {
  if (c == NULL) return;
  free(c->server);
  memset(c->auth_header, 0, sizeof c->auth_header); /* a secret */
  free(c->token_file);
  free(c->retry_text);
  free(c->ca_file);
  free(c->user_agent);
  free(c);
  curl_global_cleanup(); /* paired with henge_new's curl_global_init */
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

/* Sockets are not inherited by the commands a device runs: a daemon started by a hook
 * must not keep the stream open after this process is gone. */
static int close_on_exec(void* clientp, curl_socket_t fd, curlsocktype purpose) {
  const int flags = fcntl(fd, F_GETFD);
  (void)clientp, (void)purpose;
  if (flags >= 0) fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
  return CURL_SOCKOPT_OK;
}

/* Keeps Retry-After (seconds, the form henged sends) of the answer. */
static size_t on_header(char* line, size_t size, size_t nmemb, void* userp) {
  henge_client* c = (henge_client*)userp;
  const size_t n = size * nmemb;
  if (n > 12 && strncasecmp_ascii(line, "retry-after:", 12) == 0) {
    unsigned long seconds = 0;
    size_t i = 12;
    while (i < n && line[i] == ' ') ++i;
    for (; i < n && line[i] >= '0' && line[i] <= '9' && seconds < 86400; ++i)
      seconds = seconds * 10 + (unsigned long)(line[i] - '0');
    c->retry_after_ms = (seconds > 86400 ? 86400 : seconds) * 1000;
  }
  return n;
}

/* A curl handle set up for one call to path. */
static CURL* new_call(henge_client* c, const char* path, struct curl_slist** headers, const char* extra) {
  CURL* curl = curl_easy_init();
  char url[2048];
  if (curl == NULL) return NULL;
  snprintf(url, sizeof url, "%s%s", c->server, path);
  c->retry_after_ms = 0;
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
  curl_easy_setopt(curl, CURLOPT_SOCKOPTFUNCTION, close_on_exec);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, c);
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
  CURL* curl;
  if (load_token(c) != 0) return HENGE_ERR_AUTH;
  curl = new_call(c, path, &headers, "Content-Type: application/json");
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

static henge_err send_ack(henge_client* c, const ack_answer* a) {
  henge_err err = HENGE_ERR_NOMEM;
  cJSON* body = cJSON_CreateObject();
  char* text;
  if (body == NULL) return err;
  cJSON_AddNumberToObject(body, "revision", (double)a->revision);
  cJSON_AddStringToObject(body, "status", a->applied ? "applied" : "rejected");
  if (!a->applied) cJSON_AddStringToObject(body, "error", a->error);
  text = cJSON_PrintUnformatted(body);
  cJSON_Delete(body);
  if (text != NULL) {
    err = post_json(c, "/v1/device/ack", text);
    cJSON_free(text);
  }
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
  delay = henge_backoff_delay_ms(c->ack_failures++, c->backoff_base_ms, c->backoff_cap_ms, next_uniform(c));
  if (c->retry_after_ms > delay) delay = c->retry_after_ms < c->backoff_cap_ms ? c->retry_after_ms : c->backoff_cap_ms;
  c->ack_due = now_seconds() + (double)delay / 1000.0;
  say(c, HENGE_LOG_WARN, "cannot send the ack for revision %lld (%s); it is kept and sent again in %.1f s",
      c->given.revision, c->error, (double)delay / 1000.0);
  return err;
}

/* The length of the well-formed UTF-8 character (RFC 3629) at s, or 0. */
static size_t utf8_char(const unsigned char* s) {
  size_t n, i;
  unsigned long cp;
  if (s[0] < 0x80) return 1;
  if (s[0] >= 0xC2 && s[0] <= 0xDF) {
    n = 2, cp = s[0] & 0x1Fu;
  } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
    n = 3, cp = s[0] & 0x0Fu;
  } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
    n = 4, cp = s[0] & 0x07u;
  } else {
    return 0;
  }
  for (i = 1; i < n; ++i) {
    if ((s[i] & 0xC0) != 0x80) return 0; /* also stops at the NUL */
    cp = (cp << 6) | (s[i] & 0x3Fu);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

/* Replaces each byte that is not part of a well-formed UTF-8 character with '?': an
 * error is a command's output, any bytes, and henged refuses a body that is not UTF-8
 * (a refused ack would never be recorded). */
static void utf8_clean(char* text) {
  unsigned char* s = (unsigned char*)text;
  while (*s != '\0') {
    const size_t n = utf8_char(s);
    if (n == 0) {
      *s++ = '?';
    } else {
      s += n;
    }
  }
}

/* Records the answer for a revision and sends it. */
static void answer_with(henge_client* c, long long revision, int applied, const char* error) {
  c->given.revision = revision;
  c->given.applied = applied;
  snprintf(c->given.error, sizeof c->given.error, "%s", applied ? "" : error);
  utf8_clean(c->given.error);
  c->ack_pending = 1;
  c->ack_failures = 0;
  (void)flush_ack(c);
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
  delay = henge_backoff_delay_ms(c->retry_failures++, c->backoff_base_ms, c->backoff_cap_ms, next_uniform(c));
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
  henge_document doc;
  char why[HENGE_MAX_ACK_ERROR];
  char problem[256];
  int rc;
  const int retrying = c->retry_text != NULL && c->retry_len == len && memcmp(c->retry_text, text, len) == 0;
  const int due = retrying && now_seconds() >= c->retry_due;
  if (henge_document_parse(text, len, &doc, problem, sizeof problem) != 0) {
    snprintf(c->error, sizeof c->error, "%s", problem);
    say(c, HENGE_LOG_ERROR, "received a config document that does not check out (%s); asking for it again", problem);
    return HENGE_ERR_PROTOCOL;
  }
  if (doc.config_len > c->max_config) {
    reject_oversized(c, doc.revision, doc.config_len);
    henge_document_free(&doc);
    return HENGE_OK;
  }
  if ((!retrying &&
       (doc.revision == c->given.revision || (c->given.revision == 0 && doc.revision == c->last_revision))) ||
      (retrying && !due && doc.revision == c->given.revision)) {
    /* henged sends a config again until it has recorded an answer: the same answer goes
     * back, and nothing runs (a retry waits for its time). */
    say(c, HENGE_LOG_INFO, "revision %lld already answered; acknowledging it again", doc.revision);
    if (c->given.revision != doc.revision) {
      c->given.revision = doc.revision;
      c->given.applied = 1;
      c->given.error[0] = '\0';
    }
    c->ack_pending = 1;
    c->ack_failures = 0;
    (void)flush_ack(c);
    henge_document_free(&doc);
    return HENGE_OK;
  }
  why[0] = '\0';
  rc = fn(user, doc.revision, doc.config, doc.config_len, why, sizeof why);
  if (rc != HENGE_APPLIED && c->stop) {
    /* Stopped part-way: not applied, not answered; the next start gets it again. */
    henge_document_free(&doc);
    return HENGE_ERR_STOPPED;
  }
  if (rc == HENGE_RETRY) {
    keep_for_retry(c, text, len);
  } else {
    forget_retry(c);
  }
  if (rc == HENGE_APPLIED) c->last_revision = doc.revision;
  answer_with(c, doc.revision, rc == HENGE_APPLIED, why[0] != '\0' ? why : "rejected by the device");
  henge_document_free(&doc);
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

static int on_event(void* user, const char* type, const char* data, size_t len, const char* id) {
  stream_state* s = (stream_state*)user;
  if (strcmp(type, "config") == 0) {
    if (data == NULL) {
      reject_oversized(s->client, parse_revision(id), len);
    } else if (deliver(s->client, data, len, s->fn, s->user) == HENGE_ERR_PROTOCOL) {
      s->bad_document = 1;
      return 1; /* drop the stream; the next one brings the config again */
    }
  } else if (strcmp(type, "goaway") == 0 && data != NULL) {
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
  if (!s->connected) {
    s->connected = 1;
    s->client->last_issue[0] = '\0';
    say(s->client, HENGE_LOG_INFO, "stream connected (Last-Event-ID %lld)", s->client->last_revision);
    s->client->ack_due = 0; /* a kept ack goes at once on a new connection */
  }
  rc = henge_sse_feed(&s->parser, data, n, on_event, s);
  if (s->parser.retry_ms >= 0) s->client->retry_ms = (unsigned long)s->parser.retry_ms;
  if (rc < 0) s->no_memory = 1;
  if (rc == 0 && !s->client->stop) due_work(s->client, s->fn, s->user);
  s->last_data = now_seconds(); /* time in callbacks (a long command) is not the server's silence */
  return rc == 0 ? n : 0;       /* anything else aborts the transfer */
}

static int stream_progress(void* clientp, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un) {
  stream_state* s = (stream_state*)clientp;
  (void)dt, (void)dn, (void)ut, (void)un;
  if (s->client->stop) return 1;
  if (s->connected) {
    /* The time the work took is not the server's silence; the silence before it is. */
    const double before = now_seconds();
    if (due_work(s->client, s->fn, s->user)) s->last_data += now_seconds() - before;
  }
  if (s->client->stop) return 1;
  if (now_seconds() - s->last_data > HENGE_KEEPALIVE_MULTIPLE * (double)s->client->keepalive_ms / 1000.0) {
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
  if (load_token(c) != 0) {
    s->no_token = 1;
    return HENGE_ERR_AUTH;
  }
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
  henge_sse_init(&s->parser, c->max_config + HENGE_EVENT_OVERHEAD);
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
  } else if (s->bad_document) {
    result = HENGE_ERR_PROTOCOL; /* the error says what did not check out */
  } else if (s->no_memory) {
    set_error(c, "out of memory reading the stream");
    result = HENGE_ERR_NOMEM;
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
  if (strcmp(s->goaway, HENGE_GOAWAY_DELETED) == 0 || strcmp(s->goaway, HENGE_GOAWAY_TOKEN_ROTATED) == 0 ||
      strcmp(s->goaway, HENGE_GOAWAY_REPLACED) == 0) {
    say(c, HENGE_LOG_ERROR, "the server ended the stream (goaway %s)%s; trying again in %.1f s", s->goaway,
        strcmp(s->goaway, HENGE_GOAWAY_REPLACED) == 0 ? ": is a second client using this token?" : "", cap_s);
    return c->backoff_cap_ms;
  }
  if (strcmp(s->goaway, HENGE_GOAWAY_SHUTDOWN) == 0 || strcmp(s->goaway, HENGE_GOAWAY_OVERFLOW) == 0) {
    delay =
        (unsigned long)(next_uniform(c) * (double)(c->retry_ms < c->backoff_cap_ms ? c->retry_ms : c->backoff_cap_ms));
    say(c, HENGE_LOG_INFO, "the server asked to reconnect (goaway %s); reconnecting in %.1f s", s->goaway,
        (double)delay / 1000.0);
    return delay;
  }
  delay = henge_backoff_delay_ms((*failures)++, c->backoff_base_ms, c->backoff_cap_ms, next_uniform(c));
  if (err == HENGE_ERR_HTTP && (s->status == 429 || s->status == 503) && c->retry_after_ms > delay) {
    delay = c->retry_after_ms < c->backoff_cap_ms ? c->retry_after_ms : c->backoff_cap_ms;
  }
  if (err == HENGE_ERR_HTTP) {
    snprintf(line, sizeof line, "the server answered the stream with %s; retrying", c->error);
  } else if (err == HENGE_ERR_NETWORK && !s->connected) {
    snprintf(line, sizeof line, "cannot reach the server: %s; retrying", c->error);
  } else if (err == HENGE_ERR_PROTOCOL) {
    return delay; /* logged where it was found */
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
  struct curl_slist* headers = NULL;
  char if_none_match[64];
  henge_buf body;
  long status = 0;
  CURLcode rc;
  henge_err result;
  CURL* curl;
  if (c == NULL || fn == NULL) return HENGE_ERR_INVALID;
  if (load_token(c) != 0) return HENGE_ERR_AUTH;
  (void)flush_ack(c); /* one kept from the last wake-up */
  snprintf(if_none_match, sizeof if_none_match, "If-None-Match: \"%lld\"", c->last_revision);
  curl = new_call(c, "/v1/device/config", &headers, c->last_revision > 0 ? if_none_match : NULL);
  if (curl == NULL || headers == NULL) {
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return HENGE_ERR_NOMEM;
  }
  henge_buf_init(&body, c->max_config + HENGE_EVENT_OVERHEAD);
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
