/* A growable byte buffer with a hard maximum: every buffer of libhenge has one. */
#ifndef HENGE_BUF_H
#define HENGE_BUF_H

#include <stddef.h>

typedef struct henge_buf {
  char* data; /* NUL-terminated when not NULL */
  size_t len;
  size_t cap;
  size_t max; /* len never exceeds it */
} henge_buf;

void henge_buf_init(henge_buf* b, size_t max);
/* 0 on success; -1 when it would pass the maximum or memory ran out (b unchanged). */
int henge_buf_append(henge_buf* b, const char* bytes, size_t n);
int henge_buf_push(henge_buf* b, char c);
void henge_buf_clear(henge_buf* b);
void henge_buf_free(henge_buf* b);

#endif
