/* SHA-256 (FIPS 180-4), for checking a config's hash without a crypto library. */
#ifndef HENGE_SHA256_H
#define HENGE_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct henge_sha256 {
  uint32_t state[8];
  uint64_t length; /* bytes hashed so far */
  unsigned char block[64];
  size_t used; /* bytes waiting in block */
} henge_sha256;

void henge_sha256_init(henge_sha256* ctx);
void henge_sha256_update(henge_sha256* ctx, const void* data, size_t len);
/* Writes 64 lower-case hex digits and a NUL to hex. */
void henge_sha256_final_hex(henge_sha256* ctx, char hex[65]);
/* The hex digest of one buffer. */
void henge_sha256_hex(const void* data, size_t len, char hex[65]);

#endif
