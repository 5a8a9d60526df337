#include "net.h"

#include "resolve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SYSTEM_CA_FILE "/etc/ssl/certs/ca-certificates.crt" /* Debian's and Raspberry Pi OS's */

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until fd is ready for events, at most until deadline (polled at least once),
 * looking at the stop flag every slice. */
static hl_net_rc wait_until(int fd, short events, long long deadline, const volatile sig_atomic_t* stop) {
  for (;;) {
    struct pollfd p;
    const long long left = deadline - now_ms();
    int rc;
    if (stop != NULL && *stop) return HL_NET_STOPPED;
    p.fd = fd;
    p.events = events;
    p.revents = 0;
    rc = poll(&p, 1, left <= 0 ? 0 : (left > HL_NET_SLICE_MS ? HL_NET_SLICE_MS : (int)left));
    if (rc > 0) return HL_NET_OK; /* readable, writable, or an error the next call reports */
    if (rc < 0 && errno != EINTR) return HL_NET_ERROR;
    if (left <= 0) return HL_NET_TIMEOUT;
  }
}

static void tls_message(int rc, const char* what, char* err, size_t errlen) {
  char text[160];
  mbedtls_strerror(rc, text, sizeof text);
  snprintf(err, errlen, "%s: %s", what, text);
}

void hl_tls_init(hl_tls* t) {
  memset(t, 0, sizeof *t);
  mbedtls_entropy_init(&t->entropy);
  mbedtls_ctr_drbg_init(&t->drbg);
  mbedtls_x509_crt_init(&t->cas);
  mbedtls_ssl_config_init(&t->config);
}

void hl_tls_free(hl_tls* t) {
  mbedtls_ssl_config_free(&t->config);
  mbedtls_x509_crt_free(&t->cas);
  mbedtls_ctr_drbg_free(&t->drbg);
  mbedtls_entropy_free(&t->entropy);
  memset(t, 0, sizeof *t);
}

/* The random source, the CAs and the client's TLS settings, once. */
static int tls_load(hl_tls* t, const char* ca_file, char* err, size_t errlen) {
  const char* path = ca_file != NULL ? ca_file : SYSTEM_CA_FILE;
  int rc;
  if (t->ready) return 0;
  hl_tls_free(t);
  hl_tls_init(t);
  rc = mbedtls_ctr_drbg_seed(&t->drbg, mbedtls_entropy_func, &t->entropy, (const unsigned char*)"libhenge", 8);
  if (rc != 0) {
    tls_message(rc, "cannot seed the TLS random generator", err, errlen);
    return -1;
  }
  /* A bundle may hold certificates mbedTLS cannot read: the others are used. */
  rc = mbedtls_x509_crt_parse_file(&t->cas, path);
  if (rc < 0 || t->cas.version == 0) {
    char what[600];
    snprintf(what, sizeof what, "cannot read the CA certificates in %s", path);
    tls_message(rc < 0 ? rc : MBEDTLS_ERR_X509_INVALID_FORMAT, what, err, errlen);
    return -1;
  }
  rc = mbedtls_ssl_config_defaults(&t->config, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                   MBEDTLS_SSL_PRESET_DEFAULT);
  if (rc != 0) {
    tls_message(rc, "cannot set up TLS", err, errlen);
    return -1;
  }
  mbedtls_ssl_conf_authmode(&t->config, MBEDTLS_SSL_VERIFY_REQUIRED);
  mbedtls_ssl_conf_ca_chain(&t->config, &t->cas, NULL);
  mbedtls_ssl_conf_rng(&t->config, mbedtls_ctr_drbg_random, &t->drbg);
  /* TLS 1.2 and later only, as henged serves. */
  mbedtls_ssl_conf_min_version(&t->config, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
  t->ready = 1;
  return 0;
}

static int bio_send(void* ctx, const unsigned char* buf, size_t len) {
  const int fd = *(const int*)ctx;
  const ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
  if (n >= 0) return (int)n;
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return MBEDTLS_ERR_SSL_WANT_WRITE;
  return errno == EPIPE || errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET : MBEDTLS_ERR_NET_SEND_FAILED;
}

static int bio_recv(void* ctx, unsigned char* buf, size_t len) {
  const int fd = *(const int*)ctx;
  const ssize_t n = recv(fd, buf, len, 0);
  if (n >= 0) return (int)n;
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return MBEDTLS_ERR_SSL_WANT_READ;
  return errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET : MBEDTLS_ERR_NET_RECV_FAILED;
}

/* mbedTLS 2.28 matches a certificate's DNS names only: a server reached by its address
 * is matched here against the certificate's IP addresses. Returns 1 when one matches. */
static int matches_address(const mbedtls_x509_crt* cert, const char* host) {
  unsigned char want[16];
  size_t want_len;
  const mbedtls_x509_sequence* san;
  if (cert == NULL) return 0; /* an mbedTLS built without MBEDTLS_SSL_KEEP_PEER_CERTIFICATE */
  if (inet_pton(AF_INET, host, want) == 1) {
    want_len = 4;
  } else if (inet_pton(AF_INET6, host, want) == 1) {
    want_len = 16;
  } else {
    return 0;
  }
  for (san = &cert->subject_alt_names; san != NULL; san = san->next) {
    if (san->buf.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7) && san->buf.len == want_len &&
        memcmp(san->buf.p, want, want_len) == 0)
      return 1;
  }
  return 0;
}

