/* The engine (hc_client) driven by lwIP's callbacks: each callback feeds the engine what
 * happened, then pump() does what the engine asks until it says to wait, and arms one
 * timer for then. Nothing blocks; nothing is allocated but lwIP's own pcbs and pbufs. */
#include "henge_lwip.h"

#include <string.h>

#include "hc_doc.h"
#include "hc_text.h"
#include "lwip/pbuf.h"
#include "lwip/sys.h"
#include "lwip/timeouts.h"
#if LWIP_DNS
#include "lwip/dns.h"
#endif
#if LWIP_ALTCP && LWIP_ALTCP_TLS
#include "lwip/altcp_tls.h"
#include "mbedtls/ssl.h"
#endif

enum { PHASE_NONE, PHASE_RESOLVING, PHASE_CONNECTING, PHASE_OPEN };

#define NEVER UINT64_MAX

static void pump(henge_lwip* h);

/* sys_now() as 64 bits: it wraps every 2^32 ms. */
static uint64_t now_ms(henge_lwip* h) {
  const uint32_t now = sys_now();
  if (now < h->clock_last) h->clock_high += (uint64_t)1 << 32;
  h->clock_last = now;
  return h->clock_high | now;
}

/* The log: words and numbers, one line. */
static void log_start(henge_lwip* h, hc_out* o, const char* text) {
  hc_out_init(o, h->line, sizeof h->line);
  hc_out_str(o, text);
}

static void log_end(henge_lwip* h, hc_out* o) {
  if (h->s.log == NULL) return;
  /* What fit is still worth saying when the rest did not. */
  h->line[o->len < sizeof h->line ? o->len : sizeof h->line - 1] = '\0';
  h->s.log(h->s.user, h->line);
}

static void log_text(henge_lwip* h, const char* text) {
  hc_out o;
  log_start(h, &o, text);
  log_end(h, &o);
}

/* Closes a connection without its callbacks reaching us again. One aborted from its
 * own callback makes that callback return ERR_ABRT (lwIP has freed it). */
static void drop(henge_lwip* h, struct altcp_pcb* pcb) {
  altcp_arg(pcb, NULL);
  altcp_recv(pcb, NULL);
  altcp_err(pcb, NULL);
  altcp_sent(pcb, NULL);
  if (altcp_close(pcb) == ERR_OK) return;
  altcp_abort(pcb); /* out of memory for the FIN */
  if (pcb == h->in_callback) h->aborted_in_callback = 1;
}

/* Aborts pcb from inside its own callback (lwIP must then be told ERR_ABRT): after a
 * failed certificate check, a close could let TLS read state it has freed. */
static void abort_here(henge_lwip* h, struct altcp_pcb* pcb) {
  altcp_arg(pcb, NULL);
  altcp_recv(pcb, NULL);
  altcp_err(pcb, NULL);
  altcp_sent(pcb, NULL);
  altcp_abort(pcb);
  h->aborted_in_callback = 1;
}

/* A callback of pcb begins, and ends with what lwIP must be told. */
static void enter(henge_lwip* h, struct altcp_pcb* pcb) {
  h->in_callback = pcb;
  h->aborted_in_callback = 0;
}

static err_t leave(henge_lwip* h) {
  const int aborted = h->aborted_in_callback;
  h->in_callback = NULL;
  h->aborted_in_callback = 0;
  return aborted ? ERR_ABRT : ERR_OK;
}

