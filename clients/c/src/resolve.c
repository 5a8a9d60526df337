#include "resolve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hc_dns.h"

#define HOSTS_FILE "/etc/hosts"
#define RESOLV_CONF "/etc/resolv.conf"
#define DNS_WAIT_MS 2000 /* for each server and query, as glibc's default */

/* host as an IPv4 or IPv6 address; 1 when it is one. */
static int numeric(const char* host, unsigned short port, hl_address* a) {
  struct sockaddr_in* v4 = (struct sockaddr_in*)&a->addr;
  struct sockaddr_in6* v6 = (struct sockaddr_in6*)&a->addr;
  memset(a, 0, sizeof *a);
  if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    a->len = sizeof *v4;
    return 1;
  }
  if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    a->len = sizeof *v6;
    return 1;
  }
  return 0;
}

#ifdef HENGE_STATIC

static int same_name(const char* a, const char* b) {
  for (; *a != '\0' && *b != '\0'; ++a, ++b) {
    const char x = (*a >= 'A' && *a <= 'Z') ? (char)(*a + 32) : *a;
    const char y = (*b >= 'A' && *b <= 'Z') ? (char)(*b + 32) : *b;
    if (x != y) return 0;
  }
  return *a == *b;
}

/* The addresses /etc/hosts gives host. */
static int from_hosts(const char* host, unsigned short port, hl_address* out) {
  char line[1024];
  int n = 0;
  FILE* f = fopen(HOSTS_FILE, "r");
  if (f == NULL) return 0;
  while (n < HL_MAX_ADDRESSES && fgets(line, sizeof line, f) != NULL) {
    char* save = NULL;
    char* address;
    char* name;
    line[strcspn(line, "#\n")] = '\0';
    address = strtok_r(line, " \t", &save);
    if (address == NULL) continue;
    while ((name = strtok_r(NULL, " \t", &save)) != NULL) {
      if (same_name(name, host) && numeric(address, port, &out[n])) {
        ++n;
        break;
      }
    }
  }
  fclose(f);
  return n;
}

/* One query to one server over UDP; the answer's count as hc_dns_answer gives it. */
static int ask(const hl_address* server, const char* host, uint16_t type, unsigned char* addrs, int max) {
  unsigned char query[HC_DNS_MAX_MESSAGE], answer[HC_DNS_MAX_MESSAGE];
  const uint16_t id = (uint16_t)((unsigned)time(NULL) ^ (unsigned)getpid() ^ ((unsigned)type << 8));
  const size_t qlen = hc_dns_query(query, sizeof query, id, host, type);
  struct pollfd p;
  ssize_t got;
  int rc = -1, fd;
  if (qlen == 0) return -2; /* not a host name: no server knows it */
  fd = socket(server->addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (connect(fd, (const struct sockaddr*)&server->addr, server->len) == 0 &&
      send(fd, query, qlen, 0) == (ssize_t)qlen) {
    p.fd = fd;
    p.events = POLLIN;
    while (poll(&p, 1, DNS_WAIT_MS) == 1 && (got = recv(fd, answer, sizeof answer, 0)) > 0) {
      rc = hc_dns_answer(answer, (size_t)got, id, type, addrs, max);
      if (rc != -1) break; /* -1: not our answer; wait for it */
    }
  }
  close(fd);
  return rc;
}

/* The servers /etc/resolv.conf names (127.0.0.1 when it names none, as glibc does). */
static int servers(hl_address* out, int max) {
  char line[512];
  int n = 0;
  FILE* f = fopen(RESOLV_CONF, "r");
  while (f != NULL && n < max && fgets(line, sizeof line, f) != NULL) {
    char address[INET6_ADDRSTRLEN];
    if (sscanf(line, " nameserver %45s", address) == 1 && numeric(address, 53, &out[n])) ++n;
  }
  if (f != NULL) fclose(f);
  if (n == 0 && numeric("127.0.0.1", 53, &out[0])) n = 1;
  return n;
}

static int own_resolver(const char* host, unsigned short port, hl_address* out, char* err, size_t errlen) {
  static const uint16_t types[2] = {HC_DNS_A, HC_DNS_AAAA};
  hl_address dns[3];
  int n = from_hosts(host, port, out), count, s, t;
  if (n > 0) return n;
  count = servers(dns, 3);
  for (s = 0; s < count && n == 0; ++s) {
    for (t = 0; t < 2 && n < HL_MAX_ADDRESSES; ++t) {
      unsigned char addrs[HL_MAX_ADDRESSES * 16];
      const int size = types[t] == HC_DNS_A ? 4 : 16;
      const int got = ask(&dns[s], host, types[t], addrs, HL_MAX_ADDRESSES - n);
      int i;
      if (got == -2) {
        snprintf(err, errlen, "cannot resolve %s: no such name", host);
        return -1;
      }
      for (i = 0; i < got; ++i) {
        char text[INET6_ADDRSTRLEN];
        if (inet_ntop(size == 4 ? AF_INET : AF_INET6, addrs + i * size, text, sizeof text) != NULL &&
            numeric(text, port, &out[n]))
          ++n;
      }
    }
  }
  if (n == 0) snprintf(err, errlen, "cannot resolve %s: no answer from the DNS servers in %s", host, RESOLV_CONF);
  return n > 0 ? n : -1;
}

#else

static int system_resolver(const char* host, const char* port, hl_address* out, char* err, size_t errlen) {
  struct addrinfo hints, *found = NULL, *ai;
  int n = 0, rc;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  rc = getaddrinfo(host, port, &hints, &found);
  if (rc != 0) {
    snprintf(err, errlen, "cannot resolve %s: %s", host, gai_strerror(rc));
    return -1;
  }
  for (ai = found; ai != NULL && n < HL_MAX_ADDRESSES; ai = ai->ai_next) {
    if (ai->ai_addrlen > sizeof out[n].addr) continue;
    memcpy(&out[n].addr, ai->ai_addr, ai->ai_addrlen);
    out[n].len = (socklen_t)ai->ai_addrlen;
    ++n;
  }
  freeaddrinfo(found);
  if (n == 0) snprintf(err, errlen, "cannot resolve %s: no address", host);
  return n > 0 ? n : -1;
}

#endif

int hl_resolve(const char* host, const char* port, hl_address out[HL_MAX_ADDRESSES], char* err, size_t errlen) {
  const unsigned short number = (unsigned short)strtoul(port, NULL, 10);
  if (numeric(host, number, &out[0])) return 1;
#ifdef HENGE_STATIC
  return own_resolver(host, number, out, err, errlen);
#else
  return system_resolver(host, port, out, err, errlen);
#endif
}
