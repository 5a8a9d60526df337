/* henge over lwIP's callback API (altcp: plain TCP, or TLS with LWIP_ALTCP_TLS), for
 * boards whose network stack is lwIP without sockets: the Raspberry Pi Pico W, and any
 * NO_SYS build. It holds the device's stream, applies each config through the board's
 * function and sends every answer, on libhenge-core's engine (hc_client.h).
 *
 * Every function here, and every callback it makes, runs in lwIP's context (NO_SYS's
 * main loop, or the tcpip thread: with cyw43_arch_lwip_begin/end on a Pico W in its
 * threadsafe mode). Nothing is allocated: the board hands in struct henge_lwip and the
 * document buffer, which bounds the config (HENGE_LWIP_DOC_BYTES(max_config)). */
#ifndef HENGE_LWIP_H
#define HENGE_LWIP_H

#include <stddef.h>
#include <stdint.h>

#include "hc_client.h"
#include "hc_protocol.h"
#include "lwip/altcp.h"
#include "lwip/ip_addr.h"

/* The document buffer for configs up to max_config bytes. */
#define HENGE_LWIP_DOC_BYTES(max_config) ((max_config) + HC_EVENT_OVERHEAD)

#ifndef HENGE_LWIP_REQUEST_BYTES
#define HENGE_LWIP_REQUEST_BYTES 768 /* a request head and an ack's body, for a short host and token */
#endif
#ifndef HENGE_LWIP_TIMEOUT_MS
#define HENGE_LWIP_TIMEOUT_MS 10000 /* to connect (and shake hands), and for an ack's whole call */
#endif

struct altcp_tls_config;

/* Applies a config: its revision and its JSON bytes (len of them, not NUL-terminated:
 * read them with hc_json_pointer). Returns HC_APPLIED, HC_REJECTED (a verdict: why says
 * why, NUL-terminated) or HC_RETRY (a passing failure: tried again with backoff). It
 * runs in lwIP's context: quick, no waiting. */
typedef hc_client_answer_kind (*henge_lwip_apply_fn)(void* user, uint64_t revision, const char* config, size_t len,
                                                     char* why, size_t why_cap);
/* A line for the board's log (NUL-terminated, without a newline). */
typedef void (*henge_lwip_log_fn)(void* user, const char* line);
/* The device token to use from now on (read again before every connection: a rotation
 * may have replaced it), or NULL when there is none yet (the stream waits). */
typedef const char* (*henge_lwip_token_fn)(void* user);

typedef struct henge_lwip_settings {
  hc_client_settings client;    /* the Host header, the token, the API prefix, timings */
  const char* server_name;      /* what to connect to: a name (LWIP_DNS) or an address */
  uint16_t port;                /* 80, 443, or henged's own */
  struct altcp_tls_config* tls; /* NULL: plain TCP; else TLS (LWIP_ALTCP_TLS), SNI server_name */
  henge_lwip_apply_fn apply;    /* required */
  henge_lwip_log_fn log;        /* NULL: no log */
  henge_lwip_token_fn token;    /* NULL: client.token, for good */
  void* user;                   /* given to the three above */
} henge_lwip_settings;

/* All a running client holds; its fields are private. */
typedef struct henge_lwip {
  hc_client engine;
  henge_lwip_settings s;
  ip_addr_t addr;
  struct altcp_pcb* stream; /* the stream's connection, while there is one */
  struct altcp_pcb* call;   /* an ack's connection, while there is one */
  uint64_t stream_deadline; /* connecting (and resolving) must be done by then */
  uint64_t call_deadline;   /* the ack's call must be done by then */
  uint64_t clock_high;      /* sys_now() wraps every 49.7 days: the wraps seen, shifted */
  uint32_t clock_last;
  struct altcp_pcb* in_callback; /* the connection whose callback runs */
  uint32_t stream_gen;           /* a new one for every stream connection */
  unsigned char stream_phase, call_phase, running, pumping, pump_again, have_addr, aborted_in_callback;
  char head[HENGE_LWIP_REQUEST_BYTES];    /* the stream's request (not on the stack: lwIP's may be small) */
  char request[HENGE_LWIP_REQUEST_BYTES]; /* the ack's request, until its connection is up */
  char line[200];                         /* a log line */
  char why[HC_CLIENT_ERROR_BYTES];        /* a rejection's reason */
} henge_lwip;

/* Starts holding the stream. doc (cap bytes, HENGE_LWIP_DOC_BYTES) stays the client's
 * until henge_lwip_stop; so do the settings' strings. Returns ERR_OK, or ERR_ARG when a
 * required setting is missing. */
err_t henge_lwip_start(henge_lwip* h, const henge_lwip_settings* settings, char* doc, size_t cap);

/* Stops: both connections closed at once, nothing sent (an answer not sent yet is
 * given again when henged resends its config to the next start). A name lookup under
 * way cannot be cancelled: h must stay where it is until it has answered (a board's
 * client is static anyway). */
void henge_lwip_stop(henge_lwip* h);

/* The revision applied last: what the board keeps across restarts
 * (settings.client.last_revision at the next start). */
uint64_t henge_lwip_last_revision(const henge_lwip* h);

#endif
