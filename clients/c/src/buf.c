#include "buf.h"

#include <stdlib.h>
#include <string.h>

void hl_buf_init(hl_buf* b, size_t max) {
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
  b->max = max;
}

int hl_buf_append(hl_buf* b, const char* bytes, size_t n) {
  if (n > b->max - b->len) return -1;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 64;
    char* grown;
    while (cap < b->len + n + 1) cap *= 2;
    if (cap > b->max + 1) cap = b->max + 1;
    grown = (char*)realloc(b->data, cap);
    if (grown == NULL) return -1;
    b->data = grown;
    b->cap = cap;
  }
  if (n > 0) memcpy(b->data + b->len, bytes, n);
  b->len += n;
  b->data[b->len] = '\0';
  return 0;
}

int hl_buf_push(hl_buf* b, char c) {
  return hl_buf_append(b, &c, 1);
}

void hl_buf_clear(hl_buf* b) {
  b->len = 0;
  if (b->data != NULL) b->data[0] = '\0';
}

void hl_buf_free(hl_buf* b) {
  free(b->data);
  hl_buf_init(b, b->max);
}
