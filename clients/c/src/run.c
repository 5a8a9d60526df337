/* The protocol for libhenge: libhenge-core's engine (hc_client.h), driven by one
 * blocking loop over net.h. The loop asks the engine what to do, does it, and reports
 * back; every wait is a second at most, so henge_stop() is noticed. What the engine
 * decides (kept acks, answered-again configs, retries, silence, goaway, backoff, the
 * config limit) is the same code a microcontroller runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "hc_doc.h"
#include "hc_text.h"

#define NEVER UINT64_MAX

static double seconds(uint32_t ms) {
  return (double)ms / 1000.0;
}

/* ---- the stream ---- */

/* Says why the stream closed, and when it opens again. A problem that repeats (the same
 * status, the same failure) is logged once: the delay, which is random, is not part of
 * what is compared. */
static void say_closed(henge_client* c, const char* body, size_t body_len) {
  hc_client_closed info;
  char line[768];
  hc_client_closed_info(&c->engine, &info);
  switch (info.reason) {
    case HC_CLOSED_STATUS:
      hl_error_from_answer(c, info.status, body, body_len); /* the detail, when it came with the head */
      if (info.status == 401 || info.status == 403) {
        /* Only an operator can fix this (or a new token in the token file). */
        snprintf(line, sizeof line, "the server refused the device token (%s); trying again%s%s", c->error,
                 c->token_file != NULL ? " with what is in " : "", c->token_file != NULL ? c->token_file : "");
        hl_issue(c, HENGE_LOG_ERROR, line);
      } else {
        snprintf(line, sizeof line, "the server answered the stream with %s; retrying", c->error);
        hl_issue(c, HENGE_LOG_WARN, line);
      }
      return;
    case HC_CLOSED_GOAWAY:
      hl_set_error(c, hc_goaway_name(info.goaway));
      if (info.goaway == HC_GOAWAY_SHUTDOWN || info.goaway == HC_GOAWAY_OVERFLOW) {
        hl_say(c, HENGE_LOG_INFO, "the server asked to reconnect (goaway %s); reconnecting in %.1f s",
               hc_goaway_name(info.goaway), seconds(info.delay_ms));
      } else {
        hl_say(c, HENGE_LOG_ERROR, "the server ended the stream (goaway %s)%s; trying again in %.1f s",
               hc_goaway_name(info.goaway),
               info.goaway == HC_GOAWAY_REPLACED ? ": is a second client using this token?" : "",
               seconds(info.delay_ms));
      }
      return;
    case HC_CLOSED_BAD_DOCUMENT:
      hl_set_error(c, hc_doc_strerror(info.doc_err));
      hl_say(c, HENGE_LOG_ERROR, "received a config document that does not check out (%s); asking for it again",
             c->error);
      return;
    case HC_CLOSED_RETRY:
      hl_say(c, HENGE_LOG_INFO, "fetching a config again to try it again");
      return;
    case HC_CLOSED_SILENCE:
      hl_set_error(c, "no data from the server for 3 keepalive intervals");
      break;
    default:
      if (c->stream_error[0] != '\0') {
        hl_set_error(c, c->stream_error);
      } else {
        hl_set_error(
            c, info.status == 0 ? "the server closed the connection without an answer" : "the server ended the stream");
      }
      break;
  }
  snprintf(line, sizeof line, "the stream ended (%s); reconnecting", c->error);
  hl_issue(c, HENGE_LOG_WARN, line);
}

static void close_stream(henge_client* c) {
  hl_conn_close(&c->stream);
  c->stream_open = 0;
  hc_client_stream_closed(&c->engine, hl_now_ms());
  say_closed(c, c->in + c->in_off, c->in_len - c->in_off); /* what is unfed follows the head */
  c->in_off = c->in_len = 0;
}

