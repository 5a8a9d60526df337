/* The engine (hc_client) driven by one blocking loop: ask what to do next, do it with
 * esp-tls, report back. Waits are select() on the stream's socket, a second at most, so
 * a stop is noticed. */
#include "henge_esp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>

#include "esp_crt_bundle.h"
#include "esp_log.h"
#include "esp_random.h"
#include "esp_timer.h"
#include "esp_tls.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"

#define TIMEOUT_MS 10000   /* to connect, and for an ack's whole call */
#define READ_BYTES 1024    /* what one read takes from the stream */
#define REQUEST_BYTES 1024 /* a request head and an ack's body */

static const char* TAG = "henge";

typedef struct henge_esp {
  henge_esp_config cfg;
  hc_client engine;
  char host_header[300];
  char* doc;
  esp_tls_t* stream;
  char in[READ_BYTES]; /* read from the stream, fed from in[off] to in[len] */
  size_t off, len;
  char request[REQUEST_BYTES];
  char why[HC_CLIENT_ERROR_BYTES];
} henge_esp;

/* One device, one task. stop() only raises a flag: it never reaches the task's memory,
 * which the task frees itself as it ends. */
static volatile bool g_running;
static volatile bool g_stop;

static uint64_t now_ms(void) {
  return (uint64_t)(esp_timer_get_time() / 1000);
}

/* A connection to henged (TLS or plain); NULL when it cannot be made. */
static esp_tls_t* connect_to(henge_esp* h) {
  esp_tls_cfg_t cfg;
  esp_tls_t* tls = esp_tls_init();
  if (tls == NULL) return NULL;
  memset(&cfg, 0, sizeof cfg);
  cfg.timeout_ms = TIMEOUT_MS;
  cfg.is_plain_tcp = !h->cfg.tls;
  if (h->cfg.tls && h->cfg.ca_pem != NULL) {
    cfg.cacert_buf = (const unsigned char*)h->cfg.ca_pem;
    cfg.cacert_bytes = (unsigned)strlen(h->cfg.ca_pem) + 1; /* PEM: the NUL counts */
  } else if (h->cfg.tls) {
    cfg.crt_bundle_attach = esp_crt_bundle_attach;
  }
  if (esp_tls_conn_new_sync(h->cfg.host, (int)strlen(h->cfg.host), h->cfg.port, &cfg, tls) != 1) {
    ESP_LOGW(TAG, "cannot reach %s:%u", h->cfg.host, (unsigned)h->cfg.port);
    esp_tls_conn_destroy(tls);
    return NULL;
  }
  return tls;
}

static bool write_all(esp_tls_t* tls, const char* bytes, size_t n) {
  const uint64_t deadline = now_ms() + TIMEOUT_MS;
  while (n > 0) {
    const ssize_t w = esp_tls_conn_write(tls, bytes, n);
    if ((w == ESP_TLS_ERR_SSL_WANT_READ || w == ESP_TLS_ERR_SSL_WANT_WRITE) && now_ms() < deadline && !g_stop) {
      vTaskDelay(1);
      continue;
    }
    if (w <= 0) return false;
    bytes += w;
    n -= (size_t)w;
  }
  return true;
}

/* Waits up to ms for the connection to have bytes; true when it has. */
static bool readable(esp_tls_t* tls, uint32_t ms) {
  int fd = -1;
  fd_set set;
  struct timeval tv;
  if (esp_tls_get_bytes_avail(tls) > 0) return true;                      /* decrypted already */
  if (esp_tls_get_conn_sockfd(tls, &fd) != ESP_OK || fd < 0) return true; /* let the read say */
  FD_ZERO(&set);
  FD_SET(fd, &set);
  tv.tv_sec = ms / 1000;
  tv.tv_usec = (ms % 1000) * 1000;
  return select(fd + 1, &set, NULL, NULL, &tv) != 0;
}