static int is_address(const char* host) {
  unsigned char scratch[16];
  return inet_pton(AF_INET, host, scratch) == 1 || inet_pton(AF_INET6, host, scratch) == 1;
}

static hl_net_rc handshake(hl_conn* conn, const hl_url* url, hl_tls* tls, long long deadline, char* err,
                           size_t errlen) {
  const int by_address = is_address(url->host);
  int rc;
  mbedtls_ssl_init(&conn->ssl);
  conn->tls = 1;
  rc = mbedtls_ssl_setup(&conn->ssl, &tls->config);
  /* A name is sent (SNI) and checked by mbedTLS; an address is checked below. */
  if (rc == 0 && !by_address) rc = mbedtls_ssl_set_hostname(&conn->ssl, url->host);
  if (rc != 0) {
    tls_message(rc, "cannot set up TLS", err, errlen);
    return HL_NET_ERROR;
  }
  mbedtls_ssl_set_bio(&conn->ssl, &conn->fd, bio_send, bio_recv, NULL);
  while ((rc = mbedtls_ssl_handshake(&conn->ssl)) != 0) {
    hl_net_rc waited;
    if (rc != MBEDTLS_ERR_SSL_WANT_READ && rc != MBEDTLS_ERR_SSL_WANT_WRITE) {
      const uint32_t flags = mbedtls_ssl_get_verify_result(&conn->ssl);
      if (rc == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED && flags != 0 && flags != (uint32_t)-1) {
        char why[256];
        mbedtls_x509_crt_verify_info(why, sizeof why, "", flags);
        why[strcspn(why, "\n")] = '\0';
        snprintf(err, errlen, "the server's certificate is not trusted for %s: %s", url->host, why);
      } else {
        tls_message(rc, "TLS handshake failed", err, errlen);
      }
      return HL_NET_ERROR;
    }
    waited = wait_until(conn->fd, rc == MBEDTLS_ERR_SSL_WANT_READ ? POLLIN : POLLOUT, deadline, conn->stop);
    if (waited == HL_NET_TIMEOUT) snprintf(err, errlen, "TLS handshake with %s timed out", url->authority);
    if (waited == HL_NET_ERROR) snprintf(err, errlen, "TLS handshake: %s", strerror(errno));
    if (waited != HL_NET_OK) return waited;
  }
  if (by_address && !matches_address(mbedtls_ssl_get_peer_cert(&conn->ssl), url->host)) {
    snprintf(err, errlen, "the server's certificate is not trusted for %s: the address is not among its names",
             url->host);
    return HL_NET_ERROR;
  }
  return HL_NET_OK;
}

/* A TCP connection to one address, within the deadline. */
static hl_net_rc connect_one(hl_conn* conn, const hl_address* a, long long deadline, char* err, size_t errlen) {
  int fd = socket(a->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  int soerr = 0, one = 1;
  socklen_t soerr_len = sizeof soerr;
  hl_net_rc rc;
  if (fd < 0) {
    snprintf(err, errlen, "socket: %s", strerror(errno));
    return HL_NET_ERROR;
  }
  /* Sockets are not inherited by the commands a device runs (SOCK_CLOEXEC): a daemon
   * started by a hook must not keep the stream open after this process is gone. */
  if (connect(fd, (const struct sockaddr*)&a->addr, a->len) != 0) {
    if (errno != EINPROGRESS) {
      soerr = errno;
    } else {
      rc = wait_until(fd, POLLOUT, deadline, conn->stop);
      if (rc != HL_NET_OK) {
        if (rc == HL_NET_TIMEOUT) snprintf(err, errlen, "connecting timed out");
        if (rc == HL_NET_ERROR) snprintf(err, errlen, "%s", strerror(errno));
        close(fd);
        return rc;
      }
      if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &soerr_len) != 0) soerr = errno;
    }
  }
  if (soerr != 0) {
    snprintf(err, errlen, "%s", strerror(soerr));
    close(fd);
    return HL_NET_ERROR;
  }
  (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* a head and its body go at once */
  conn->fd = fd;
  return HL_NET_OK;
}

