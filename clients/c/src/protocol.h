/* The device protocol's constants (docs/protocol.md), named once for libhenge; henge's
 * C++ clients name the same ones in src/client/protocol.hpp. */
#ifndef HENGE_PROTOCOL_H
#define HENGE_PROTOCOL_H

/* goaway reasons */
#define HENGE_GOAWAY_REPLACED "replaced" /* another stream took over: do not come back soon */
#define HENGE_GOAWAY_DELETED "deleted"
#define HENGE_GOAWAY_TOKEN_ROTATED "token_rotated"
#define HENGE_GOAWAY_SHUTDOWN "shutdown" /* reconnect within random(0, retry) */
#define HENGE_GOAWAY_OVERFLOW "overflow" /* reconnect with Last-Event-ID */

#define HENGE_DEFAULT_RETRY_MS 2000UL      /* until the stream's retry: says otherwise */
#define HENGE_DEFAULT_KEEPALIVE_MS 15000UL /* henged's default keepalive interval */
#define HENGE_KEEPALIVE_MULTIPLE 3         /* that many intervals of silence: a dead stream */

/* Reconnect backoff: random(0, min(cap, base * 2^n)); n resets after a connection
 * stayed up HENGE_HEALTHY_CONNECTION_S. */
#define HENGE_BACKOFF_BASE_MS 500UL
#define HENGE_BACKOFF_CAP_MS 60000UL
#define HENGE_HEALTHY_CONNECTION_S 30.0

#define HENGE_MAX_ACK_ERROR 4096  /* what henged keeps of a rejection's error */
#define HENGE_EVENT_OVERHEAD 4096 /* a config's document and event framing */

#endif
