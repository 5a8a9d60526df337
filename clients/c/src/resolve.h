/* A server's host name to its addresses: getaddrinfo, or, in a fully static build
 * (HENGE_STATIC), a resolver of libhenge's own, since glibc's NSS cannot be loaded into
 * a static program. Addresses written as such are taken as they are. */
#ifndef HL_RESOLVE_H
#define HL_RESOLVE_H

#include <stddef.h>
#include <sys/socket.h>

#define HL_MAX_ADDRESSES 8

typedef struct hl_address {
  struct sockaddr_storage addr;
  socklen_t len;
} hl_address;

/* Fills out with up to HL_MAX_ADDRESSES addresses of host (a name, or an IPv4 or IPv6
 * address) at port. Returns how many (> 0), or -1 with a message in err. */
int hl_resolve(const char* host, const char* port, hl_address out[HL_MAX_ADDRESSES], char* err, size_t errlen);

#endif