static void open_stream(henge_client* c) {
  size_t n;
  hl_net_rc rc;
  c->error[0] = '\0';
  c->stream_error[0] = '\0';
  if (hl_load_token(c) != 0) {
    hc_client_stream_closed(&c->engine, hl_now_ms()); /* waited for, with backoff */
    hl_issue(c, HENGE_LOG_ERROR, c->error);
    return;
  }
  n = hc_client_stream_request(&c->engine, c->request, HL_REQUEST_BYTES);
  if (n == 0) {
    hl_set_error(c, "the request does not fit in a request head");
    hc_client_stream_closed(&c->engine, hl_now_ms());
    hl_issue(c, HENGE_LOG_ERROR, c->error);
    return;
  }
  rc = hl_conn_open(&c->stream, &c->url, &c->tls, c->ca_file, HL_CALL_TIMEOUT_MS, &c->stop, c->error, sizeof c->error);
  if (rc == HL_NET_OK) rc = hl_conn_send(&c->stream, c->request, n, HL_CALL_TIMEOUT_MS, c->error, sizeof c->error);
  memset(c->request, 0, n); /* it holds the token */
  if (rc != HL_NET_OK) {
    hl_conn_close(&c->stream);
    hc_client_stream_closed(&c->engine, hl_now_ms());
    if (rc != HL_NET_STOPPED) {
      char line[768];
      snprintf(line, sizeof line, "cannot reach the server: %s; retrying", c->error);
      hl_issue(c, HENGE_LOG_WARN, line);
    }
    return;
  }
  c->stream_open = 1;
  c->said_live = 0;
  c->in_off = c->in_len = 0;
  hc_client_stream_opened(&c->engine, hl_now_ms());
}

/* Feeds what is unread to the engine: it stops at a config to apply, or once the
 * stream is to close. */
static void feed(henge_client* c) {
  c->in_off += hc_client_stream_feed(&c->engine, c->in + c->in_off, c->in_len - c->in_off, hl_now_ms());
  if (!c->said_live && hc_client_stream_live(&c->engine)) {
    c->said_live = 1;
    c->last_issue[0] = '\0';
    hl_say(c, HENGE_LOG_INFO, "stream connected (Last-Event-ID %llu)",
           (unsigned long long)hc_client_last_revision(&c->engine));
  }
}

/* Waits until at (a second at most) for the stream's bytes, and feeds them. */
static void wait_for(henge_client* c, uint64_t at, uint64_t now) {
  const uint64_t wait = at > now ? at - now : 0;
  const int ms = (int)(wait < 1000 ? wait : 1000);
  long got;
  if (!c->stream_open) {
    hl_pause_ms(c, (unsigned long)ms);
    return;
  }
  if (c->in_off < c->in_len) {
    feed(c);
    return;
  }
  got = hl_conn_recv(&c->stream, c->in, sizeof c->in, ms, c->stream_error, sizeof c->stream_error);
  if (got == HL_NET_TIMEOUT || got == HL_NET_STOPPED) return;
  if (got == HL_NET_CLOSED || got == HL_NET_ERROR) {
    if (got == HL_NET_CLOSED) snprintf(c->stream_error, sizeof c->stream_error, "the server closed the connection");
    c->in_off = c->in_len = 0;
    close_stream(c);
    return;
  }
  c->in_off = 0;
  c->in_len = (size_t)got;
  feed(c);
}

/* ---- applying, and answering ---- */

/* Applies the engine's config through fn and gives the engine the answer.
 * HENGE_ERR_STOPPED when it was stopped part-way (not applied, not answered: the next
 * start gets it again); HENGE_ERR_NOMEM. */
static henge_err apply(henge_client* c, henge_config_fn fn, void* user) {
  const char* config;
  size_t len;
  const uint64_t revision = hc_client_config(&c->engine, &config, &len);
  char why[HENGE_MAX_ACK_ERROR];
  char* copy = (char*)malloc(len + 1);
  int rc;
  if (copy == NULL) {
    hl_set_error(c, "out of memory");
    return HENGE_ERR_NOMEM;
  }
  /* The callback gets the config's bytes NUL-terminated, apart from the document. */
  memcpy(copy, config, len);
  copy[len] = '\0';
  why[0] = '\0';
  rc = fn(user, (long long)revision, copy, len, why, sizeof why);
  free(copy);
  why[sizeof why - 1] = '\0';
  if (rc != HENGE_APPLIED && c->stop) return HENGE_ERR_STOPPED;
  if (rc == HENGE_RETRY) {
    hl_say(c, HENGE_LOG_INFO, "revision %llu did not apply for now (%s); it is tried again",
           (unsigned long long)revision, why[0] != '\0' ? why : "no reason given");
  }
  hc_client_answer(&c->engine,
                   rc == HENGE_APPLIED ? HC_APPLIED
                   : rc == HENGE_RETRY ? HC_RETRY
                                       : HC_REJECTED,
                   why, strlen(why), hl_now_ms());
  return HENGE_OK;
}

/* Sends the kept answer on a connection of its own and reads henged's reply. A reply
 * that does not record it keeps it, to be sent again (the engine says when). */
