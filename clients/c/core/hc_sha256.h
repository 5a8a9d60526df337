/* SHA-256 (FIPS 180-4): a config is checked against its hash without a crypto library. */
#ifndef HC_SHA256_H
#define HC_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct hc_sha256 {
  uint32_t state[8];
  uint64_t length; /* bytes hashed so far */
  unsigned char block[64];
  size_t used; /* bytes waiting in block */
} hc_sha256;

void hc_sha256_init(hc_sha256* ctx);
void hc_sha256_update(hc_sha256* ctx, const void* data, size_t len);
/* Writes 64 lower-case hex digits and a NUL to hex. */
void hc_sha256_final_hex(hc_sha256* ctx, char hex[65]);
/* The hex digest of one buffer. */
void hc_sha256_hex(const void* data, size_t len, char hex[65]);

#endif
