#include "hc_http.h"

#include <string.h>

enum {
  S_STATUS,
  S_LINE, /* the start of a header line */
  S_NAME,
  S_VALUE,
  S_LENGTH,
  S_UNTIL_CLOSE,
  S_CHUNK_SIZE,
  S_CHUNK_EXT,
  S_CHUNK_DATA,
  S_CHUNK_END, /* the line end after a chunk's data */
  S_TRAILER,
  S_DONE,
  S_ERROR
};
enum { H_OTHER, H_CONTENT_LENGTH, H_TRANSFER_ENCODING, H_ETAG, H_RETRY_AFTER, H_CONNECTION };

static void reset_head(hc_http* p) {
  const unsigned char no_body = p->no_body;
  memset(p, 0, sizeof *p);
  p->no_body = no_body;
  p->content_length = UINT64_MAX;
  p->state = S_STATUS;
}

void hc_http_init(hc_http* p, int no_body) {
  p->no_body = no_body ? 1 : 0;
  reset_head(p);
}

static hc_http_event fail(hc_http* p, hc_http_err err) {
  p->state = S_ERROR;
  p->err = err;
  return HC_HTTP_ERROR;
}

static int is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return 1;
  return c != '\0' && memchr("!#$%&'*+-.^_`|~", c, 15) != NULL;
}

static int is_digits(const char* s, size_t n) {
  size_t i;
  for (i = 0; i < n; ++i) {
    if (s[i] < '0' || s[i] > '9') return 0;
  }
  return n > 0;
}

static void classify_header(hc_http* p) {
  static const char* const names[] = {"content-length", "transfer-encoding", "etag", "retry-after", "connection"};
  unsigned i;
  p->header = H_OTHER;
  for (i = 0; i < 5; ++i) {
    if (p->name_len == strlen(names[i]) && memcmp(p->name, names[i], p->name_len) == 0) {
      p->header = (unsigned char)(H_CONTENT_LENGTH + i);
    }
  }
  p->value_len = 0;
  p->value_end = 0;
  p->overlong = 0;
}

/* Whether a comma-separated list holds the token word (lower-case). */
static int list_has(const char* s, size_t n, const char* word) {
  size_t i = 0;
  while (i < n) {
    size_t start, end;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == ',')) ++i;
    start = i;
    while (i < n && s[i] != ',') ++i;
    end = i;
    while (end > start && (s[end - 1] == ' ' || s[end - 1] == '\t')) --end;
    if (end > start && hc_equals_nocase(s + start, end - start, word)) return 1;
  }
  return 0;
}

static hc_http_event header_done(hc_http* p) {
  const char* v = p->value;
  const size_t n = p->value_end;
  uint64_t number;
  switch (p->header) {
    case H_CONTENT_LENGTH:
      if (p->overlong || hc_parse_u64(v, n, UINT64_MAX - 1, &number) != 0 ||
          (p->content_length != UINT64_MAX && p->content_length != number))
        return fail(p, HC_HTTP_BAD_LENGTH);
      p->content_length = number;
      break;
    case H_TRANSFER_ENCODING:
      /* Only chunked, once: henge's clients ask for no other coding. */
      if (p->overlong || p->chunked || !hc_equals_nocase(v, n, "chunked")) return fail(p, HC_HTTP_UNSUPPORTED_CODING);
      p->chunked = 1;
      break;
    case H_ETAG: {
      size_t i = (n >= 2 && v[0] == 'W' && v[1] == '/') ? 2 : 0;
      p->etag_revision = 0;
      if (!p->overlong && n - i >= 3 && v[i] == '"' && v[n - 1] == '"' &&
          hc_parse_u64(v + i + 1, n - i - 2, UINT64_MAX, &number) == 0)
        p->etag_revision = number;
      break;
    }
    case H_RETRY_AFTER:
      /* Seconds (the form henged sends), capped; an HTTP date is not read. */
      if (is_digits(v, n)) {
        p->retry_after_s = (p->overlong || hc_parse_u64(v, n, HC_HTTP_MAX_RETRY_AFTER, &number) != 0)
                               ? HC_HTTP_MAX_RETRY_AFTER
                               : (uint32_t)number;
      }
      break;
    case H_CONNECTION:
      if (!p->overlong && list_has(v, n, "close")) p->close = 1;
      break;
    default:
      break;
  }
  p->state = S_LINE;
  return HC_HTTP_NEED_MORE;
}