static void close_stream(henge_esp* h) {
  hc_client_closed info;
  if (h->stream != NULL) esp_tls_conn_destroy(h->stream);
  h->stream = NULL;
  h->off = h->len = 0;
  hc_client_stream_closed(&h->engine, now_ms());
  hc_client_closed_info(&h->engine, &info);
  if (info.reason == HC_CLOSED_STATUS) {
    ESP_LOGW(TAG, "the server answered the stream with %u; again in %lu ms", info.status, (unsigned long)info.delay_ms);
  } else if (info.reason == HC_CLOSED_GOAWAY) {
    ESP_LOGI(TAG, "goaway %s; again in %lu ms", hc_goaway_name(info.goaway), (unsigned long)info.delay_ms);
  } else if (info.reason == HC_CLOSED_BAD_DOCUMENT) {
    ESP_LOGW(TAG, "a config document did not check out (%s); asking again", hc_doc_strerror(info.doc_err));
  } else if (info.reason != HC_CLOSED_RETRY) {
    ESP_LOGW(TAG, "the stream ended; again in %lu ms", (unsigned long)info.delay_ms);
  }
}

static void open_stream(henge_esp* h) {
  const size_t n = hc_client_stream_request(&h->engine, h->request, sizeof h->request);
  h->stream = n > 0 ? connect_to(h) : NULL;
  if (h->stream == NULL || !write_all(h->stream, h->request, n)) {
    close_stream(h); /* a connection that could not be made: backoff */
    return;
  }
  h->off = h->len = 0;
  hc_client_stream_opened(&h->engine, now_ms());
  ESP_LOGI(TAG, "stream open (last revision %llu)", (unsigned long long)hc_client_last_revision(&h->engine));
}

/* Feeds what is unread; reads more first when nothing is (waiting until at at most). */
static void read_stream(henge_esp* h, uint64_t at, uint64_t now) {
  uint64_t wait = at > now ? at - now : 0;
  if (h->off == h->len) {
    ssize_t got;
    if (!readable(h->stream, (uint32_t)(wait < 1000 ? wait : 1000))) return;
    got = esp_tls_conn_read(h->stream, h->in, sizeof h->in);
    if (got == ESP_TLS_ERR_SSL_WANT_READ || got == ESP_TLS_ERR_SSL_WANT_WRITE) return;
    if (got <= 0) {
      close_stream(h); /* henged closed it, or it failed */
      return;
    }
    h->off = 0;
    h->len = (size_t)got;
  }
  /* The engine stops at a config to apply or a stream to close; the rest waits. */
  h->off += hc_client_stream_feed(&h->engine, h->in + h->off, h->len - h->off, now_ms());
}

static void apply(henge_esp* h) {
  const char* config;
  size_t len;
  const uint64_t revision = hc_client_config(&h->engine, &config, &len);
  hc_client_answer_kind kind;
  h->why[0] = '\0';
  kind = h->cfg.apply(h->cfg.user, revision, config, len, h->why, sizeof h->why);
  h->why[sizeof h->why - 1] = '\0';
  ESP_LOGI(TAG, "revision %llu %s%s%s", (unsigned long long)revision,
           kind == HC_APPLIED ? "applied"
           : kind == HC_RETRY ? "to try again"
                              : "rejected",
           h->why[0] ? ": " : "", h->why);
  hc_client_answer(&h->engine, kind, h->why, strlen(h->why), now_ms());
}

