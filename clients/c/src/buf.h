/* A growable byte buffer with a hard maximum: every buffer of libhenge has one. */
#ifndef HL_BUF_H
#define HL_BUF_H

#include <stddef.h>

typedef struct hl_buf {
  char* data; /* NUL-terminated when not NULL */
  size_t len;
  size_t cap;
  size_t max; /* len never exceeds it */
} hl_buf;

void hl_buf_init(hl_buf* b, size_t max);
/* 0 on success; -1 when it would pass the maximum or memory ran out (b unchanged). */
int hl_buf_append(hl_buf* b, const char* bytes, size_t n);
int hl_buf_push(hl_buf* b, char c);
void hl_buf_clear(hl_buf* b);
void hl_buf_free(hl_buf* b);

#endif