static hc_http_event head_done(hc_http* p) {
  if (p->status >= 100 && p->status < 200) {
    const size_t head_bytes = p->head_bytes;                       /* interim responses count against the limit too */
    if (p->status == 101) return fail(p, HC_HTTP_BAD_STATUS_LINE); /* no upgrade was asked for */
    reset_head(p);                                                 /* an interim response: the real one follows */
    p->head_bytes = head_bytes;
    return HC_HTTP_NEED_MORE;
  }
  if (p->no_body || p->status == 204 || p->status == 304) {
    p->state = S_DONE;
  } else if (p->chunked) {
    p->state = S_CHUNK_SIZE;
    p->remaining = 0;
    p->digits = 0;
  } else if (p->content_length != UINT64_MAX) {
    p->state = S_LENGTH;
    p->remaining = p->content_length;
  } else {
    p->state = S_UNTIL_CLOSE;
    p->close = 1;
  }
  return HC_HTTP_HEAD;
}

static hc_http_event line_end(hc_http* p) {
  switch (p->state) {
    case S_STATUS:
      if (p->line_pos < 12 || p->status < 100 || p->status > 599) return fail(p, HC_HTTP_BAD_STATUS_LINE);
      p->state = S_LINE;
      return HC_HTTP_NEED_MORE;
    case S_LINE:
      return head_done(p);
    case S_NAME:
      return fail(p, HC_HTTP_BAD_HEADER); /* a line without a colon */
    case S_VALUE:
      return header_done(p);
    case S_CHUNK_SIZE:
    case S_CHUNK_EXT:
      if (p->digits == 0) return fail(p, HC_HTTP_BAD_CHUNK);
      p->state = p->remaining == 0 ? S_TRAILER : S_CHUNK_DATA;
      p->line_pos = 0;
      return HC_HTTP_NEED_MORE;
    case S_CHUNK_END:
      p->state = S_CHUNK_SIZE;
      p->digits = 0;
      return HC_HTTP_NEED_MORE;
    case S_TRAILER:
      if (p->line_pos == 0) p->state = S_DONE; /* the blank line after the trailers */
      p->line_pos = 0;
      return HC_HTTP_NEED_MORE;
    default:
      return fail(p, HC_HTTP_BAD_HEADER);
  }
}

static hc_http_event status_byte(hc_http* p, char c) {
  static const char prefix[] = "HTTP/1.";
  const unsigned pos = p->line_pos;
  int ok;
  if (pos < 7) {
    ok = c == prefix[pos];
  } else if (pos == 7) {
    ok = c >= '0' && c <= '9';
  } else if (pos == 8 || pos == 12) {
    ok = c == ' ';
  } else if (pos < 12) {
    ok = c >= '0' && c <= '9';
    p->status = p->status * 10u + (unsigned)(c - '0');
  } else {
    ok = (unsigned char)c >= 0x20 || c == '\t'; /* the reason phrase */
  }
  if (!ok) return fail(p, HC_HTTP_BAD_STATUS_LINE);
  if (pos < 13) ++p->line_pos;
  return HC_HTTP_NEED_MORE;
}

static int is_head_state(unsigned char state) {
  return state <= S_VALUE || state == S_TRAILER;
}

