/* One connection to the server over POSIX sockets, plain or through mbedTLS (which is
 * linked statically: a Pi Zero pays for what it uses and nothing else). Every wait is
 * bounded and notices the client's stop flag within HL_NET_SLICE_MS, except name
 * resolution through getaddrinfo (resolve.h), which blocks as the system's resolver is
 * set to (resolv.conf's timeout and attempts). */
#ifndef HL_NET_H
#define HL_NET_H

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <signal.h>
#include <stddef.h>

#include "url.h"

#define HL_NET_SLICE_MS 100 /* how often a wait looks at the stop flag */

/* What every TLS connection of a client shares: the trusted CAs and the random source,
 * loaded at the first https connection (and again after a failure to load them). */
typedef struct hl_tls {
  int ready;
  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context drbg;
  mbedtls_x509_crt cas;
  mbedtls_ssl_config config;
} hl_tls;

void hl_tls_init(hl_tls* t);
void hl_tls_free(hl_tls* t);

typedef struct hl_conn {
  int fd; /* -1: closed */
  int tls;
  mbedtls_ssl_context ssl;
  const volatile sig_atomic_t* stop;
} hl_conn;

/* The outcome of a network operation. */
typedef enum hl_net_rc {
  HL_NET_OK = 0,
  HL_NET_ERROR = -1,   /* could not connect, or the connection broke: see err */
  HL_NET_TIMEOUT = -2, /* nothing within the time given */
  HL_NET_STOPPED = -3, /* the stop flag was raised */
  HL_NET_CLOSED = -4   /* the peer closed the connection */
} hl_net_rc;

/* Connects to url's host and port (each address it resolves to in turn, within
 * timeout_ms in all), then makes the TLS handshake for https, verifying the server's
 * certificate against ca_file (NULL: the system's store) and its name against the
 * URL's host. Returns HL_NET_OK, or an error with a message in err. */
hl_net_rc hl_conn_open(hl_conn* conn, const hl_url* url, hl_tls* tls, const char* ca_file, int timeout_ms,
                       const volatile sig_atomic_t* stop, char* err, size_t errlen);
/* Sends all n bytes within timeout_ms. */
hl_net_rc hl_conn_send(hl_conn* conn, const char* bytes, size_t n, int timeout_ms, char* err, size_t errlen);
/* Receives what is there (at most cap bytes), waiting at most wait_ms for it. Returns
 * the bytes received (> 0), or a hl_net_rc: TIMEOUT when none came, CLOSED at the
 * end of the stream. */
long hl_conn_recv(hl_conn* conn, char* buf, size_t cap, int wait_ms, char* err, size_t errlen);
/* Closes the connection (a TLS close notify first); a closed one is left alone. */
void hl_conn_close(hl_conn* conn);

#endif
