/* libhenge: a henge device client in C99, for Linux devices (Raspberry Pi OS and the
 * like). Over POSIX sockets and mbedTLS; the protocol's parsing is libhenge-core's.
 *
 * A device holds a stream to henged, receives each revision of its configuration,
 * applies it (your callback), and acknowledges. The library handles the protocol:
 * server-sent events, resuming with Last-Event-ID, keepalive timeouts, goaway,
 * reconnecting with full-jitter backoff, acks and reports. See docs/protocol.md.
 *
 * Threads: a client is used by one thread at a time; henge_stop() and
 * henge_stopping() may be called from any thread or a signal handler. Clients share
 * nothing, so different threads may use different clients. */
#ifndef HENGE_H
#define HENGE_H

#include <stddef.h>

#define HENGE_VERSION_MAJOR 0
#define HENGE_VERSION_MINOR 2
#define HENGE_VERSION_PATCH 0
#define HENGE_VERSION_STRING "0.2.0"
/* The version as one number: 0x00MMmmpp, for comparisons in the preprocessor. */
#define HENGE_VERSION_NUM ((HENGE_VERSION_MAJOR << 16) | (HENGE_VERSION_MINOR << 8) | HENGE_VERSION_PATCH)

/* What the library exports; everything else is hidden (-fvisibility=hidden). */
#if defined(__GNUC__)
#define HENGE_EXPORT __attribute__((visibility("default")))
#else
#define HENGE_EXPORT
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Limits, named once. */
#define HENGE_MAX_TOKEN_BYTES 512             /* a device token */
#define HENGE_MAX_REPORT_BYTES 65536          /* henge_report's JSON object */
#define HENGE_DEFAULT_MAX_CONFIG_BYTES 262144 /* max_config_bytes when 0 */

/* Errors. The numbers are part of the ABI: they are never changed or reused. */
typedef enum henge_err {
  HENGE_OK = 0,
  HENGE_ERR_INVALID = 1,     /* a bad argument or option */
  HENGE_ERR_NOMEM = 2,       /* out of memory */
  HENGE_ERR_NETWORK = 3,     /* could not reach the server, or the connection broke */
  HENGE_ERR_AUTH = 4,        /* the server refused the token (401/403), or none could be read */
  HENGE_ERR_HTTP = 5,        /* the server answered with another unexpected status */
  HENGE_ERR_PROTOCOL = 6,    /* the server sent something the protocol does not allow */
  HENGE_ERR_TOO_LARGE = 7,   /* a config, event or body over its maximum */
  HENGE_ERR_STOPPED = 8,     /* henge_stop() was called */
  HENGE_ERR_NOT_MODIFIED = 9 /* henge_poll(): the config has not changed */
} henge_err;

/* Returns: the library's version, "MAJOR.MINOR.PATCH" (static), which may be newer than
 * the HENGE_VERSION_STRING a program was compiled against. */
HENGE_EXPORT const char* henge_version(void);

/* Returns: a static, human-readable description of err ("unknown error" for a number
 * that is not a henge_err). */
HENGE_EXPORT const char* henge_strerror(henge_err err);

/* How loud a line of the library's log is. */
typedef enum henge_level { HENGE_LOG_INFO = 0, HENGE_LOG_WARN = 1, HENGE_LOG_ERROR = 2 } henge_level;

/* Receives each line the library logs: connections, refusals, waits, acks kept and
 * sent again, documents that did not check out. A repeated connection problem is
 * logged once, not at every retry. */
typedef void (*henge_log_fn)(void* user, henge_level level, const char* message);

typedef struct henge_options {
  const char* server;            /* "http://host:8080" or "https://host[/prefix]"; required */
  const char* token;             /* the device token, "hdt_…"; or NULL with token_file */
  const char* token_file;        /* read again before every connection and call (its first
                                    line), so a rotated token is picked up; while it is
                                    missing or empty the client waits and retries */
  const char* ca_file;           /* PEM CAs for https; NULL: the system's store
                                    (/etc/ssl/certs/ca-certificates.crt) */
  long long last_revision;       /* the revision applied last (Last-Event-ID); 0: none */
  size_t max_config_bytes;       /* 0: HENGE_DEFAULT_MAX_CONFIG_BYTES */
  unsigned long keepalive_ms;    /* the server's keepalive; 3 unheard = dead; 0: 15000 */
  unsigned long backoff_base_ms; /* 0: 500 */
  unsigned long backoff_cap_ms;  /* 0: 60000 */
  const char* user_agent;        /* reported as "agent"; NULL: "libhenge/<version>" */
  henge_log_fn log;              /* NULL: the library logs nothing */
  void* log_user;
} henge_options;

/* What a config callback returns. */
#define HENGE_APPLIED 0  /* acknowledged as applied */
#define HENGE_REJECTED 1 /* a verdict on the config: acknowledged as rejected, not retried */
/* Rejected for a reason of the device's that may pass (disk full, a command that timed
 * out): acknowledged as rejected, and the same config is given to the callback again
 * later, with backoff, until it applies or a newer one arrives. */
