/* The device protocol's constants (docs/protocol.md) as libhenge names them: the
 * numbers are libhenge-core's (core/hc_protocol.h), named once for every C client. */
#ifndef HENGE_PROTOCOL_H
#define HENGE_PROTOCOL_H

#include "hc_protocol.h"

#define HENGE_DEFAULT_RETRY_MS ((unsigned long)HC_DEFAULT_RETRY_MS)
#define HENGE_DEFAULT_KEEPALIVE_MS ((unsigned long)HC_DEFAULT_KEEPALIVE_MS)
#define HENGE_KEEPALIVE_MULTIPLE HC_KEEPALIVE_MULTIPLE
#define HENGE_BACKOFF_BASE_MS ((unsigned long)HC_BACKOFF_BASE_MS)
#define HENGE_BACKOFF_CAP_MS ((unsigned long)HC_BACKOFF_CAP_MS)
#define HENGE_HEALTHY_CONNECTION_S (HC_HEALTHY_CONNECTION_MS / 1000.0)
#define HENGE_MAX_ACK_ERROR HC_MAX_ACK_ERROR
#define HENGE_EVENT_OVERHEAD HC_EVENT_OVERHEAD

#endif