hl_net_rc hl_conn_open(hl_conn* conn, const hl_url* url, hl_tls* tls, const char* ca_file, int timeout_ms,
                       const volatile sig_atomic_t* stop, char* err, size_t errlen) {
  const long long deadline = now_ms() + timeout_ms;
  hl_address addresses[HL_MAX_ADDRESSES];
  char why[256] = "no address";
  hl_net_rc rc = HL_NET_ERROR;
  int count, i;
  memset(conn, 0, sizeof *conn);
  conn->fd = -1;
  conn->stop = stop;
  if (url->tls && tls_load(tls, ca_file, err, errlen) != 0) return HL_NET_ERROR;
  count = hl_resolve(url->host, url->port, addresses, err, errlen);
  if (count < 0) return HL_NET_ERROR;
  for (i = 0; i < count; ++i) {
    /* Each address gets its share of the time (2 s at least, when there is that much):
     * one that drops packets (a broken IPv6 route) must not use up the others'. */
    const long long left = deadline - now_ms();
    long long share = left / (count - i);
    if (share < 2000) share = left < 2000 ? left : 2000;
    rc = connect_one(conn, &addresses[i], now_ms() + share, why, sizeof why);
    if (rc == HL_NET_OK || rc == HL_NET_STOPPED) break;
  }
  if (rc != HL_NET_OK) {
    snprintf(err, errlen, "cannot connect to %s: %s", url->authority, why);
    return rc;
  }
  if (url->tls) {
    rc = handshake(conn, url, tls, deadline, err, errlen);
    if (rc != HL_NET_OK) hl_conn_close(conn);
  }
  return rc;
}

hl_net_rc hl_conn_send(hl_conn* conn, const char* bytes, size_t n, int timeout_ms, char* err, size_t errlen) {
  const long long deadline = now_ms() + timeout_ms;
  while (n > 0) {
    long sent;
    short direction = POLLOUT; /* what to wait for before trying again */
    if (conn->tls) {
      sent = mbedtls_ssl_write(&conn->ssl, (const unsigned char*)bytes, n);
      if (sent == MBEDTLS_ERR_SSL_WANT_READ) direction = POLLIN;
      if (sent == MBEDTLS_ERR_SSL_WANT_WRITE || sent == MBEDTLS_ERR_SSL_WANT_READ) sent = -EAGAIN;
    } else {
      sent = (long)send(conn->fd, bytes, n, MSG_NOSIGNAL);
      if (sent < 0) sent = (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? -EAGAIN : -errno;
    }
    if (sent > 0) {
      bytes += sent;
      n -= (size_t)sent;
    } else if (sent == -EAGAIN) {
      const hl_net_rc rc = wait_until(conn->fd, direction, deadline, conn->stop);
      if (rc == HL_NET_ERROR) snprintf(err, errlen, "sending failed: %s", strerror(errno));
      if (rc == HL_NET_TIMEOUT) snprintf(err, errlen, "sending timed out");
      if (rc != HL_NET_OK) return rc;
    } else {
      if (conn->tls) {
        tls_message((int)sent, "sending failed", err, errlen);
      } else {
        snprintf(err, errlen, "sending failed: %s", strerror((int)-sent));
      }
      return HL_NET_ERROR;
    }
  }
  return HL_NET_OK;
}

long hl_conn_recv(hl_conn* conn, char* buf, size_t cap, int wait_ms, char* err, size_t errlen) {
  const long long deadline = now_ms() + wait_ms;
  short direction = POLLIN; /* what to wait for: mbedTLS may need to write first */
  for (;;) {
    long got;
    hl_net_rc rc;
    /* TLS may hold bytes of a record already read: they need no wait. */
    if (!conn->tls || mbedtls_ssl_get_bytes_avail(&conn->ssl) == 0) {
      rc = wait_until(conn->fd, direction, deadline, conn->stop);
      if (rc == HL_NET_ERROR) snprintf(err, errlen, "receiving failed: %s", strerror(errno));
      if (rc != HL_NET_OK) return rc;
    }
    if (conn->tls) {
      got = mbedtls_ssl_read(&conn->ssl, (unsigned char*)buf, cap);
      if (got > 0) return got;
      if (got == 0 || got == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) return HL_NET_CLOSED;
      if (got == MBEDTLS_ERR_SSL_WANT_READ || got == MBEDTLS_ERR_SSL_WANT_WRITE) {
        if (now_ms() >= deadline) return HL_NET_TIMEOUT;
        direction = got == MBEDTLS_ERR_SSL_WANT_WRITE ? POLLOUT : POLLIN;
        continue; /* part of a record: wait for the rest */
      }
      direction = POLLIN;
      if (got == MBEDTLS_ERR_NET_CONN_RESET) return HL_NET_CLOSED;
      tls_message((int)got, "receiving failed", err, errlen);
      return HL_NET_ERROR;
    }
    got = (long)recv(conn->fd, buf, cap, 0);
    if (got > 0) return got;
    if (got == 0) return HL_NET_CLOSED;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      if (now_ms() >= deadline) return HL_NET_TIMEOUT;
      continue;
    }
    if (errno == ECONNRESET) return HL_NET_CLOSED;
    snprintf(err, errlen, "receiving failed: %s", strerror(errno));
    return HL_NET_ERROR;
  }
}

void hl_conn_close(hl_conn* conn) {
  if (conn->fd < 0) return;
  if (conn->tls) {
    (void)mbedtls_ssl_close_notify(&conn->ssl); /* one try: the socket does not block */
    mbedtls_ssl_free(&conn->ssl);
    conn->tls = 0;
  }
  close(conn->fd);
  conn->fd = -1;
}
