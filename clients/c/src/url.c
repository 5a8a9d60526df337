#include "url.h"

#include <stdio.h>
#include <string.h>

static int copy_part(char* to, size_t cap, const char* from, size_t n) {
  if (n >= cap) return -1;
  memcpy(to, from, n);
  to[n] = '\0';
  return 0;
}

int hl_url_parse(const char* text, hl_url* url) {
  const char* p;
  const char* end;
  const char* host_end;
  const char* port = NULL;
  size_t n;
  memset(url, 0, sizeof *url);
  for (p = text; *p != '\0'; ++p) {
    if ((unsigned char)*p <= ' ' || *p == 0x7f) return -1; /* spaces and control bytes are no URL's */
  }
  if (strncmp(text, "http://", 7) == 0) {
    p = text + 7;
  } else if (strncmp(text, "https://", 8) == 0) {
    url->tls = 1;
    p = text + 8;
  } else {
    return -1;
  }
  end = p + strcspn(p, "/?#");
  if (*end == '?' || *end == '#' || memchr(p, '@', (size_t)(end - p)) != NULL) return -1;
  if (copy_part(url->authority, sizeof url->authority, p, (size_t)(end - p)) != 0) return -1;
  if (*p == '[') { /* an IPv6 address */
    host_end = memchr(p, ']', (size_t)(end - p));
    if (host_end == NULL || host_end == p + 1) return -1;
    if (copy_part(url->host, sizeof url->host, p + 1, (size_t)(host_end - p - 1)) != 0) return -1;
    ++host_end;
    if (host_end < end && *host_end != ':') return -1;
  } else {
    host_end = memchr(p, ':', (size_t)(end - p));
    if (host_end == NULL) host_end = end;
    if (host_end == p || copy_part(url->host, sizeof url->host, p, (size_t)(host_end - p)) != 0) return -1;
  }
  if (host_end < end) port = host_end + 1;
  if (port != NULL) {
    unsigned long value = 0;
    const char* q;
    if (port == end || end - port > 5) return -1;
    for (q = port; q < end; ++q) {
      if (*q < '0' || *q > '9') return -1;
      value = value * 10 + (unsigned long)(*q - '0');
    }
    if (value == 0 || value > 65535) return -1;
    snprintf(url->port, sizeof url->port, "%lu", value);
  } else {
    snprintf(url->port, sizeof url->port, "%s", url->tls ? "443" : "80");
  }
  n = strlen(end);
  while (n > 0 && end[n - 1] == '/') --n; /* "http://h/" is "http://h" */
  if (strpbrk(end, "?#") != NULL || copy_part(url->prefix, sizeof url->prefix, end, n) != 0) return -1;
  return 0;
}