/* Sends the kept answer on a connection of its own and reads henged's reply. */
static void send_ack(henge_esp* h) {
  const size_t n = hc_client_ack_request(&h->engine, h->request, sizeof h->request);
  const uint64_t deadline = now_ms() + TIMEOUT_MS;
  esp_tls_t* call;
  if (n == 0) return; /* does not fit: the engine waits before asking again */
  call = connect_to(h);
  if (call != NULL && write_all(call, h->request, n)) {
    char reply[256];
    while (!hc_client_call_done(&h->engine) && now_ms() < deadline && !g_stop) {
      ssize_t got;
      if (!readable(call, 1000)) continue;
      got = esp_tls_conn_read(call, reply, sizeof reply);
      if (got == ESP_TLS_ERR_SSL_WANT_READ || got == ESP_TLS_ERR_SSL_WANT_WRITE) continue;
      if (got <= 0) break;
      hc_client_call_feed(&h->engine, reply, (size_t)got);
    }
  }
  if (call != NULL) esp_tls_conn_destroy(call);
  hc_client_call_end(&h->engine, now_ms()); /* an answer not recorded is kept, and sent again */
}

static void run(void* arg) {
  henge_esp* h = (henge_esp*)arg;
  while (!g_stop) {
    uint64_t at, now;
    /* Bytes that came while an ack's call or the apply took their time are the
     * server's, not silence: fed (what is left, or what is there now) before the engine
     * judges the stream. */
    if (h->stream != NULL) read_stream(h, 0, 0);
    if (g_stop) break;
    now = now_ms();
    switch (hc_client_next(&h->engine, now, &at)) {
      case HC_DO_CONNECT:
        open_stream(h);
        break;
      case HC_DO_APPLY:
        apply(h);
        break;
      case HC_DO_ACK:
        send_ack(h);
        break;
      case HC_DO_CLOSE:
        close_stream(h);
        break;
      case HC_DO_WAIT:
        if (h->stream != NULL) {
          read_stream(h, at, now);
        } else {
          const uint64_t wait = at > now ? at - now : 0;
          vTaskDelay(pdMS_TO_TICKS(wait < 1000 ? wait : 1000) + 1);
        }
        break;
    }
  }
  if (h->stream != NULL) esp_tls_conn_destroy(h->stream);
  free(h->doc);
  free(h);
  g_running = false;
  vTaskDelete(NULL);
}

esp_err_t henge_esp_start(const henge_esp_config* cfg) {
  henge_esp* h;
  hc_client_settings s;
  const size_t cap = cfg != NULL ? cfg->max_config + HC_EVENT_OVERHEAD : 0;
  if (cfg == NULL || cfg->host == NULL || cfg->token == NULL || cfg->apply == NULL || cfg->port == 0 ||
      cfg->max_config == 0) {
    return ESP_ERR_INVALID_ARG;
  }
  if (g_running) return ESP_ERR_INVALID_STATE;
  h = (henge_esp*)calloc(1, sizeof *h);
  if (h == NULL) return ESP_ERR_NO_MEM;
  h->doc = (char*)malloc(cap);
  if (h->doc == NULL) {
    free(h);
    return ESP_ERR_NO_MEM;
  }
  h->cfg = *cfg;
  /* The Host header names the port unless it is the scheme's own. */
  if ((cfg->tls && cfg->port == 443) || (!cfg->tls && cfg->port == 80)) {
    snprintf(h->host_header, sizeof h->host_header, "%s", cfg->host);
  } else {
    snprintf(h->host_header, sizeof h->host_header, "%s:%u", cfg->host, (unsigned)cfg->port);
  }
  memset(&s, 0, sizeof s);
  s.host = h->host_header;
  s.prefix = cfg->prefix;
  s.token = cfg->token;
  s.user_agent = "henge-esp32";
  s.last_revision = cfg->last_revision;
  s.keepalive_ms = cfg->keepalive_ms;
  s.max_config = cfg->max_config;
  s.seed = esp_random();
  hc_client_init(&h->engine, &s, h->doc, cap);
  g_stop = false;
  g_running = true;
  if (xTaskCreate(run, "henge", cfg->task_stack, h, cfg->task_priority, NULL) != pdPASS) {
    g_running = false;
    free(h->doc);
    free(h);
    return ESP_ERR_NO_MEM;
  }
  return ESP_OK;
}

void henge_esp_stop(void) {
  g_stop = true;
}
