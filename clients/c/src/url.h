/* The server's URL, taken apart once: "http://host[:port][/prefix]" or "https://…". */
#ifndef HL_URL_H
#define HL_URL_H

typedef struct hl_url {
  int tls;             /* https */
  char host[256];      /* a name or an address; an IPv6 address without its brackets */
  char port[6];        /* "80", "443" or the one given */
  char authority[266]; /* what the Host header says: host[:port] as written */
  char prefix[512];    /* a path the API sits under, without a trailing slash; "" for none */
} hl_url;

/* Parses text. Returns 0, or -1 when it is not an http or https URL of a host (with
 * no user, query or fragment, and parts within the sizes above). */
int hl_url_parse(const char* text, hl_url* url);

#endif
