/* HTTP/1.1 for a device client, without I/O: a request writer and an incremental
 * response parser. The parser takes the bytes as they arrive, split anywhere; it keeps
 * only what the protocol needs of the head (the status, the framing, ETag, Retry-After,
 * Connection: close), never the head itself, and hands the body out as spans of the
 * input, with chunked framing removed. */
#ifndef HC_HTTP_H
#define HC_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "hc_text.h"

#define HC_HTTP_MAX_HEAD 8192          /* bytes of a response head (and of chunk trailers) */
#define HC_HTTP_MAX_RETRY_AFTER 86400u /* Retry-After is capped at a day */

/* What went wrong with a response. Numbers are never reused. */
typedef enum hc_http_err {
  HC_HTTP_OK = 0,
  HC_HTTP_BAD_STATUS_LINE = 1,
  HC_HTTP_BAD_HEADER = 2,         /* a malformed header line (or an obsolete line fold) */
  HC_HTTP_HEAD_TOO_LARGE = 3,     /* over HC_HTTP_MAX_HEAD */
  HC_HTTP_BAD_LENGTH = 4,         /* a Content-Length that is not one number */
  HC_HTTP_BAD_CHUNK = 5,          /* chunked framing broken */
  HC_HTTP_UNSUPPORTED_CODING = 6, /* a Transfer-Encoding other than chunked */
  HC_HTTP_TRUNCATED = 7           /* the connection ended inside the response */
} hc_http_err;

/* What a call to hc_http_feed produced. */
typedef enum hc_http_event {
  HC_HTTP_NEED_MORE = 0, /* every byte was taken; the response goes on */
  HC_HTTP_HEAD = 1,      /* the head is complete: status and headers can be read */
  HC_HTTP_BODY = 2,      /* *body holds the next bytes of the body */
  HC_HTTP_DONE = 3,      /* the response is complete */
  HC_HTTP_ERROR = 4      /* see err; the connection is not to be used again */
} hc_http_event;

typedef struct hc_http {
  uint64_t content_length; /* UINT64_MAX: none given */
  uint64_t remaining;      /* of the body, or of the chunk being read */
  uint64_t etag_revision;  /* the revision of an ETag "N" (or W/"N"); 0: none */
  uint32_t retry_after_s;  /* Retry-After in seconds (capped); 0: none */
  unsigned status;
  hc_http_err err;
  unsigned char state;
  unsigned char chunked;
  unsigned char close;    /* Connection: close, or a body that ends with the connection */
  unsigned char no_body;  /* the request was HEAD */
  unsigned char cr;       /* a '\r' was read: a '\n' must follow */
  unsigned char digits;   /* hex digits of the chunk size being read */
  unsigned char header;   /* which header's value is being read */
  unsigned char overlong; /* the value being read passed the buffer */
  unsigned char name_len, value_len, value_end;
  unsigned short line_pos; /* position in the status line, or in a chunk line */
  size_t head_bytes;
  char name[18];
  char value[24];
} hc_http;

/* Starts on a new response. no_body: the request was HEAD (no body whatever the
 * head says); otherwise 0. */
void hc_http_init(hc_http* p, int no_body);
/* Feeds in[0..n). Returns the next event, with *used the bytes it took (feed the rest
 * again, even when none are left: after HC_HTTP_HEAD the next call may be DONE). A
 * HC_HTTP_BODY's bytes are in *body, pointing into in. */
hc_http_event hc_http_feed(hc_http* p, const char* in, size_t n, size_t* used, hc_span* body);
/* Gives back the last k bytes of the HC_HTTP_BODY span just returned, which the caller
 * did not use: they are to be fed again. */
void hc_http_unread(hc_http* p, size_t k);
/* The connection ended. Returns HC_HTTP_DONE when that completes the response (a
 * body that runs to the close, or one already complete), else HC_HTTP_ERROR with err
 * HC_HTTP_TRUNCATED. */
hc_http_event hc_http_end(hc_http* p);
/* A static sentence for an error. */
const char* hc_http_strerror(hc_http_err err);

/* A request head to write. */
typedef struct hc_request {
  const char* method;     /* "GET" or "POST" */
  const char* host;       /* the Host header: "name" or "name:port" */
  const char* prefix;     /* a path the API sits under, written before path ("/api"); NULL: none */
  const char* path;       /* starts with '/' */
  const char* token;      /* sent as "Authorization: Bearer <token>"; NULL: none */
  const char* user_agent; /* NULL: none */
  const char* accept;     /* NULL: none */
  const char* extra_name; /* one more header ("Last-Event-ID", "If-None-Match"); NULL: none */
  const char* extra_value;
  int has_body; /* a JSON body of body_len bytes follows the head */
  size_t body_len;
  int close; /* "Connection: close": one request on this connection */
} hc_request;

/* Writes the request's head into out[0..cap), NUL-terminated. Returns its length, or
 * 0 when it did not fit, a required field is missing, or a field holds a byte that
 * would break the head (a control character). */
size_t hc_http_request(char* out, size_t cap, const hc_request* r);

#endif
