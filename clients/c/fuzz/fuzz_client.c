/* libFuzzer target: the protocol engine driven by any bytes. The input is a script:
 * each step's first byte says what happens (stream bytes arrive, time passes, the board
 * answers, an ack's answer arrives, a connection drops), and the rest of the step is
 * the bytes (or a poll is made, answered with them). Whatever the script, the engine must not crash, must never ask for
 * something it cannot want (a config to apply when it has none, a wait into the past),
 * and must keep its requests within their buffers. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hc_client.h"
#include "hc_protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static hc_client c;
  static char doc[256];
  char request[384];
  hc_client_settings s;
  uint64_t now = 1000;
  size_t at = 0;
  int open = 0;
  memset(&s, 0, sizeof s);
  s.host = "h";
  s.token = "t";
  s.last_revision = 3;
  s.keepalive_ms = 1000;
  s.seed = 1;
  hc_client_init(&c, &s, doc, sizeof doc);
  while (at < size) {
    const uint8_t op = data[at++];
    size_t len = at < size ? data[at++] % 64 : 0;
    uint64_t until = 0;
    const hc_client_do what = hc_client_next(&c, now, &until);
    if (len > size - at) len = size - at;
    if (what == HC_DO_WAIT && until <= now) abort(); /* a wait that is already over */
    switch (what) {
      case HC_DO_CONNECT:
        if (hc_client_stream_request(&c, request, sizeof request) == 0) abort();
        hc_client_stream_opened(&c, now);
        open = 1;
        break;
      case HC_DO_APPLY: {
        const char* config;
        size_t n;
        const uint64_t revision = hc_client_config(&c, &config, &n);
        if (revision == 0 || config < doc || config + n > doc + sizeof doc) abort();
        hc_client_answer(&c, (hc_client_answer_kind)(op % 3), (const char*)data + at, len, now);
        break;
      }
      case HC_DO_ACK: {
        const char* reason;
        size_t reason_len;
        int applied;
        const uint64_t kept = hc_client_kept_answer(&c, &applied, &reason, &reason_len);
        const size_t n = hc_client_ack_request(&c, request, sizeof request);
        if (kept == 0 || reason_len > HC_CLIENT_ERROR_BYTES || (applied && reason_len != 0)) abort();
        if (n == 0 || n > sizeof request) abort();
        hc_client_call_feed(&c, (const char*)data + at, len);
        (void)hc_client_call_done(&c); /* a driver may close once it is */
        hc_client_call_end(&c, now);
        if (hc_client_call_done(&c)) abort(); /* no call is under way */
        break;
      }
      case HC_DO_CLOSE: {
        hc_client_closed info;
        hc_client_stream_closed(&c, now);
        hc_client_closed_info(&c, &info);
        if ((unsigned)info.reason > HC_CLOSED_RETRY || info.delay_ms > HC_BACKOFF_CAP_MS) abort();
        if (op & 8) hc_client_set_token(&c, (op & 16) ? "rotated" : "t");
        open = 0;
        break;
      }
      case HC_DO_WAIT:
        if ((op & 7) == 4 && !open) {
          /* A wake that polls instead of holding the stream. */
          if (hc_client_poll_request(&c, request, sizeof request) == 0) abort();
          hc_client_poll_feed(&c, (const char*)data + at, len);
          if ((unsigned)hc_client_poll_end(&c, now) > HC_POLL_BAD_DOCUMENT) abort();
        } else if (op & 1 && open) {
          size_t fed = 0;
          while (fed < len) {
            const size_t took = hc_client_stream_feed(&c, (const char*)data + at + fed, len - fed, now);
            if (took > len - fed) abort();
            if (took < len - fed) break; /* a config to apply, or the stream to close */
            fed += took;
          }
        } else if (op & 2 && open) {
          hc_client_stream_closed(&c, now); /* the connection dropped */
          open = 0;
        } else {
          now = until != UINT64_MAX && until - now < 100000 ? until : now + op * 97u; /* time passes */
        }
        break;
    }
    at += len;
  }
  return 0;
}
