/* henge on an ESP32 (ESP-IDF v5): one task holds the device's stream, applies each
 * config through the board's function and sends every answer, on libhenge-core's
 * engine (hc_client.h) over esp-tls.
 *
 *   henge_esp_config cfg = HENGE_ESP_CONFIG_DEFAULT();
 *   cfg.host = "henge.example.net"; cfg.port = 443; cfg.tls = true;
 *   cfg.token = "hdt_…"; cfg.apply = my_apply;
 *   henge_esp_start(&cfg);
 *
 * The apply function runs in henge's task: it may take its time (the stream's silence
 * clock does not count it), and it should persist the revision it applied before it
 * returns (NVS), to give it as last_revision at the next boot. */
#ifndef HENGE_ESP_H
#define HENGE_ESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "esp_err.h"
#include "hc_client.h"

/* Applies a config: its revision and its JSON bytes (len of them, not NUL-terminated:
 * read them with hc_json_pointer). Returns HC_APPLIED, HC_REJECTED (why says why,
 * NUL-terminated) or HC_RETRY (a passing failure: tried again with backoff). */
typedef hc_client_answer_kind (*henge_esp_apply_fn)(void* user, uint64_t revision, const char* config, size_t len,
                                                    char* why, size_t why_cap);

typedef struct henge_esp_config {
  const char* host;       /* henged's name or address */
  uint16_t port;          /* 443, 80, or henged's own */
  bool tls;               /* https: verified against ca_pem, or the certificate bundle */
  const char* ca_pem;     /* NUL-terminated PEM; NULL: ESP-IDF's certificate bundle */
  const char* prefix;     /* a path the API sits under; NULL: none */
  const char* token;      /* the device token */
  uint64_t last_revision; /* the revision applied last, as kept across boots; 0: none */
  size_t max_config;      /* the largest config taken (over it: rejected naming the limit) */
  uint32_t keepalive_ms;  /* 0: henged's default */
  uint32_t task_stack;    /* bytes of the task's stack (TLS needs some) */
  unsigned task_priority;
  henge_esp_apply_fn apply; /* required */
  void* user;               /* given to apply */
} henge_esp_config;

#define HENGE_ESP_CONFIG_DEFAULT() \
  { .port = 443, .tls = true, .max_config = 8192, .task_stack = 8192, .task_priority = 5 }

/* Starts henge's task; the config's strings must outlive it. Returns ESP_OK,
 * ESP_ERR_INVALID_ARG (a required field missing), ESP_ERR_INVALID_STATE (running
 * already) or ESP_ERR_NO_MEM. */
esp_err_t henge_esp_start(const henge_esp_config* config);

/* Asks the task to stop: it closes its connections and ends once what it is doing
 * returns (a wait ends within a second; a connection being made, within esp-tls's 10 s
 * timeout). Until then henge_esp_start returns ESP_ERR_INVALID_STATE. */
void henge_esp_stop(void);

#endif