static void say_closed(henge_lwip* h) {
  hc_client_closed info;
  hc_out o;
  hc_client_closed_info(&h->engine, &info);
  switch (info.reason) {
    case HC_CLOSED_STATUS:
      log_start(h, &o, "the server answered the stream with ");
      hc_out_u64(&o, info.status);
      hc_out_str(&o, info.status == 401 || info.status == 403 ? " (the device token was refused)" : "");
      break;
    case HC_CLOSED_GOAWAY:
      log_start(h, &o, "the server ended the stream (goaway ");
      hc_out_str(&o, hc_goaway_name(info.goaway));
      hc_out_str(&o, ")");
      break;
    case HC_CLOSED_BAD_DOCUMENT:
      log_start(h, &o, "a config document did not check out (");
      hc_out_str(&o, hc_doc_strerror(info.doc_err));
      hc_out_str(&o, "); asking for it again");
      break;
    case HC_CLOSED_SILENCE:
      log_start(h, &o, "no data from the server for 3 keepalive intervals");
      break;
    case HC_CLOSED_RETRY:
      log_start(h, &o, "fetching a config to try again");
      break;
    default:
      log_start(h, &o, info.status == 0 ? "cannot reach the server" : "the stream ended");
      break;
  }
  hc_out_str(&o, "; connecting again in ");
  hc_out_u64(&o, info.delay_ms);
  hc_out_str(&o, " ms");
  log_end(h, &o);
}

/* The stream is gone (closed by us or by henged, or never made). */
static void stream_gone(henge_lwip* h) {
  h->stream = NULL;
  h->stream_phase = PHASE_NONE;
  hc_client_stream_closed(&h->engine, now_ms(h));
  say_closed(h);
}

static void close_stream(henge_lwip* h) {
  if (h->stream != NULL) drop(h, h->stream);
  stream_gone(h);
}

/* The ack's call is over (answered, failed, or never made). */
static void end_call(henge_lwip* h) {
  if (h->call != NULL) drop(h, h->call);
  h->call = NULL;
  h->call_phase = PHASE_NONE;
  hc_client_call_end(&h->engine, now_ms(h));
}

/* A new connection to the server's address, plain or TLS. */
static struct altcp_pcb* new_pcb(henge_lwip* h) {
#if LWIP_ALTCP && LWIP_ALTCP_TLS
  if (h->s.tls != NULL) {
    struct altcp_pcb* pcb = altcp_tls_new(h->s.tls, IP_GET_TYPE(&h->addr));
    /* SNI, and the name the certificate must carry. */
    if (pcb != NULL && mbedtls_ssl_set_hostname((mbedtls_ssl_context*)altcp_tls_context(pcb), h->s.server_name) != 0) {
      altcp_abort(pcb);
      return NULL;
    }
    return pcb;
  }
#endif
  (void)h; /* IP_GET_TYPE ignores its address in an IPv4-only build */
  return altcp_new_ip_type(NULL, IP_GET_TYPE(&h->addr));
}

/* Whether a TLS connection's certificate verified (whatever the config's authmode). */
static int verified(henge_lwip* h, struct altcp_pcb* pcb) {
#if LWIP_ALTCP && LWIP_ALTCP_TLS
  if (h->s.tls != NULL && mbedtls_ssl_get_verify_result((mbedtls_ssl_context*)altcp_tls_context(pcb)) != 0) {
    log_text(h, "the server's certificate does not verify");
    return 0;
  }
#else
  (void)h;
  (void)pcb;
#endif
  return 1;
}

/* Writes a request; 0 when the connection cannot take it. */
static int send_bytes(struct altcp_pcb* pcb, const char* bytes, size_t n) {
  if (n > altcp_sndbuf(pcb) || n > 0xffff) return 0;
  if (altcp_write(pcb, bytes, (u16_t)n, TCP_WRITE_FLAG_COPY) != ERR_OK) return 0;
  return altcp_output(pcb) == ERR_OK;
}

/* ---- the stream ---- */

