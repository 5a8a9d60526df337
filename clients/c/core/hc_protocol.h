/* The device protocol's constants (docs/protocol.md), named once for every C client:
 * libhenge (src/protocol.h) and the engine (hc_client.h) take them from here; henge's
 * C++ clients name the same ones in src/client/protocol.hpp. Integers only. */
#ifndef HC_PROTOCOL_H
#define HC_PROTOCOL_H

#define HC_DEFAULT_RETRY_MS 2000u      /* until the stream's retry: says otherwise */
#define HC_DEFAULT_KEEPALIVE_MS 15000u /* henged's default keepalive interval */
#define HC_KEEPALIVE_MULTIPLE 3u       /* that many intervals of silence: a dead stream */

/* Reconnect backoff: random(0, min(cap, base * 2^n)); n resets after a connection
 * stayed up HC_HEALTHY_CONNECTION_MS. */
#define HC_BACKOFF_BASE_MS 500u
#define HC_BACKOFF_CAP_MS 60000u
#define HC_HEALTHY_CONNECTION_MS 30000u

#define HC_MAX_ACK_ERROR 4096u  /* what henged keeps of a rejection's error */
#define HC_EVENT_OVERHEAD 4096u /* a config's document and event framing, beyond the config */

#endif