#define HENGE_RETRY 2

/* Called with each new config: its revision and the config's JSON text exactly as sent
 * (NUL-terminated, len bytes, its sha256 already checked, at most max_config_bytes).
 * Returns HENGE_APPLIED, HENGE_REJECTED or HENGE_RETRY (any other value rejects), with
 * a message written into err (errlen bytes) when it did not apply. A config the client
 * already answered (henged sends it again until it has recorded the answer, and after
 * a restart at options.last_revision) is answered the same way without a call. After
 * henge_stop(), a config that did not apply is not acknowledged at all. */
typedef int (*henge_config_fn)(void* user, long long revision, const char* config, size_t len, char* err,
                               size_t errlen);

typedef struct henge_client henge_client;

/* Makes a client; nothing is sent yet. The options are copied (the token file need not
 * exist yet; the CA file is read at the first https connection).
 * Returns: the client, or NULL with *err (when err is not NULL) set to
 *   HENGE_ERR_INVALID  options NULL, no server, a server that is not an http or https
 *                      URL, neither token nor token_file, or a token that cannot go
 *                      into a header (over HENGE_MAX_TOKEN_BYTES, spaces, control bytes);
 *   HENGE_ERR_NOMEM    out of memory. */
HENGE_EXPORT henge_client* henge_new(const henge_options* options, henge_err* err);

/* Frees the client and everything it holds; NULL is allowed. Not while henge_run() or
 * henge_poll() runs on it. */
HENGE_EXPORT void henge_free(henge_client* client);

/* Holds the stream until henge_stop(): applies each config through fn, acknowledges,
 * reconnects as the protocol says (every failure is retried, and logged).
 * Returns: HENGE_ERR_STOPPED after henge_stop(); HENGE_ERR_INVALID when client or fn is
 * NULL; HENGE_ERR_NOMEM when memory for the stream ran out. */
HENGE_EXPORT henge_err henge_run(henge_client* client, henge_config_fn fn, void* user);

/* Ends henge_run() or henge_poll() soon (within about a second). Safe from a signal
 * handler and from any thread; NULL is allowed. */
HENGE_EXPORT void henge_stop(henge_client* client);

/* Returns: non-zero once henge_stop() was called (a long callback checks it to give up
 * early); 0 otherwise and for NULL. Safe from any thread. */
HENGE_EXPORT int henge_stopping(const henge_client* client);

/* For devices that wake, poll and sleep: sends an ack kept from the last call, then
 * fetches the config once (If-None-Match with the last revision) and, when it changed,
 * calls fn and acknowledges.
 * Returns: HENGE_OK when fn was called (or the config was answered already);
 *   HENGE_ERR_NOT_MODIFIED  the config has not changed;
 *   HENGE_ERR_TOO_LARGE     the config is over max_config_bytes (it is acknowledged as
 *                           rejected, naming the limit);
 *   HENGE_ERR_AUTH, HENGE_ERR_HTTP, HENGE_ERR_NETWORK, HENGE_ERR_PROTOCOL
 *                           the call failed (henge_last_error() says how);
 *   HENGE_ERR_STOPPED       henge_stop() was called;
 *   HENGE_ERR_NOMEM, HENGE_ERR_INVALID (client or fn NULL). */
HENGE_EXPORT henge_err henge_poll(henge_client* client, henge_config_fn fn, void* user);

/* Sends {"reported": <json_object>}: what the device observes, for operators to read.
 * Returns: HENGE_OK when henged recorded it;
 *   HENGE_ERR_INVALID    client or json_object NULL, or json_object not one JSON object;
 *   HENGE_ERR_TOO_LARGE  json_object over HENGE_MAX_REPORT_BYTES;
 *   HENGE_ERR_AUTH, HENGE_ERR_HTTP, HENGE_ERR_NETWORK, HENGE_ERR_PROTOCOL, HENGE_ERR_STOPPED
 *                        the call failed (henge_last_error() says how). */
HENGE_EXPORT henge_err henge_report(henge_client* client, const char* json_object);

/* Reads a device token from the first line of a file into token (size bytes), without
 * its line end.
 * Returns: HENGE_OK; HENGE_ERR_INVALID when an argument is NULL, size < 2, the file
 * cannot be read, or its first line is empty or does not fit. */
HENGE_EXPORT henge_err henge_read_token_file(const char* path, char* token, size_t size);

/* Returns: the revision last applied (acknowledged as applied) by this client, or
 * options.last_revision until one was; 0 for NULL. */
HENGE_EXPORT long long henge_last_revision(const henge_client* client);

/* Returns: the text of the last failure (the server's problem detail, or what failed on
 * the network), valid until the next call on the client; "" for NULL. */
HENGE_EXPORT const char* henge_last_error(const henge_client* client);

#ifdef __cplusplus
}
#endif

#endif