static err_t on_stream_recv(void* arg, struct altcp_pcb* pcb, struct pbuf* p, err_t err) {
  henge_lwip* h = (henge_lwip*)arg;
  const uint32_t gen = h->stream_gen; /* a stream opened while this one is fed is not it */
  struct pbuf* q;
  int stuck = 0;
  enter(h, pcb);
  if (p == NULL || err != ERR_OK) {
    if (p != NULL) pbuf_free(p);
    close_stream(h); /* henged closed it */
    pump(h);
    return leave(h);
  }
  for (q = p; q != NULL && h->stream_gen == gen && h->stream != NULL; q = q->next) {
    size_t off = 0;
    while (off < q->len && h->stream_gen == gen && h->stream != NULL) {
      /* The engine stops at a config to apply, or when the stream is to close: pump
       * does that, then the rest is fed. */
      const size_t took = hc_client_stream_feed(&h->engine, (const char*)q->payload + off, q->len - off, now_ms(h));
      off += took;
      /* Taken: the window opens now, so a close the engine asks for next is a FIN. */
      if (took > 0) altcp_recved(pcb, (u16_t)took);
      stuck = took == 0 ? stuck + 1 : 0;
      if (stuck > 1) {
        close_stream(h); /* the engine takes nothing, twice: do not spin */
        break;
      }
      pump(h);
    }
  }
  pbuf_free(p);
  return leave(h);
}

static void on_stream_err(void* arg, err_t err) {
  henge_lwip* h = (henge_lwip*)arg;
  hc_out o;
  (void)err;
  if (h == NULL || h->stream == NULL) return;
  log_start(h, &o, "the stream's connection failed (lwIP error ");
  hc_out_u64(&o, (uint64_t)(err < 0 ? -err : err));
  hc_out_str(&o, ")");
  log_end(h, &o);
  h->stream = NULL; /* lwIP has freed it */
  stream_gone(h);
  pump(h);
}

static err_t on_stream_connected(void* arg, struct altcp_pcb* pcb, err_t err) {
  henge_lwip* h = (henge_lwip*)arg;
  size_t n = 0;
  (void)err; /* always ERR_OK: failures go to on_stream_err */
  enter(h, pcb);
  if (!verified(h, pcb)) {
    close_stream(h);
  } else if ((n = hc_client_stream_request(&h->engine, h->head, sizeof h->head)) == 0 || !send_bytes(pcb, h->head, n)) {
    log_text(h, n == 0 ? "the stream's request does not fit (a long token or host?)" : "cannot send the request");
    close_stream(h);
  } else {
    h->stream_phase = PHASE_OPEN;
    hc_client_stream_opened(&h->engine, now_ms(h));
  }
  pump(h);
  return leave(h);
}

/* Connects the stream to h->addr. */
static void connect_stream(henge_lwip* h) {
  struct altcp_pcb* pcb = new_pcb(h);
  if (pcb == NULL) {
    log_text(h, "out of memory for a connection");
    stream_gone(h);
    return;
  }
  h->stream = pcb;
  ++h->stream_gen;
  h->stream_phase = PHASE_CONNECTING;
  altcp_arg(pcb, h);
  altcp_recv(pcb, on_stream_recv);
  altcp_err(pcb, on_stream_err);
  if (altcp_connect(pcb, &h->addr, h->s.port, on_stream_connected) != ERR_OK) close_stream(h);
}

#if LWIP_DNS
static void on_resolved(const char* name, const ip_addr_t* addr, void* arg) {
  henge_lwip* h = (henge_lwip*)arg;
  (void)name;
  if (!h->running || h->stream_phase != PHASE_RESOLVING) return; /* stopped, or timed out */
  if (addr == NULL) {
    hc_out o;
    log_start(h, &o, "cannot resolve ");
    hc_out_str(&o, h->s.server_name);
    log_end(h, &o);
    stream_gone(h);
  } else {
    h->addr = *addr;
    h->have_addr = 1;
    connect_stream(h);
  }
  pump(h);
}
#endif

/* Opens the stream: the token read again, the name resolved again (an address may
 * change), then a connection. */
