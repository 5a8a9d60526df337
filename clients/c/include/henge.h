/* libhenge: a henge device client in C99 (libcurl + cJSON).
 *
 * A device holds a stream to henged, receives each revision of its configuration,
 * applies it (your callback), and acknowledges. The library handles the protocol:
 * server-sent events, resuming with Last-Event-ID, keepalive timeouts, goaway,
 * reconnecting with full-jitter backoff, acks and reports. See docs/protocol.md. */
#ifndef HENGE_H
#define HENGE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum henge_err {
  HENGE_OK = 0,
  HENGE_ERR_INVALID,     /* a bad argument or option */
  HENGE_ERR_NOMEM,       /* out of memory */
  HENGE_ERR_NETWORK,     /* could not reach the server, or the connection broke */
  HENGE_ERR_AUTH,        /* the server refused the token (401/403) */
  HENGE_ERR_HTTP,        /* the server answered with another unexpected status */
  HENGE_ERR_PROTOCOL,    /* the server sent something the protocol does not allow */
  HENGE_ERR_TOO_LARGE,   /* a config or event over the configured maximum */
  HENGE_ERR_STOPPED,     /* henge_stop() was called */
  HENGE_ERR_NOT_MODIFIED /* henge_poll(): the config has not changed */
} henge_err;

/* A static, human-readable description of an error. */
const char* henge_strerror(henge_err err);

/* How loud a line of the library's log is. */
typedef enum henge_level { HENGE_LOG_INFO, HENGE_LOG_WARN, HENGE_LOG_ERROR } henge_level;

/* Receives each line the library logs: connections, refusals, waits, acks kept and
 * sent again, documents that did not check out. A repeated connection problem is
 * logged once, not at every retry. */
typedef void (*henge_log_fn)(void* user, henge_level level, const char* message);

typedef struct henge_options {
  const char* server;            /* "http://host:8080" or "https://…"; required */
  const char* token;             /* the device token, "hdt_…"; or NULL with token_file */
  const char* token_file;        /* read again before every connection and call (its first
                                    line), so a rotated token is picked up; while it is
                                    missing or empty the client waits and retries */
  const char* ca_file;           /* PEM CAs for https; NULL: the system's store */
  long long last_revision;       /* the revision applied last (Last-Event-ID); 0: none */
  size_t max_config_bytes;       /* 0: 256 KiB */
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

/* Copies the options; NULL (and *err set) when they are unusable (the token file need
 * not exist yet). Initializes libcurl (curl_global_init), so, as libcurl asks, do not
 * create or free clients while other threads start using libcurl. */
henge_client* henge_new(const henge_options* options, henge_err* err);
/* Frees the client; NULL is allowed. */
void henge_free(henge_client* client);

/* Holds the stream until henge_stop(): applies each config through fn, acknowledges,
 * reconnects as the protocol says. Returns HENGE_ERR_STOPPED after henge_stop(). */
henge_err henge_run(henge_client* client, henge_config_fn fn, void* user);

/* Ends henge_run() soon (within about a second). Safe from a signal handler. */
void henge_stop(henge_client* client);
/* Whether henge_stop() was called: a long callback checks it to give up early. Safe
 * from any thread. */
int henge_stopping(const henge_client* client);

/* For devices that wake, poll and sleep: fetches the config once (If-None-Match with the
 * last revision); calls fn and acknowledges when it changed, else HENGE_ERR_NOT_MODIFIED. */
henge_err henge_poll(henge_client* client, henge_config_fn fn, void* user);

/* Sends {"reported": <json_object>} (any JSON object text, up to 64 KiB). */
henge_err henge_report(henge_client* client, const char* json_object);

/* Reads a device token from the first line of a file into token (size bytes), without
 * its line end. HENGE_ERR_INVALID when the file cannot be read or the line is empty or
 * too long. */
henge_err henge_read_token_file(const char* path, char* token, size_t size);

/* The revision last applied (acknowledged as applied) by this client. */
long long henge_last_revision(const henge_client* client);

/* The text of the last failure (the server's problem detail or curl's message). */
const char* henge_last_error(const henge_client* client);

#ifdef __cplusplus
}
#endif

#endif
