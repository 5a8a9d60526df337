#include "sse.h"

#include <string.h>

void henge_sse_init(henge_sse* p, size_t max_bytes) {
  henge_buf_init(&p->line, max_bytes);
  henge_buf_init(&p->type, 256);
  henge_buf_init(&p->data, max_bytes);
  henge_buf_init(&p->id, 256);
  p->retry_ms = -1;
  p->saw_cr = 0;
  p->bom_state = 0;
  p->broken = 0;
  p->skipping = 0;
  p->oversized = 0;
}

void henge_sse_free(henge_sse* p) {
  henge_buf_free(&p->line);
  henge_buf_free(&p->type);
  henge_buf_free(&p->data);
  henge_buf_free(&p->id);
}

static int parse_retry(const char* value, size_t n, long* out) {
  long ms = 0;
  size_t i;
  if (n == 0 || n > 9) return -1;
  for (i = 0; i < n; ++i) {
    if (value[i] < '0' || value[i] > '9') return -1;
    ms = ms * 10 + (value[i] - '0');
  }
  *out = ms;
  return 0;
}

/* The event in progress passed the limit by n more bytes: its data is dropped. */
static void grow_oversized(henge_sse* p, size_t n) {
  p->oversized = (p->oversized > p->data.len ? p->oversized : p->data.len) + n;
  henge_buf_clear(&p->data);
}

/* Handles one complete line; returns like henge_sse_feed. */
static int on_line(henge_sse* p, henge_sse_event_fn fn, void* user) {
  const char* line = p->line.data != NULL ? p->line.data : "";
  const size_t len = p->line.len;
  const char* colon;
  const char* value = "";
  size_t field_len = len;
  size_t value_len = 0;

  if (len == 0) { /* a blank line dispatches the event, if it has data */
    int stop = 0;
    if (p->oversized > 0) {
      stop = fn(user, p->type.len ? p->type.data : "message", NULL, p->oversized, p->id.len ? p->id.data : "");
    } else if (p->data.len > 0) {
      p->data.len -= 1; /* every data line appended a '\n'; the last one is not data */
      p->data.data[p->data.len] = '\0';
      stop = fn(user, p->type.len ? p->type.data : "message", p->data.data, p->data.len, p->id.len ? p->id.data : "");
    }
    henge_buf_clear(&p->data);
    henge_buf_clear(&p->type);
    p->oversized = 0;
    return stop ? 1 : 0;
  }
  if (line[0] == ':') return 0; /* a comment, such as a keepalive */
  colon = (const char*)memchr(line, ':', len);
  if (colon != NULL) {
    field_len = (size_t)(colon - line);
    value = colon + 1;
    value_len = len - field_len - 1;
    if (value_len > 0 && value[0] == ' ') {
      ++value;
      --value_len;
    }
  }
  if (field_len == 5 && memcmp(line, "event", 5) == 0) {
    henge_buf_clear(&p->type);
    if (value_len > p->type.max) {
      grow_oversized(p, len);
    } else if (henge_buf_append(&p->type, value, value_len) != 0) {
      return -1;
    }
  } else if (field_len == 4 && memcmp(line, "data", 4) == 0) {
    if (p->oversized > 0 || p->data.len + value_len + 1 > p->data.max) {
      grow_oversized(p, value_len + 1);
    } else if (henge_buf_append(&p->data, value, value_len) != 0 || henge_buf_push(&p->data, '\n') != 0) {
      return -1;
    }
  } else if (field_len == 2 && memcmp(line, "id", 2) == 0) {
    if (value_len > p->id.max) {
      grow_oversized(p, len);
    } else if (memchr(value, '\0', value_len) == NULL) {
      henge_buf_clear(&p->id);
      if (henge_buf_append(&p->id, value, value_len) != 0) return -1;
    }
  } else if (field_len == 5 && memcmp(line, "retry", 5) == 0) {
    long ms;
    if (parse_retry(value, value_len, &ms) == 0) p->retry_ms = ms;
  }
  /* Any other field is ignored, as the format requires. */
  return 0;
}

int henge_sse_feed(henge_sse* p, const char* bytes, size_t n, henge_sse_event_fn fn, void* user) {
  static const unsigned char bom[3] = {0xEF, 0xBB, 0xBF};
  size_t i = 0;
  if (p->broken) return -1;
  /* A UTF-8 byte-order mark may open the stream, possibly split; it is dropped. */
  while (p->bom_state < 3 && i < n) {
    if ((unsigned char)bytes[i] == bom[p->bom_state]) {
      ++p->bom_state;
      ++i;
      continue;
    }
    if (p->bom_state > 0 && henge_buf_append(&p->line, (const char*)bom, (size_t)p->bom_state) != 0) {
      p->broken = 1;
      return -1;
    }
    p->bom_state = 3;
  }
  for (; i < n; ++i) {
    const char c = bytes[i];
    if (p->saw_cr) {
      p->saw_cr = 0;
      if (c == '\n') continue;
    }
    if (c == '\r' || c == '\n') {
      int rc = 0;
      p->saw_cr = c == '\r';
      if (p->skipping > 0) { /* whatever field it was, the event is not kept whole */
        grow_oversized(p, p->skipping);
        p->skipping = 0;
      } else {
        rc = on_line(p, fn, user);
      }
      henge_buf_clear(&p->line);
      if (rc < 0) p->broken = 1;
      if (rc != 0) return rc;
      continue;
    }
    if (p->skipping > 0) {
      ++p->skipping;
    } else if (p->line.len >= p->line.max) {
      p->skipping = p->line.len + 1;
    } else if (henge_buf_push(&p->line, c) != 0) {
      p->broken = 1;
      return -1;
    }
  }
  return 0;
}
