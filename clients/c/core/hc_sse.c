#include "hc_sse.h"

#include <string.h>

enum { LINE_START, IN_FIELD, VALUE_START, IN_VALUE, IN_COMMENT };
enum { FIELD_OTHER, FIELD_DATA, FIELD_EVENT, FIELD_ID, FIELD_RETRY };

void hc_sse_init(hc_sse* p, char* buf, size_t cap) {
  memset(p, 0, sizeof *p);
  p->buf = buf;
  p->cap = cap;
  p->retry_ms = HC_SSE_NO_RETRY;
}

uint32_t hc_sse_retry_ms(const hc_sse* p) {
  return p->retry_ms;
}

static void data_byte(hc_sse* p, char c) {
  if (p->oversized > 0) {
    ++p->oversized;
  } else if (p->len == p->cap) {
    p->oversized = p->len + 1;
  } else {
    p->buf[p->len++] = c;
  }
}

/* The line's field name is complete: which field it is, and its value starts. */
static void begin_value(hc_sse* p) {
  static const char* const names[] = {"data", "event", "id", "retry"};
  unsigned i;
  p->which = FIELD_OTHER;
  for (i = 0; i < 4; ++i) {
    if (p->field_len == strlen(names[i]) && memcmp(p->field, names[i], p->field_len) == 0) {
      p->which = (unsigned char)(FIELD_DATA + i);
    }
  }
  p->bad = 0;
  if (p->which == FIELD_EVENT) p->type_len = 0;
  if (p->which == FIELD_ID) p->new_id_len = 0;
  if (p->which == FIELD_RETRY) {
    p->retry_value = 0;
    p->bad = 1; /* until a digit arrives */
  }
}

static void value_byte(hc_sse* p, char c) {
  switch (p->which) {
    case FIELD_DATA:
      data_byte(p, c);
      break;
    case FIELD_EVENT:
      if (p->type_len < HC_SSE_MAX_TYPE) {
        p->type[p->type_len++] = c;
      } else {
        p->bad = 1;
      }
      break;
    case FIELD_ID:
      if (c == '\0') p->bad = 2; /* an id with a NUL is ignored, as the format says */
      if (p->new_id_len < HC_SSE_MAX_ID) {
        p->new_id[p->new_id_len++] = c;
      } else if (p->bad == 0) {
        p->bad = 1;
      }
      break;
    case FIELD_RETRY:
      if (c < '0' || c > '9' || p->retry_value >= 100000000u || p->bad == 2) {
        p->bad = 2; /* not digits, or over 9 of them */
      } else {
        p->retry_value = p->retry_value * 10u + (uint32_t)(c - '0');
        p->bad = 0;
      }
      break;
    default:
      break;
  }
}

/* A line ended. Returns 1 when it dispatched an event into *ev. */
static int end_line(hc_sse* p, hc_sse_event* ev) {
  const unsigned char state = p->state;
  p->state = LINE_START;
  if (state == LINE_START) { /* a blank line dispatches the event, if it has data */
    if (p->len == 0 && p->oversized == 0) {
      p->type_len = 0;
      p->type_long = 0;
      p->id_seen = 0;
      return 0;
    }
    p->type[p->type_len] = '\0';
    p->id[p->id_len] = '\0';
    ev->type = p->type_len > 0 ? p->type : (p->type_long ? "" : "message");
    ev->id = p->id;
    ev->id_in_event = p->id_seen;
    if (p->oversized > 0) {
      ev->data = NULL;
      ev->len = p->oversized;
    } else {
      p->buf[p->len - 1] = '\0'; /* the last data line's '\n' is not data */
      ev->data = p->buf;
      ev->len = p->len - 1;
    }
    p->dispatched = 1;
    return 1;
  }
  if (state == IN_COMMENT) return 0;
  if (state == IN_FIELD) begin_value(p); /* no colon: the line is a name with no value */
  switch (p->which) {
    case FIELD_DATA:
      data_byte(p, '\n');
      break;
    case FIELD_EVENT:
      p->type_long = p->bad; /* a name too long: the event's type is "" */
      if (p->bad) p->type_len = 0;
      break;
    case FIELD_ID:
      p->id_seen = 1;
      if (p->bad != 2) {
        p->id_len = p->bad ? 0 : p->new_id_len;
        memcpy(p->id, p->new_id, p->id_len);
      }
      break;
    case FIELD_RETRY:
      if (p->bad == 0) p->retry_ms = p->retry_value;
      break;
    default:
      break;
  }
  p->bad = 0;
  return 0;
}

static void take_byte(hc_sse* p, char c) {
  switch (p->state) {
    case LINE_START:
      if (c == ':') {
        p->state = IN_COMMENT;
        return;
      }
      p->field_len = 0;
      p->state = IN_FIELD;
      /* fall through */
    case IN_FIELD:
      if (c == ':') {
        begin_value(p);
        p->state = VALUE_START;
      } else if (p->field_len < sizeof p->field) {
        p->field[p->field_len++] = c; /* a name of 6 or more bytes is no field of ours */
      }
      return;
    case VALUE_START:
      p->state = IN_VALUE;
      if (c == ' ') return; /* one space after the colon is not part of the value */
      /* fall through */
    case IN_VALUE:
      value_byte(p, c);
      return;
    default:
      return;
  }
}

int hc_sse_feed(hc_sse* p, const char* bytes, size_t n, size_t* used, hc_sse_event* ev) {
  static const unsigned char bom[3] = {0xEF, 0xBB, 0xBF};
  size_t i = 0;
  if (p->dispatched) {
    p->dispatched = 0;
    p->len = 0;
    p->oversized = 0;
    p->type_len = 0;
    p->type_long = 0;
    p->id_seen = 0;
  }
  /* A UTF-8 byte-order mark may open the stream, possibly split; it is dropped. */
  while (p->bom < 3 && i < n) {
    if ((unsigned char)bytes[i] == bom[p->bom]) {
      ++p->bom;
      ++i;
      continue;
    }
    {
      unsigned k; /* not a mark after all: its bytes are the line's */
      for (k = 0; k < p->bom; ++k) take_byte(p, (char)bom[k]);
    }
    p->bom = 3;
  }
  for (; i < n; ++i) {
    const char c = bytes[i];
    if (p->saw_cr) {
      p->saw_cr = 0;
      if (c == '\n') continue;
    }
    if (c == '\r' || c == '\n') {
      p->saw_cr = c == '\r';
      if (end_line(p, ev)) {
        *used = i + 1;
        return 1;
      }
    } else {
      take_byte(p, c);
    }
  }
  *used = n;
  return 0;
}
