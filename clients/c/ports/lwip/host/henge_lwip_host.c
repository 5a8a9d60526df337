/* The lwIP port (henge_lwip.c) on a Linux host, as the Pico W runs it, against a real
 * henged: the device client and a relay both live in one lwIP stack (Debian's
 * liblwip, the unix port), joined by a netif that loops to its own address, so every
 * byte of the push path goes through lwIP's TCP, pbufs, windows and callbacks. The
 * relay passes each lwIP connection on to henged over a host socket.
 *
 *   henge-lwip-host SERVER TOKEN_FILE [LAST_REVISION]
 *
 * It prints like libhenge's example: "applied <revision> <config>", "rejected
 * <revision>" for a config holding "reject":true, "retry <revision>" while the file a
 * config's "retry_while" names exists; its log goes to stderr. SERVER is
 * http://host:port[/prefix] (an IPv4 address, or localhost). HENGE_KEEPALIVE_MS,
 * HENGE_BACKOFF_BASE_MS, HENGE_BACKOFF_CAP_MS (default 1000 here) and
 * HENGE_MAX_CONFIG_BYTES set those options; the token file is read again before every
 * connection. SIGTERM or SIGINT ends it with exit 0. The server must be on loopback
 * (127.0.0.0/8): the relay connects and sends in lwIP's thread. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hc_json.h"
#include "henge_lwip.h"
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/tcp.h"
#include "lwip/tcpip.h"

#define LOOP_ADDR "10.0.0.2" /* the netif's own address: the device's, and the relay's */
#define RELAY_PORT 80
#define MAX_TOKEN 512

static struct sockaddr_in g_server; /* henged, on the host */
static char g_authority[300];       /* its host:port, for the Host header */
static char g_prefix[256];
static const char* g_token_file;
static char g_token[MAX_TOKEN + 1];

/* ---- the relay: lwIP connection <-> host socket ---- */

typedef struct relay {
  struct tcp_pcb* pcb; /* NULL once lwIP's side is gone */
  int fd;
  int refs;      /* the pcb's and the reader thread's: freed at 0 (under the core lock) */
  int host_eof;  /* henged closed its side: close lwIP's once everything is written */
  char* pending; /* from henged, not yet taken by lwIP */
  size_t pending_len, pending_cap;
} relay;

static void relay_release(relay* r) {
  if (--r->refs > 0) return;
  close(r->fd);
  free(r->pending);
  free(r);
}

static void relay_forget_pcb(relay* r) {
  tcp_arg(r->pcb, NULL);
  tcp_recv(r->pcb, NULL);
  tcp_sent(r->pcb, NULL);
  tcp_err(r->pcb, NULL);
  r->pcb = NULL;
  shutdown(r->fd, SHUT_RDWR); /* wakes the reader */
  relay_release(r);
}

/* Writes what lwIP can take of henged's bytes; closes lwIP's side after the last.
 * Returns 1 when it had to abort the pcb (a callback of its own returns ERR_ABRT). */
static int relay_flush(relay* r) {
  while (r->pcb != NULL && r->pending_len > 0) {
    size_t n = tcp_sndbuf(r->pcb);
    if (n == 0) break;
    if (n > r->pending_len) n = r->pending_len;
    if (tcp_write(r->pcb, r->pending, (u16_t)n, TCP_WRITE_FLAG_COPY) != ERR_OK) break;
    memmove(r->pending, r->pending + n, r->pending_len - n);
    r->pending_len -= n;
  }
  if (r->pcb == NULL) return 0;
  tcp_output(r->pcb);
  if (r->host_eof && r->pending_len == 0) {
    struct tcp_pcb* pcb = r->pcb;
    relay_forget_pcb(r);
    if (tcp_close(pcb) != ERR_OK) {
      tcp_abort(pcb);
      return 1;
    }
  }
  return 0;
}

static err_t relay_sent(void* arg, struct tcp_pcb* pcb, u16_t len) {
  (void)pcb;
  (void)len;
  return arg != NULL && relay_flush((relay*)arg) ? ERR_ABRT : ERR_OK;
}

