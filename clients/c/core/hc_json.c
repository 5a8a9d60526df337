#include "hc_json.h"

#include <string.h>

#define BAD ((size_t)-1)

static int is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t skip_space(const char* t, size_t len, size_t i) {
  while (i < len && is_space(t[i])) ++i;
  return i;
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* The four hex digits at t[i..i+4) as a number, or -1. */
static long hex4(const char* t, size_t len, size_t i) {
  long v = 0;
  size_t k;
  if (len < 4 || i > len - 4) return -1;
  for (k = 0; k < 4; ++k) {
    const int d = hex_value(t[i + k]);
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/* The string opening at t[i] == '"'; returns the index after its closing quote. */
static size_t scan_string(const char* t, size_t len, size_t i) {
  ++i;
  while (i < len) {
    const unsigned char c = (unsigned char)t[i];
    if (c == '"') return i + 1;
    if (c < 0x20) return BAD;
    if (c != '\\') {
      ++i;
      continue;
    }
    if (++i >= len) return BAD;
    switch (t[i]) {
      case '"':
      case '\\':
      case '/':
      case 'b':
      case 'f':
      case 'n':
      case 'r':
      case 't':
        ++i;
        break;
      case 'u': {
        const long unit = hex4(t, len, i + 1);
        if (unit < 0 || (unit >= 0xDC00 && unit <= 0xDFFF)) return BAD; /* a lone low surrogate */
        i += 5;
        if (unit >= 0xD800 && unit <= 0xDBFF) { /* a high surrogate: its low half must follow */
          long low;
          if (len - i < 6 || t[i] != '\\' || t[i + 1] != 'u') return BAD;
          low = hex4(t, len, i + 2);
          if (low < 0xDC00 || low > 0xDFFF) return BAD;
          i += 6;
        }
        break;
      }
      default:
        return BAD;
    }
  }
  return BAD;
}

static size_t scan_digits(const char* t, size_t len, size_t i) {
  const size_t start = i;
  while (i < len && t[i] >= '0' && t[i] <= '9') ++i;
  return i > start ? i : BAD;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static size_t scan_number(const char* t, size_t len, size_t i) {
  if (i < len && t[i] == '-') ++i;
  if (i < len && t[i] == '0') {
    ++i;
  } else {
    i = scan_digits(t, len, i);
    if (i == BAD) return BAD;
  }
  if (i < len && t[i] == '.') {
    i = scan_digits(t, len, i + 1);
    if (i == BAD) return BAD;
  }
  if (i < len && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < len && (t[i] == '+' || t[i] == '-')) ++i;
    i = scan_digits(t, len, i);
  }
  return i;
}

static size_t scan_word(const char* t, size_t len, size_t i, const char* word, size_t n) {
  return len - i >= n && memcmp(t + i, word, n) == 0 ? i + n : BAD;
}

/* A member's key and its colon, from t[i] (whitespace before the key allowed); returns
 * the index after the colon. */
static size_t scan_key(const char* t, size_t len, size_t i) {
  i = skip_space(t, len, i);
  if (i >= len || t[i] != '"') return BAD;
  i = scan_string(t, len, i);
  if (i == BAD) return BAD;
  i = skip_space(t, len, i);
  return i < len && t[i] == ':' ? i + 1 : BAD;
}

/* The value starting at t[i] (no whitespace before it); returns the index after it.
 * Containers are walked with a bit a level (object or array), not recursion. */
static size_t scan_value(const char* t, size_t len, size_t i) {
  unsigned char is_object[HC_JSON_MAX_DEPTH / 8] = {0};
  unsigned depth = 0;
  for (;;) {
    /* A value starts at i. */
    if (i >= len) return BAD;
    switch (t[i]) {
      case '{':
      case '[': {
        const int object = t[i] == '{';
        if (depth == HC_JSON_MAX_DEPTH) return BAD;
        if (object) {
          is_object[depth / 8] = (unsigned char)(is_object[depth / 8] | (1u << (depth % 8)));
        } else {
          is_object[depth / 8] = (unsigned char)(is_object[depth / 8] & ~(1u << (depth % 8)));
        }
        ++depth;
        i = skip_space(t, len, i + 1);
        if (i < len && t[i] == (object ? '}' : ']')) {
          --depth;
          ++i;
          break; /* an empty container is a whole value */
        }
        if (object) i = scan_key(t, len, i);
        if (i == BAD) return BAD;
        i = skip_space(t, len, i);
        continue; /* its first value */
      }
      case '"':
        i = scan_string(t, len, i);
        break;
      case 't':
        i = scan_word(t, len, i, "true", 4);
        break;
      case 'f':
        i = scan_word(t, len, i, "false", 5);
        break;
      case 'n':
        i = scan_word(t, len, i, "null", 4);
        break;
      default:
        i = (t[i] == '-' || (t[i] >= '0' && t[i] <= '9')) ? scan_number(t, len, i) : BAD;
        break;
    }
    if (i == BAD) return BAD;
    /* A value ended at i: close what it ends, or go on to the next value. */
    for (;;) {
      int object;
      if (depth == 0) return i;
      object = (int)(((unsigned)is_object[(depth - 1) / 8] >> ((depth - 1) % 8)) & 1u);
      i = skip_space(t, len, i);
      if (i >= len) return BAD;
      if (t[i] == (object ? '}' : ']')) {
        --depth;
        ++i;
        continue;
      }
      if (t[i] != ',') return BAD;
      i = object ? scan_key(t, len, i + 1) : i + 1;
      if (i == BAD) return BAD;
      i = skip_space(t, len, i);
      break;
    }
  }
}

int hc_json_valid(const char* text, size_t len) {
  size_t i = skip_space(text, len, 0);
  i = scan_value(text, len, i);
  return i != BAD && skip_space(text, len, i) == len;
}

int hc_json_members_begin(hc_json_members* m, const char* text, size_t len) {
  const size_t i = skip_space(text, len, 0);
  m->text = text;
  m->len = len;
  m->pos = i + 1;
  m->started = 0;
  return i < len && text[i] == '{' ? 0 : -1;
}

int hc_json_members_next(hc_json_members* m, hc_span* key, hc_span* value) {
  const char* t = m->text;
  size_t i, key_end;
  if (m->pos == BAD) return -1;
  i = skip_space(t, m->len, m->pos);
  if (i < m->len && t[i] == '}') {
    m->pos = BAD; /* once ended, the iterator stays ended */
    return skip_space(t, m->len, i + 1) == m->len ? 0 : -1;
  }
  if (m->started) {
    if (i >= m->len || t[i] != ',') return -1;
    i = skip_space(t, m->len, i + 1);
  }
  m->started = 1;
  if (i >= m->len || t[i] != '"') return -1;
  key_end = scan_string(t, m->len, i);
  if (key_end == BAD) return -1;
  key->at = t + i + 1;
  key->len = key_end - i - 2;
  i = scan_key(t, m->len, i);
  if (i == BAD) return -1;
  i = skip_space(t, m->len, i);
  value->at = t + i;
  i = scan_value(t, m->len, i);
  if (i == BAD) return -1;
  value->len = (size_t)(t + i - value->at);
  m->pos = i;
  return 1;
}

int hc_json_get(const char* text, size_t len, const char* key, hc_span* value) {
  hc_json_members m;
  hc_span k, v;
  int rc, found = 0;
  if (hc_json_members_begin(&m, text, len) != 0) return -1;
  while ((rc = hc_json_members_next(&m, &k, &v)) == 1) {
    if (!found && hc_json_raw_is(k, key)) {
      *value = v;
      found = 1;
    }
  }
  return rc < 0 ? -1 : found;
}

/* The next character of raw string bytes (from a checked text) at *i: a byte as it is
 * (*escaped 0), or an escape's code point, a surrogate pair as one (*escaped 1).
 * Returns -1 for a malformed escape. */
static long next_char(hc_span s, size_t* i, int* escaped) {
  long unit, low;
  const char c = s.at[*i];
  *escaped = c == '\\';
  if (!*escaped) {
    ++*i;
    return (unsigned char)c;
  }
  if (*i + 1 >= s.len) return -1;
  *i += 2;
  switch (s.at[*i - 1]) {
    case 'b':
      return '\b';
    case 'f':
      return '\f';
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    case '"':
      return '"';
    case '\\':
      return '\\';
    case '/':
      return '/';
    case 'u':
      break;
    default:
      return -1;
  }
  unit = hex4(s.at, s.len, *i);
  if (unit < 0 || (unit >= 0xDC00 && unit <= 0xDFFF)) return -1;
  *i += 4;
  if (unit < 0xD800 || unit > 0xDBFF) return unit;
  low = (s.len - *i >= 6 && s.at[*i] == '\\' && s.at[*i + 1] == 'u') ? hex4(s.at, s.len, *i + 2) : -1;
  if (low < 0xDC00 || low > 0xDFFF) return -1;
  *i += 6;
  return 0x10000L + ((unit - 0xD800L) << 10) + (low - 0xDC00L);
}

int hc_json_raw_is(hc_span s, const char* word) {
  size_t i = 0, w = 0;
  while (i < s.len) {
    int escaped;
    const long c = next_char(s, &i, &escaped);
    /* The words are ASCII: an escape of anything else matches none of them. */
    if (c < 0 || (escaped && c >= 0x80) || word[w] == '\0' || (unsigned char)word[w] != c) return 0;
    ++w;
  }
  return word[w] == '\0';
}

/* Writes the character cp as UTF-8. */
static void out_utf8(hc_out* o, unsigned long cp) {
  char b[4];
  size_t n;
  if (cp < 0x80) {
    b[0] = (char)cp;
    n = 1;
  } else if (cp < 0x800) {
    b[0] = (char)(0xC0 | (cp >> 6));
    b[1] = (char)(0x80 | (cp & 0x3F));
    n = 2;
  } else if (cp < 0x10000) {
    b[0] = (char)(0xE0 | (cp >> 12));
    b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    b[2] = (char)(0x80 | (cp & 0x3F));
    n = 3;
  } else {
    b[0] = (char)(0xF0 | (cp >> 18));
    b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    b[3] = (char)(0x80 | (cp & 0x3F));
    n = 4;
  }
  hc_out_bytes(o, b, n);
}

int hc_json_unescape(hc_span s, hc_out* o) {
  size_t i = 0;
  while (i < s.len) {
    int escaped;
    const long c = next_char(s, &i, &escaped);
    if (c < 0) return -1;
    if (escaped) {
      out_utf8(o, (unsigned long)c);
    } else {
      const char byte = (char)c;
      hc_out_bytes(o, &byte, 1);
    }
  }
  return 0;
}

/* The element at index in the array value (checked), or 0 when it has fewer. */
static int array_element(hc_span array, unsigned long index, hc_span* value) {
  const char* t = array.at;
  size_t i = skip_space(t, array.len, 1);
  unsigned long k = 0;
  if (i < array.len && t[i] == ']') return 0;
  for (;;) {
    const size_t start = i;
    i = scan_value(t, array.len, i);
    if (i == BAD) return 0;
    if (k++ == index) {
      value->at = t + start;
      value->len = i - start;
      return 1;
    }
    i = skip_space(t, array.len, i);
    if (i >= array.len || t[i] != ',') return 0;
    i = skip_space(t, array.len, i + 1);
  }
}

/* The member named token[0..n) of the object value (checked), or 0. */
static int object_member(hc_span object, const char* token, size_t n, hc_span* value) {
  hc_json_members m;
  hc_span key, v;
  (void)hc_json_members_begin(&m, object.at, object.len);
  while (hc_json_members_next(&m, &key, &v) == 1) {
    char decoded[256];
    hc_out o;
    hc_out_init(&o, decoded, sizeof decoded);
    if (hc_json_unescape(key, &o) == 0 && !o.overflow && o.len == n && memcmp(decoded, token, n) == 0) {
      *value = v;
      return 1;
    }
  }
  return 0;
}

int hc_json_pointer(const char* text, size_t len, const char* pointer, hc_span* value) {
  hc_span at;
  size_t i = 0;
  if (!hc_json_valid(text, len)) return -1;
  at.at = text + skip_space(text, len, 0);
  at.len = (size_t)(text + len - at.at);
  while (at.len > 0 && is_space(at.at[at.len - 1])) --at.len;
  if (pointer[0] != '\0' && pointer[0] != '/') return -1;
  while (pointer[i] == '/') {
    char token[256];
    size_t n = 0;
    ++i;
    for (; pointer[i] != '\0' && pointer[i] != '/'; ++i) {
      char c = pointer[i];
      if (c == '~') {
        c = pointer[i + 1] == '0' ? '~' : pointer[i + 1] == '1' ? '/' : '\0';
        if (c == '\0') return -1;
        ++i;
      }
      if (n == sizeof token - 1) return -1;
      token[n++] = c;
    }
    if (at.at[0] == '{') {
      if (!object_member(at, token, n, &at)) return 0;
    } else if (at.at[0] == '[') {
      uint64_t index;
      if ((n > 1 && token[0] == '0') || hc_parse_u64(token, n, 0xFFFFFFFFu, &index) != 0) return 0;
      if (!array_element(at, (unsigned long)index, &at)) return 0;
    } else {
      return 0; /* a scalar has no members */
    }
  }
  *value = at;
  return 1;
}

int hc_json_string_raw(hc_span value, hc_span* raw) {
  if (value.len < 2 || value.at[0] != '"') return -1;
  raw->at = value.at + 1;
  raw->len = value.len - 2;
  return 0;
}

hc_json_kind hc_json_kind_of(hc_span value) {
  switch (value.len > 0 ? value.at[0] : 'n') {
    case '{':
      return HC_JSON_OBJECT;
    case '[':
      return HC_JSON_ARRAY;
    case '"':
      return HC_JSON_STRING;
    case 't':
      return HC_JSON_TRUE;
    case 'f':
      return HC_JSON_FALSE;
    case 'n':
      return HC_JSON_NULL;
    default:
      return HC_JSON_NUMBER;
  }
}

int hc_json_flag(const char* text, size_t len, const char* pointer) {
  hc_span value;
  const int found = hc_json_pointer(text, len, pointer, &value);
  if (found == 0) return 0;
  if (found < 0) return -1;
  if (hc_json_kind_of(value) == HC_JSON_TRUE) return 1;
  return hc_json_kind_of(value) == HC_JSON_FALSE ? 0 : -1;
}