static void send_ack(henge_client* c) {
  const char* reason;
  size_t reason_len, n;
  int applied;
  const uint64_t revision = hc_client_kept_answer(&c->engine, &applied, &reason, &reason_len);
  const uint64_t deadline = hl_now_ms() + HL_CALL_TIMEOUT_MS;
  hl_conn conn;
  hl_net_rc rc;
  unsigned status;
  (void)hl_load_token(c); /* a failure keeps the token there was */
  if (!applied && revision != c->said_rejection) {
    /* Once for each rejection: the engine's own (a config over the limit) as the callback's. */
    c->said_rejection = revision;
    hl_say(c, HENGE_LOG_ERROR, "rejected revision %llu: %.*s", (unsigned long long)revision, (int)reason_len, reason);
  }
  n = hc_client_ack_request(&c->engine, c->request, HL_REQUEST_BYTES);
  if (n == 0) {
    hl_say(c, HENGE_LOG_ERROR, "the ack for revision %llu does not fit a request", (unsigned long long)revision);
    return; /* the engine waits before asking again */
  }
  c->error[0] = '\0';
  rc = hl_conn_open(&conn, &c->url, &c->tls, c->ca_file, HL_CALL_TIMEOUT_MS, &c->stop, c->error, sizeof c->error);
  if (rc == HL_NET_OK) rc = hl_conn_send(&conn, c->request, n, HL_CALL_TIMEOUT_MS, c->error, sizeof c->error);
  memset(c->request, 0, n); /* it holds the token */
  while (rc == HL_NET_OK && !hc_client_call_done(&c->engine)) {
    char buf[1024];
    const uint64_t now = hl_now_ms();
    const long got =
        now < deadline ? hl_conn_recv(&conn, buf, sizeof buf, (int)(deadline - now), c->error, sizeof c->error) : 0;
    if (got <= 0) {
      if (got == HL_NET_TIMEOUT || now >= deadline) hl_set_error(c, "the server did not answer in time");
      break;
    }
    hc_client_call_feed(&c->engine, buf, (size_t)got);
  }
  hl_conn_close(&conn); /* a closed one is left alone */
  hc_client_call_end(&c->engine, hl_now_ms());
  if (c->stop) return;
  status = hc_client_call_status(&c->engine);
  if (status == 400 || status == 409) {
    hl_say(c, HENGE_LOG_WARN, "the server refused the ack for revision %llu (HTTP %u)", (unsigned long long)revision,
           status);
  } else if (status / 100 != 2) {
    if (status != 0) snprintf(c->error, sizeof c->error, "HTTP %u", status);
    hl_say(c, HENGE_LOG_WARN, "cannot send the ack for revision %llu (%s); it is kept and sent again",
           (unsigned long long)revision, c->error[0] != '\0' ? c->error : "no answer");
  }
}

henge_err henge_run(henge_client* c, henge_config_fn fn, void* user) {
  henge_err err = HENGE_OK;
  if (c == NULL || fn == NULL) return HENGE_ERR_INVALID;
  while (!c->stop && err == HENGE_OK) {
    uint64_t at, now = hl_now_ms();
    /* Bytes that came while an ack's call or the callback took their time are the
     * server's, not silence: fed (what is left, or what is there now) before the engine
     * judges the stream. */
    if (c->stream_open) {
      if (c->in_off < c->in_len) {
        feed(c);
      } else {
        wait_for(c, now, now);
      }
      if (c->stop) break;
      now = hl_now_ms();
    }
    switch (hc_client_next(&c->engine, now, &at)) {
      case HC_DO_CONNECT:
        open_stream(c);
        break;
      case HC_DO_APPLY:
        err = apply(c, fn, user);
        break;
      case HC_DO_ACK:
        send_ack(c);
        break;
      case HC_DO_CLOSE:
        close_stream(c);
        break;
      case HC_DO_WAIT:
        wait_for(c, at, now);
        break;
    }
  }
  if (c->stream_open) {
    /* Left as the engine expects: closed, so a later henge_run opens it again. */
    hl_conn_close(&c->stream);
    c->stream_open = 0;
    c->in_off = c->in_len = 0;
    hc_client_stream_closed(&c->engine, hl_now_ms());
  }
  return err == HENGE_ERR_NOMEM ? err : HENGE_ERR_STOPPED;
}

/* ---- polling ---- */

