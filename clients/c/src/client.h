/* What a libhenge client holds, shared by client.c (options, token, calls, reports) and
 * run.c (the protocol: libhenge-core's engine driven over net.h). Internal. */
#ifndef HL_CLIENT_H
#define HL_CLIENT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "hc_client.h"
#include "henge.h"
#include "net.h"
#include "protocol.h"
#include "url.h"

#define HL_CALL_TIMEOUT_MS 10000
#define HL_MAX_TOKEN HENGE_MAX_TOKEN_BYTES
#define HL_READ_CHUNK 4096
#define HL_REQUEST_BYTES (2 * (64 + 6 * HENGE_MAX_ACK_ERROR)) /* an ack: head and body, halves */

struct henge_client {
  hl_url url;
  hl_tls tls;
  char token[HL_MAX_TOKEN + 1]; /* the engine sends it from here: a reload is seen at once */
  char* token_file;             /* NULL: the token given in the options */
  char* ca_file;
  char* user_agent;
  size_t max_config;
  volatile sig_atomic_t stop;
  char error[512];
  henge_log_fn log;
  void* log_user;
  char last_issue[1024]; /* the connection problem logged last, not logged again */

  hc_client engine; /* the protocol's state: kept answers, retries, timers */
  char* doc;        /* the engine's document buffer (max_config + HENGE_EVENT_OVERHEAD) */
  char* request;    /* a request's bytes: an ack's head and body fit (HL_REQUEST_BYTES) */
  hl_conn stream;
  int stream_open;
  char in[HL_READ_CHUNK]; /* read from the stream; in[in_off..in_len) not fed yet */
  size_t in_off, in_len;
  char stream_error[256];  /* how the stream's connection failed (an ack's failure is c->error) */
  int said_live;           /* "stream connected" logged for this stream */
  uint64_t said_rejection; /* the revision whose rejection was logged last */
};

/* The monotonic clock in milliseconds. */
uint64_t hl_now_ms(void);
void hl_set_error(henge_client* c, const char* message);
void hl_say(henge_client* c, henge_level level, const char* format, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* A connection problem: logged when it differs from the last one. */
void hl_issue(henge_client* c, henge_level level, const char* text);
/* Reads the token file again (a rotation replaces it); 0, or -1 with the error set. */
int hl_load_token(henge_client* c);
/* The error for an answer with status: "HTTP <status>", and the problem detail of its
 * body (len bytes, NULL for none) when it has one. */
void hl_error_from_answer(henge_client* c, unsigned status, const char* body, size_t len);
/* Sleeps up to ms, waking early when stopped. */
void hl_pause_ms(henge_client* c, unsigned long ms);

#endif