static void open_stream(henge_lwip* h) {
  h->stream_deadline = now_ms(h) + HENGE_LWIP_TIMEOUT_MS;
  if (h->s.token != NULL) {
    const char* token = h->s.token(h->s.user);
    if (token == NULL) {
      log_text(h, "no device token yet");
      stream_gone(h);
      return;
    }
    hc_client_set_token(&h->engine, token);
  }
#if LWIP_DNS
  {
    ip_addr_t addr;
    const err_t found = dns_gethostbyname(h->s.server_name, &addr, on_resolved, h);
    if (found == ERR_OK) {
      h->addr = addr;
      h->have_addr = 1;
    } else if (found == ERR_INPROGRESS) {
      h->stream_phase = PHASE_RESOLVING;
      return;
    } else {
      log_text(h, "cannot resolve the server's name");
      stream_gone(h);
      return;
    }
  }
#else
  if (!ipaddr_aton(h->s.server_name, &h->addr)) {
    log_text(h, "the server must be an address (LWIP_DNS is off)");
    stream_gone(h);
    return;
  }
  h->have_addr = 1;
#endif
  connect_stream(h);
}

/* ---- an ack ---- */

static err_t on_call_recv(void* arg, struct altcp_pcb* pcb, struct pbuf* p, err_t err) {
  henge_lwip* h = (henge_lwip*)arg;
  if (p != NULL && err == ERR_OK) {
    struct pbuf* q;
    for (q = p; q != NULL; q = q->next) hc_client_call_feed(&h->engine, (const char*)q->payload, q->len);
    altcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    if (!hc_client_call_done(&h->engine)) return ERR_OK;
  } else if (p != NULL) {
    pbuf_free(p);
  }
  enter(h, pcb);
  end_call(h); /* answered whole, or closed */
  pump(h);
  return leave(h);
}

static void on_call_err(void* arg, err_t err) {
  henge_lwip* h = (henge_lwip*)arg;
  (void)err;
  if (h == NULL || h->call == NULL) return;
  h->call = NULL; /* lwIP has freed it */
  end_call(h);
  pump(h);
}

static err_t on_call_connected(void* arg, struct altcp_pcb* pcb, err_t err) {
  henge_lwip* h = (henge_lwip*)arg;
  (void)err;
  enter(h, pcb);
  if (!verified(h, pcb) || !send_bytes(pcb, h->request, strlen(h->request))) {
    abort_here(h, pcb);
    h->call = NULL;
    end_call(h);
    pump(h);
  } else {
    h->call_phase = PHASE_OPEN;
  }
  return leave(h);
}

/* Sends the kept answer on a connection of its own. */
static void start_call(henge_lwip* h) {
  const char* reason;
  size_t reason_len, n;
  int applied;
  const uint64_t revision = hc_client_kept_answer(&h->engine, &applied, &reason, &reason_len);
  struct altcp_pcb* pcb;
  hc_out o;
  if (h->s.token != NULL) {
    const char* token = h->s.token(h->s.user);
    if (token != NULL) hc_client_set_token(&h->engine, token);
  }
  /* NUL-terminated inside the buffer: on_call_connected sends it by its length. */
  n = hc_client_ack_request(&h->engine, h->request, sizeof h->request - 1);
  if (n == 0) {
    log_text(h, "the ack does not fit the request buffer (HENGE_LWIP_REQUEST_BYTES)");
    return; /* the engine waits before asking again */
  }
  h->request[n] = '\0';
  log_start(h, &o, "answering revision ");
  hc_out_u64(&o, revision);
  hc_out_str(&o, applied ? ": applied" : ": rejected: ");
  if (!applied) hc_out_bytes(&o, reason, reason_len);
  log_end(h, &o);
  h->call_deadline = now_ms(h) + HENGE_LWIP_TIMEOUT_MS;
  pcb = h->have_addr ? new_pcb(h) : NULL;
  if (pcb == NULL) {
    end_call(h);
    return;
  }
  h->call = pcb;
  h->call_phase = PHASE_CONNECTING;
  altcp_arg(pcb, h);
  altcp_recv(pcb, on_call_recv);
  altcp_err(pcb, on_call_err);
  if (altcp_connect(pcb, &h->addr, h->s.port, on_call_connected) != ERR_OK) end_call(h);
}

/* ---- what the engine asks ---- */