/* One GET of the config into the engine: its connection, request and answer. */
static henge_err fetch(henge_client* c) {
  const uint64_t deadline = hl_now_ms() + HL_CALL_TIMEOUT_MS;
  const size_t n = hc_client_poll_request(&c->engine, c->request, HL_REQUEST_BYTES);
  hl_conn conn;
  hl_net_rc rc;
  henge_err result = HENGE_OK;
  c->error[0] = '\0';
  if (n == 0) {
    hl_set_error(c, "the request does not fit in a request head");
    return HENGE_ERR_INVALID;
  }
  rc = hl_conn_open(&conn, &c->url, &c->tls, c->ca_file, HL_CALL_TIMEOUT_MS, &c->stop, c->error, sizeof c->error);
  if (rc == HL_NET_OK) rc = hl_conn_send(&conn, c->request, n, HL_CALL_TIMEOUT_MS, c->error, sizeof c->error);
  memset(c->request, 0, n); /* it holds the token */
  if (rc != HL_NET_OK) result = rc == HL_NET_STOPPED ? HENGE_ERR_STOPPED : HENGE_ERR_NETWORK;
  while (result == HENGE_OK && !hc_client_call_done(&c->engine)) {
    const uint64_t now = hl_now_ms();
    const long got = now < deadline
                         ? hl_conn_recv(&conn, c->in, sizeof c->in, (int)(deadline - now), c->error, sizeof c->error)
                         : HL_NET_TIMEOUT;
    if (got == HL_NET_CLOSED) break; /* the engine says whether the answer was whole */
    if (got <= 0) {
      if (got == HL_NET_TIMEOUT) hl_set_error(c, "the server did not answer in time");
      result = got == HL_NET_STOPPED ? HENGE_ERR_STOPPED : HENGE_ERR_NETWORK;
      break;
    }
    hc_client_poll_feed(&c->engine, c->in, (size_t)got);
  }
  hl_conn_close(&conn); /* a closed one is left alone */
  return result;
}

henge_err henge_poll(henge_client* c, henge_config_fn fn, void* user) {
  int applied;
  const char* reason;
  size_t reason_len;
  henge_err err;
  unsigned status;
  if (c == NULL || fn == NULL) return HENGE_ERR_INVALID;
  if (hl_load_token(c) != 0) return HENGE_ERR_AUTH;
  if (hc_client_kept_answer(&c->engine, &applied, &reason, &reason_len) != 0) send_ack(c); /* from the last wake */
  if (c->stop) return HENGE_ERR_STOPPED;
  err = fetch(c);
  if (err != HENGE_OK) {
    (void)hc_client_poll_end(&c->engine, hl_now_ms()); /* the call is over */
    return err;
  }
  switch (hc_client_poll_end(&c->engine, hl_now_ms())) {
    case HC_POLL_CONFIG:
      err = apply(c, fn, user);
      if (err != HENGE_OK) return err;
      if (!c->stop) send_ack(c); /* else kept for the next wake */
      return HENGE_OK;
    case HC_POLL_ANSWERED:
      send_ack(c);
      return HENGE_OK;
    case HC_POLL_NOT_MODIFIED:
      return HENGE_ERR_NOT_MODIFIED;
    case HC_POLL_TOO_LARGE:
      /* Rejected naming the limit, when the ETag named its revision. */
      if (hc_client_kept_answer(&c->engine, &applied, &reason, &reason_len) != 0) send_ack(c);
      hl_set_error(c, "the config is over the size limit");
      return HENGE_ERR_TOO_LARGE;
    case HC_POLL_BAD_DOCUMENT:
      hl_set_error(c, hc_doc_strerror(hc_client_poll_doc_err(&c->engine)));
      hl_say(c, HENGE_LOG_ERROR, "received a config document that does not check out (%s)", c->error);
      return HENGE_ERR_PROTOCOL;
    case HC_POLL_FAILED:
      break;
  }
  status = hc_client_call_status(&c->engine);
  if (status == 0 || status == 200) {
    /* No head, or a body cut off: the connection failed. */
    if (c->error[0] == '\0') {
      hl_set_error(c, status == 0 ? "the server closed the connection without an answer"
                                  : "the server closed the connection before the whole answer");
    }
    return HENGE_ERR_NETWORK;
  }
  {
    const char* body;
    const size_t len = hc_client_poll_body(&c->engine, &body);
    hl_error_from_answer(c, status, body, len);
  }
  return status == 401 || status == 403 ? HENGE_ERR_AUTH : HENGE_ERR_HTTP;
}

long long henge_last_revision(const henge_client* c) {
  return c != NULL ? (long long)hc_client_last_revision(&c->engine) : 0;
}