/* The device sent bytes (or closed): they go to henged. */
static err_t relay_recv(void* arg, struct tcp_pcb* pcb, struct pbuf* p, err_t err) {
  relay* r = (relay*)arg;
  struct pbuf* q;
  if (r == NULL) {
    if (p != NULL) pbuf_free(p);
    return ERR_OK;
  }
  if (p == NULL || err != ERR_OK) {
    if (p != NULL) pbuf_free(p);
    shutdown(r->fd, SHUT_WR); /* henged reads the end of the request */
    return ERR_OK;
  }
  for (q = p; q != NULL; q = q->next) {
    size_t off = 0;
    while (off < q->len) {
      const ssize_t n = send(r->fd, (const char*)q->payload + off, q->len - off, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        /* henged is gone: a gap in the bytes must not follow. relay_err releases. */
        pbuf_free(p);
        tcp_abort(pcb);
        return ERR_ABRT;
      }
      off += (size_t)n;
    }
  }
  tcp_recved(pcb, p->tot_len);
  pbuf_free(p);
  return ERR_OK;
}

static void relay_err(void* arg, err_t err) {
  relay* r = (relay*)arg;
  (void)err;
  if (r == NULL) return;
  r->pcb = NULL; /* freed by lwIP */
  shutdown(r->fd, SHUT_RDWR);
  relay_release(r);
}