static void apply(henge_lwip* h) {
  const char* config;
  size_t len;
  const uint64_t revision = hc_client_config(&h->engine, &config, &len);
  hc_client_answer_kind kind;
  h->why[0] = '\0';
  kind = h->s.apply(h->s.user, revision, config, len, h->why, sizeof h->why);
  h->why[sizeof h->why - 1] = '\0';
  hc_client_answer(&h->engine, kind, h->why, strlen(h->why), now_ms(h));
}

static void on_timer(void* arg);

/* Runs out the deadlines of a connection that takes too long. */
static void check_deadlines(henge_lwip* h, uint64_t now) {
  if ((h->stream_phase == PHASE_CONNECTING || h->stream_phase == PHASE_RESOLVING) && now >= h->stream_deadline) {
    log_text(h, "connecting to the server timed out");
    close_stream(h);
  }
  if (h->call_phase != PHASE_NONE && now >= h->call_deadline) {
    log_text(h, "the ack's call timed out");
    end_call(h);
  }
}

static uint64_t earlier(uint64_t a, uint64_t b) {
  return a < b ? a : b;
}

static void arm(henge_lwip* h, uint64_t at, uint64_t now) {
  uint64_t wait;
  if (h->stream_phase == PHASE_CONNECTING || h->stream_phase == PHASE_RESOLVING) at = earlier(at, h->stream_deadline);
  if (h->call_phase != PHASE_NONE) at = earlier(at, h->call_deadline);
  sys_untimeout(on_timer, h);
  if (at == NEVER) return; /* bytes will come, or a callback */
  wait = at > now ? at - now : 0;
  sys_timeout((u32_t)(wait < 0x3fffffff ? wait : 0x3fffffff), on_timer, h); /* lwIP's largest */
}

static void pump(henge_lwip* h) {
  if (h->pumping) {
    h->pump_again = 1; /* a callback from within: the loop below goes round again */
    return;
  }
  h->pumping = 1;
  do {
    h->pump_again = 0;
    while (h->running) {
      uint64_t at;
      const uint64_t now = now_ms(h);
      hc_client_do next;
      check_deadlines(h, now);
      next = hc_client_next(&h->engine, now, &at);
      if (next == HC_DO_APPLY) {
        apply(h);
      } else if (next == HC_DO_ACK) {
        start_call(h);
      } else if (next == HC_DO_CLOSE) {
        close_stream(h);
      } else if (next == HC_DO_CONNECT && h->stream_phase == PHASE_NONE) {
        open_stream(h);
      } else {
        arm(h, next == HC_DO_WAIT ? at : NEVER, now); /* waiting, or connecting */
        break;
      }
    }
  } while (h->pump_again && h->running);
  h->pumping = 0;
}

static void on_timer(void* arg) {
  pump((henge_lwip*)arg);
}

err_t henge_lwip_start(henge_lwip* h, const henge_lwip_settings* settings, char* doc, size_t cap) {
  if (settings == NULL || settings->apply == NULL || settings->server_name == NULL || settings->port == 0 ||
      settings->client.host == NULL || (settings->client.token == NULL && settings->token == NULL) || doc == NULL) {
    return ERR_ARG;
  }
  memset(h, 0, sizeof *h);
  h->s = *settings;
  hc_client_init(&h->engine, &h->s.client, doc, cap);
  h->clock_last = sys_now();
  h->running = 1;
  pump(h);
  return ERR_OK;
}

void henge_lwip_stop(henge_lwip* h) {
  h->running = 0;
  sys_untimeout(on_timer, h);
  if (h->stream != NULL) drop(h, h->stream);
  if (h->call != NULL) drop(h, h->call);
  h->stream = NULL;
  h->call = NULL;
  h->stream_phase = PHASE_NONE;
  h->call_phase = PHASE_NONE;
}

uint64_t henge_lwip_last_revision(const henge_lwip* h) {
  return hc_client_last_revision(&h->engine);
}