static hc_http_event step(hc_http* p, char c) {
  if (is_head_state(p->state) && ++p->head_bytes > HC_HTTP_MAX_HEAD) return fail(p, HC_HTTP_HEAD_TOO_LARGE);
  if (p->cr) {
    p->cr = 0;
    if (c != '\n') return fail(p, p->state == S_STATUS ? HC_HTTP_BAD_STATUS_LINE : HC_HTTP_BAD_HEADER);
    return line_end(p);
  }
  if (c == '\r') {
    p->cr = 1;
    return HC_HTTP_NEED_MORE;
  }
  if (c == '\n') return line_end(p);
  switch (p->state) {
    case S_STATUS:
      return status_byte(p, c);
    case S_LINE:
      if (c == ' ' || c == '\t') return fail(p, HC_HTTP_BAD_HEADER); /* an obsolete line fold */
      p->name_len = 0;
      p->state = S_NAME;
      /* fall through */
    case S_NAME:
      if (c == ':') {
        if (p->name_len == 0) return fail(p, HC_HTTP_BAD_HEADER);
        classify_header(p);
        p->state = S_VALUE;
      } else if (!is_tchar(c)) {
        return fail(p, HC_HTTP_BAD_HEADER);
      } else if (p->name_len < sizeof p->name) {
        p->name[p->name_len++] = (char)((c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c);
      }
      return HC_HTTP_NEED_MORE;
    case S_VALUE:
      if (((unsigned char)c < 0x20 && c != '\t') || c == 0x7f) return fail(p, HC_HTTP_BAD_HEADER);
      if ((c == ' ' || c == '\t') && p->value_len == 0) return HC_HTTP_NEED_MORE; /* space before it */
      if (p->value_len < sizeof p->value) {
        p->value[p->value_len++] = c;
        if (c != ' ' && c != '\t') p->value_end = p->value_len; /* space after it is not kept */
      } else {
        p->overlong = 1;
      }
      return HC_HTTP_NEED_MORE;
    case S_CHUNK_SIZE: {
      const int d = (c >= '0' && c <= '9')   ? c - '0'
                    : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                    : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                             : -1;
      if (d >= 0) {
        /* 16 digits at most, leading zeros included: a size line is bounded too. */
        if (p->digits == 16) return fail(p, HC_HTTP_BAD_CHUNK);
        p->remaining = p->remaining * 16u + (unsigned)d;
        ++p->digits;
        return HC_HTTP_NEED_MORE;
      }
      if (p->digits == 0 || (c != ';' && c != ' ' && c != '\t')) return fail(p, HC_HTTP_BAD_CHUNK);
      p->state = S_CHUNK_EXT;
      p->line_pos = 0;
      return HC_HTTP_NEED_MORE;
    }
    case S_CHUNK_EXT:
      /* Extensions are not used; they are skipped, within a bound. */
      if (++p->line_pos > 1024) return fail(p, HC_HTTP_BAD_CHUNK);
      return HC_HTTP_NEED_MORE;
    case S_CHUNK_END:
      return fail(p, HC_HTTP_BAD_CHUNK);
    case S_TRAILER:
      p->line_pos = 1; /* a trailer line, ignored */
      return HC_HTTP_NEED_MORE;
    default:
      return fail(p, HC_HTTP_BAD_HEADER);
  }
}

hc_http_event hc_http_feed(hc_http* p, const char* in, size_t n, size_t* used, hc_span* body) {
  size_t i = 0;
  for (;;) {
    size_t take;
    switch (p->state) {
      case S_DONE:
        *used = i;
        return HC_HTTP_DONE;
      case S_ERROR:
        *used = i;
        return HC_HTTP_ERROR;
      case S_LENGTH:
      case S_CHUNK_DATA:
        if (p->remaining == 0) {
          p->state = p->state == S_LENGTH ? S_DONE : S_CHUNK_END;
          continue;
        }
        if (i == n) break;
        take = n - i;
        if ((uint64_t)take > p->remaining) take = (size_t)p->remaining;
        p->remaining -= take;
        body->at = in + i;
        body->len = take;
        *used = i + take;
        return HC_HTTP_BODY;
      case S_UNTIL_CLOSE:
        if (i == n) break;
        body->at = in + i;
        body->len = n - i;
        *used = n;
        return HC_HTTP_BODY;
      default:
        if (i == n) break;
        if (step(p, in[i++]) == HC_HTTP_HEAD) {
          *used = i;
          return HC_HTTP_HEAD;
        }
        continue;
    }
    *used = n;
    return HC_HTTP_NEED_MORE;
  }
}

void hc_http_unread(hc_http* p, size_t k) {
  /* A body span leaves the parser in its data state (the move on is made at the next
   * feed), so what was not used is owed again. */
  if (p->state == S_LENGTH || p->state == S_CHUNK_DATA) p->remaining += k;
}

hc_http_event hc_http_end(hc_http* p) {
  if (p->state == S_UNTIL_CLOSE || p->state == S_DONE) {
    p->state = S_DONE;
    return HC_HTTP_DONE;
  }
  if (p->state == S_ERROR) return HC_HTTP_ERROR;
  return fail(p, HC_HTTP_TRUNCATED);
}

const char* hc_http_strerror(hc_http_err err) {
  switch (err) {
    case HC_HTTP_OK:
      return "ok";
    case HC_HTTP_BAD_STATUS_LINE:
      return "malformed HTTP status line";
    case HC_HTTP_BAD_HEADER:
      return "malformed HTTP header";
    case HC_HTTP_HEAD_TOO_LARGE:
      return "HTTP response head too large";
    case HC_HTTP_BAD_LENGTH:
      return "invalid Content-Length";
    case HC_HTTP_BAD_CHUNK:
      return "malformed chunked body";
    case HC_HTTP_UNSUPPORTED_CODING:
      return "unsupported Transfer-Encoding";
    case HC_HTTP_TRUNCATED:
      return "the connection ended inside the response";
  }
  return "HTTP error";
}

/* Whether s can go into a head: no control characters (and, with no_space, no spaces). */
static int head_safe(const char* s, int no_space) {
  for (; *s != '\0'; ++s) {
    const unsigned char c = (unsigned char)*s;
    if (c < 0x20 || c == 0x7f || (no_space && c == ' ')) return 0;
  }
  return 1;
}

static void header(hc_out* o, const char* name, const char* value) {
  hc_out_str(o, name);
  hc_out_bytes(o, ": ", 2);
  hc_out_str(o, value);
  hc_out_bytes(o, "\r\n", 2);
}

size_t hc_http_request(char* out, size_t cap, const hc_request* r) {
  hc_out o;
  if (r->method == NULL || r->host == NULL || r->path == NULL || r->path[0] != '/' || !head_safe(r->method, 1) ||
      !head_safe(r->host, 1) || !head_safe(r->path, 1) ||
      (r->prefix != NULL && r->prefix[0] != '\0' && (r->prefix[0] != '/' || !head_safe(r->prefix, 1))) ||
      (r->token != NULL && !head_safe(r->token, 1)) || (r->user_agent != NULL && !head_safe(r->user_agent, 0)) ||
      (r->accept != NULL && !head_safe(r->accept, 0)) ||
      (r->extra_name != NULL &&
       (r->extra_value == NULL || !head_safe(r->extra_name, 1) || !head_safe(r->extra_value, 0)))) {
    if (cap > 0) out[0] = '\0';
    return 0;
  }
  hc_out_init(&o, out, cap);
  hc_out_str(&o, r->method);
  hc_out_bytes(&o, " ", 1);
  if (r->prefix != NULL) hc_out_str(&o, r->prefix);
  hc_out_str(&o, r->path);
  hc_out_bytes(&o, " HTTP/1.1\r\n", 11);
  header(&o, "Host", r->host);
  if (r->token != NULL) {
    hc_out_str(&o, "Authorization: Bearer ");
    hc_out_str(&o, r->token);
    hc_out_bytes(&o, "\r\n", 2);
  }
  if (r->user_agent != NULL) header(&o, "User-Agent", r->user_agent);
  if (r->accept != NULL) header(&o, "Accept", r->accept);
  if (r->extra_name != NULL) header(&o, r->extra_name, r->extra_value);
  if (r->close) header(&o, "Connection", "close");
  if (r->has_body) {
    header(&o, "Content-Type", "application/json");
    hc_out_str(&o, "Content-Length: ");
    hc_out_u64(&o, r->body_len);
    hc_out_bytes(&o, "\r\n", 2);
  }
  hc_out_bytes(&o, "\r\n", 2);
  return hc_out_end(&o);
}