/* Henged's bytes, read on a thread of their own and handed to lwIP under its lock. */
static void* relay_reader(void* arg) {
  relay* r = (relay*)arg;
  char buf[16384];
  for (;;) {
    const ssize_t n = recv(r->fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    LOCK_TCPIP_CORE();
    if (r->pcb == NULL) {
      UNLOCK_TCPIP_CORE();
      break;
    }
    if (n <= 0) {
      r->host_eof = 1;
    } else {
      if (r->pending_len + (size_t)n > r->pending_cap) {
        const size_t cap = (r->pending_len + (size_t)n) * 2;
        char* grown = (char*)realloc(r->pending, cap);
        if (grown == NULL) {
          tcp_abort(r->pcb); /* relay_err releases the pcb's share */
          UNLOCK_TCPIP_CORE();
          break;
        }
        r->pending = grown;
        r->pending_cap = cap;
      }
      memcpy(r->pending + r->pending_len, buf, (size_t)n);
      r->pending_len += (size_t)n;
    }
    (void)relay_flush(r); /* not in a callback: an abort needs no telling */
    UNLOCK_TCPIP_CORE();
    if (n <= 0) break;
  }
  LOCK_TCPIP_CORE();
  relay_release(r);
  UNLOCK_TCPIP_CORE();
  return NULL;
}

static err_t relay_accept(void* arg, struct tcp_pcb* pcb, err_t err) {
  relay* r;
  pthread_t thread;
  (void)arg;
  if (err != ERR_OK || pcb == NULL) return ERR_VAL;
  r = (relay*)calloc(1, sizeof *r);
  if (r == NULL) {
    tcp_abort(pcb);
    return ERR_ABRT;
  }
  r->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  /* Loopback: the connect is immediate (refused at once when henged is down). */
  if (r->fd < 0 || connect(r->fd, (const struct sockaddr*)&g_server, sizeof g_server) != 0) {
    if (r->fd >= 0) close(r->fd);
    free(r);
    tcp_abort(pcb);
    return ERR_ABRT;
  }
  r->pcb = pcb;
  r->refs = 2;
  tcp_arg(pcb, r);
  tcp_recv(pcb, relay_recv);
  tcp_sent(pcb, relay_sent);
  tcp_err(pcb, relay_err);
  if (pthread_create(&thread, NULL, relay_reader, r) != 0) {
    relay_forget_pcb(r);
    relay_release(r);
    tcp_abort(pcb);
    return ERR_ABRT;
  }
  pthread_detach(thread);
  return ERR_OK;
}

/* ---- the netif: a link that leads only back to itself ---- */

static err_t no_route(struct netif* netif, struct pbuf* p, const ip4_addr_t* addr) {
  (void)netif;
  (void)p;
  (void)addr;
  return ERR_RTE; /* only its own address is reachable, through the loop */
}

static err_t loop_netif_init(struct netif* netif) {
  netif->name[0] = 'h';
  netif->name[1] = 'l';
  netif->mtu = 1500;
  netif->output = no_route;
  return ERR_OK;
}

/* ---- the device ---- */

/* Accepts every config but one whose "reject" is true, and asks for one whose
 * "retry_while" names a file that exists to be tried again, as libhenge's example does. */
static hc_client_answer_kind print_config(void* user, uint64_t revision, const char* config, size_t len, char* why,
                                          size_t why_cap) {
  hc_span reject, retry, raw;
  (void)user;
  if (hc_json_pointer(config, len, "/retry_while", &retry) == 1 && hc_json_string_raw(retry, &raw) == 0 &&
      raw.len > 0 && raw.len < 512 && memchr(raw.at, '\\', raw.len) == NULL) {
    char path[512];
    FILE* busy;
    memcpy(path, raw.at, raw.len);
    path[raw.len] = '\0';
    if ((busy = fopen(path, "r")) != NULL) {
      fclose(busy);
      snprintf(why, why_cap, "waiting for %s to go", path);
      printf("retry %llu\n", (unsigned long long)revision);
      fflush(stdout);
      return HC_RETRY;
    }
  }
  if (hc_json_pointer(config, len, "/reject", &reject) == 1 && reject.len == 4 && memcmp(reject.at, "true", 4) == 0) {
    snprintf(why, why_cap, "this device refuses revision %llu", (unsigned long long)revision);
    printf("rejected %llu\n", (unsigned long long)revision);
    fflush(stdout);
    return HC_REJECTED;
  }
  printf("applied %llu %.*s\n", (unsigned long long)revision, (int)len, config);
  fflush(stdout);
  return HC_APPLIED;
}

static void print_log(void* user, const char* line) {
  (void)user;
  fprintf(stderr, "henge-lwip-host: %s\n", line);
}

/* The token file's first line, read again for every connection (NULL: none yet).
 * The engine sends g_token from where it is, so it changes only for a good one. */
static const char* read_token(void* user) {
  char line[MAX_TOKEN + 2];
  FILE* f = fopen(g_token_file, "r");
  size_t n;
  (void)user;
  if (f == NULL) {
    fprintf(stderr, "henge-lwip-host: cannot read a device token from %s\n", g_token_file);
    return NULL;
  }
  if (fgets(line, sizeof line, f) == NULL) line[0] = '\0';
  fclose(f);
  n = strcspn(line, "\r\n");
  line[n] = '\0';
  if (n == 0 || n > MAX_TOKEN) {
    fprintf(stderr, "henge-lwip-host: no device token in %s\n", g_token_file);
    return NULL;
  }
  memcpy(g_token, line, n + 1);
  return g_token;
}

static unsigned long env_number(const char* name, unsigned long fallback) {
  const char* v = getenv(name);
  return v != NULL && *v != '\0' ? strtoul(v, NULL, 10) : fallback;
}

/* http://host:port[/prefix]; 0, or -1 when it is not one this host can reach. */
static int parse_server(const char* url) {
  const char* authority = url + 7;
  const char* slash;
  const char* colon;
  char host[256];
  size_t n;
  if (strncmp(url, "http://", 7) != 0) return -1;
  slash = strchr(authority, '/');
  n = slash != NULL ? (size_t)(slash - authority) : strlen(authority);
  if (n == 0 || n >= sizeof g_authority) return -1;
  memcpy(g_authority, authority, n);
  g_authority[n] = '\0';
  snprintf(g_prefix, sizeof g_prefix, "%s", slash != NULL ? slash : "");
  n = strlen(g_prefix);
  while (n > 0 && g_prefix[n - 1] == '/') g_prefix[--n] = '\0';
  colon = strrchr(g_authority, ':');
  if (colon == NULL || (size_t)(colon - g_authority) >= sizeof host) return -1;
  memcpy(host, g_authority, (size_t)(colon - g_authority));
  host[colon - g_authority] = '\0';
  memset(&g_server, 0, sizeof g_server);
  g_server.sin_family = AF_INET;
  g_server.sin_port = htons((uint16_t)strtoul(colon + 1, NULL, 10));
  if (strcmp(host, "localhost") == 0) snprintf(host, sizeof host, "127.0.0.1");
  /* Loopback only: the relay connects and sends in lwIP's thread, which a slow peer
   * would hold up. */
  return inet_pton(AF_INET, host, &g_server.sin_addr) == 1 && g_server.sin_port != 0 &&
                 (ntohl(g_server.sin_addr.s_addr) >> 24) == 127
             ? 0
             : -1;
}

static pthread_mutex_t g_ready_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_ready_cond = PTHREAD_COND_INITIALIZER;
static int g_ready;

static void on_tcpip_ready(void* arg) {
  (void)arg;
  pthread_mutex_lock(&g_ready_lock);
  g_ready = 1;
  pthread_cond_signal(&g_ready_cond);
  pthread_mutex_unlock(&g_ready_lock);
}

int main(int argc, char** argv) {
  static henge_lwip client;
  static struct netif netif;
  henge_lwip_settings s;
  struct tcp_pcb* listener;
  ip4_addr_t addr, mask, gw;
  sigset_t stop;
  size_t max_config, cap;
  char* doc;
  int sig;
  if (argc < 3) {
    fprintf(stderr, "usage: henge-lwip-host SERVER TOKEN_FILE [LAST_REVISION]\n");
    return 2;
  }
  if (parse_server(argv[1]) != 0) {
    fprintf(stderr, "henge-lwip-host: %s is not http://127.x.y.z:port[/prefix] (or localhost)\n", argv[1]);
    return 2;
  }
  g_token_file = argv[2];
  max_config = env_number("HENGE_MAX_CONFIG_BYTES", 262144);
  cap = HENGE_LWIP_DOC_BYTES(max_config);
  doc = (char*)malloc(cap); /* a board's would be static */
  if (doc == NULL) {
    fprintf(stderr, "henge-lwip-host: out of memory\n");
    return 2;
  }

  /* SIGTERM and SIGINT are waited for here; lwIP's threads inherit the mask. */
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, NULL);

  tcpip_init(on_tcpip_ready, NULL);
  pthread_mutex_lock(&g_ready_lock);
  while (!g_ready) pthread_cond_wait(&g_ready_cond, &g_ready_lock);
  pthread_mutex_unlock(&g_ready_lock);

  memset(&s, 0, sizeof s);
  s.client.host = g_authority;
  s.client.prefix = g_prefix;
  s.client.user_agent = "henge-lwip-host";
  s.client.last_revision = argc > 3 ? strtoull(argv[3], NULL, 10) : 0;
  s.client.keepalive_ms = (uint32_t)env_number("HENGE_KEEPALIVE_MS", 1000);
  s.client.backoff_base_ms = (uint32_t)env_number("HENGE_BACKOFF_BASE_MS", 0);
  s.client.backoff_cap_ms = (uint32_t)env_number("HENGE_BACKOFF_CAP_MS", 1000);
  s.client.max_config = max_config;
  s.client.seed = (uint32_t)getpid();
  s.server_name = LOOP_ADDR;
  s.port = RELAY_PORT;
  s.apply = print_config;
  s.log = print_log;
  s.token = read_token;

  LOCK_TCPIP_CORE();
  ip4addr_aton(LOOP_ADDR, &addr);
  ip4addr_aton("255.255.255.0", &mask);
  ip4addr_aton("10.0.0.1", &gw);
  netif_add(&netif, &addr, &mask, &gw, NULL, loop_netif_init, tcpip_input);
  netif_set_default(&netif);
  netif_set_link_up(&netif);
  netif_set_up(&netif);
  listener = tcp_new();
  if (listener == NULL || tcp_bind(listener, IP_ADDR_ANY, RELAY_PORT) != ERR_OK ||
      (listener = tcp_listen(listener)) == NULL) {
    UNLOCK_TCPIP_CORE();
    fprintf(stderr, "henge-lwip-host: cannot listen inside lwIP\n");
    return 1;
  }
  tcp_accept(listener, relay_accept);
  if (henge_lwip_start(&client, &s, doc, cap) != ERR_OK) {
    UNLOCK_TCPIP_CORE();
    fprintf(stderr, "henge-lwip-host: bad settings\n");
    return 2;
  }
  UNLOCK_TCPIP_CORE();

  while (sigwait(&stop, &sig) != 0) {
  }
  LOCK_TCPIP_CORE();
  henge_lwip_stop(&client);
  tcp_close(listener);
  UNLOCK_TCPIP_CORE();
  fprintf(stderr, "henge-lwip-host: stopped (last applied: %llu)\n",
          (unsigned long long)henge_lwip_last_revision(&client));
  free(doc);
  return 0;
}
