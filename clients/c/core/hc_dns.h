/* DNS without a resolver (RFC 1035): a query for a host's A or AAAA records, and the
 * addresses in the answer. For clients that cannot use the system's resolver: a fully
 * static Linux binary (no NSS), or a board whose network stack has none. */
#ifndef HC_DNS_H
#define HC_DNS_H

#include <stddef.h>
#include <stdint.h>

#define HC_DNS_A 1             /* IPv4 addresses, 4 bytes each */
#define HC_DNS_AAAA 28         /* IPv6 addresses, 16 bytes each */
#define HC_DNS_MAX_MESSAGE 512 /* what a UDP answer holds without EDNS */

/* Writes a query (recursion desired) with the id for name's records of type into out.
 * Returns its length, or 0 when name is not a host name (labels of 1 to 63 letters,
 * digits, '-' or '_', 253 bytes at most, a final dot allowed) or it does not fit. */
size_t hc_dns_query(unsigned char* out, size_t cap, uint16_t id, const char* name, uint16_t type);

/* Reads the answer msg[0..len) to the query with the id for records of type: copies up
 * to max addresses (4 or 16 bytes each) into addrs. Returns how many (0 when the name
 * has none of that type), -1 when the message is malformed or not that answer, -2
 * when the server says the name does not exist, -3 for any other failure it reports. */
int hc_dns_answer(const unsigned char* msg, size_t len, uint16_t id, uint16_t type, unsigned char* addrs, int max);

#endif
