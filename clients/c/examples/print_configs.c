/* Prints each config a device receives: the smallest complete libhenge program.
 *   print_configs SERVER TOKEN_FILE [LAST_REVISION]
 * It accepts every config except one holding "reject": true, which it rejects, and one
 * holding "retry_while": "PATH" while that file exists, which it asks to be tried again
 * (HENGE_RETRY), so tests can see every answer. The token file is read again at every connection; the library's
 * log goes to stderr. HENGE_KEEPALIVE_MS, HENGE_BACKOFF_BASE_MS, HENGE_BACKOFF_CAP_MS
 * (default 1000 here), HENGE_MAX_CONFIG_BYTES and HENGE_CA_FILE set those options.
 * HENGE_POLL_MS polls instead of holding the stream, as a device that sleeps would:
 * henge_poll every that many milliseconds, each printing "polled <outcome>". SIGTERM or
 * SIGINT ends it with exit 0. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "henge.h"

static henge_client* g_client;

static void on_signal(int sig) {
  (void)sig;
  henge_stop(g_client);
}

static void print_log(void* user, henge_level level, const char* message) {
  static const char* const names[] = {"info", "warn", "error"};
  (void)user;
  fprintf(stderr, "print_configs: %s: %s\n", names[level], message);
}

static unsigned long env_number(const char* name, unsigned long fallback) {
  const char* v = getenv(name);
  return v != NULL && *v != '\0' ? strtoul(v, NULL, 10) : fallback;
}

/* The path of a config's "retry_while" (a plain string), into out; 0 when there is none. */
static int retry_path(const char* config, char* out, size_t cap) {
  const char* at = strstr(config, "\"retry_while\":\"");
  size_t n;
  if (at == NULL) return 0;
  at += strlen("\"retry_while\":\"");
  n = strcspn(at, "\"\\");
  if (at[n] != '"' || n == 0 || n >= cap) return 0;
  memcpy(out, at, n);
  out[n] = '\0';
  return 1;
}

static int print_config(void* user, long long revision, const char* config, size_t len, char* err, size_t errlen) {
  char path[512];
  FILE* busy;
  (void)user;
  (void)len;
  if (retry_path(config, path, sizeof path) && (busy = fopen(path, "r")) != NULL) {
    fclose(busy);
    snprintf(err, errlen, "waiting for %s to go", path);
    printf("retry %lld\n", revision);
    fflush(stdout);
    return HENGE_RETRY;
  }
  if (strstr(config, "\"reject\":true") != NULL) {
    snprintf(err, errlen, "this device refuses revision %lld", revision);
    printf("rejected %lld\n", revision);
  } else {
    printf("applied %lld %s\n", revision, config);
  }
  fflush(stdout);
  return strstr(config, "\"reject\":true") != NULL;
}

/* henge_poll every poll_ms until stopped, as a device that wakes and sleeps. */
static henge_err poll_until_stopped(unsigned long poll_ms) {
  while (!henge_stopping(g_client)) {
    unsigned long slept;
    const henge_err err = henge_poll(g_client, print_config, NULL);
    if (err == HENGE_ERR_STOPPED) break;
    printf("polled %s\n", err == HENGE_OK ? "ok" : henge_strerror(err));
    fflush(stdout);
    /* "Sleeps" in slices, to notice a stop. */
    for (slept = 0; slept < poll_ms && !henge_stopping(g_client); slept += 10) {
      struct timespec ts = {0, 10 * 1000000L};
      nanosleep(&ts, NULL);
    }
  }
  return HENGE_ERR_STOPPED;
}

int main(int argc, char** argv) {
  unsigned long poll_ms;
  henge_options options;
  henge_err err;
  struct sigaction sa;
  if (argc < 3) {
    fprintf(stderr, "usage: print_configs SERVER TOKEN_FILE [LAST_REVISION]\n");
    return 2;
  }

  memset(&options, 0, sizeof options);
  options.server = argv[1];
  options.token_file = argv[2];
  options.last_revision = argc > 3 ? atoll(argv[3]) : 0;
  options.keepalive_ms = env_number("HENGE_KEEPALIVE_MS", 1000);
  options.backoff_base_ms = env_number("HENGE_BACKOFF_BASE_MS", 0);
  options.backoff_cap_ms = env_number("HENGE_BACKOFF_CAP_MS", 1000);
  options.max_config_bytes = env_number("HENGE_MAX_CONFIG_BYTES", 0);
  options.ca_file = getenv("HENGE_CA_FILE"); /* NULL: the system's CAs */
  options.log = print_log;
  g_client = henge_new(&options, &err);
  if (g_client == NULL) {
    fprintf(stderr, "print_configs: %s\n", henge_strerror(err));
    return 2;
  }
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  poll_ms = env_number("HENGE_POLL_MS", 0);
  err = poll_ms > 0 ? poll_until_stopped(poll_ms) : henge_run(g_client, print_config, NULL);
  fprintf(stderr, "print_configs: %s (last: %s)\n", henge_strerror(err), henge_last_error(g_client));
  {
    /* No handler may reach the client while it is freed. */
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, NULL);
  }
  henge_free(g_client);
  g_client = NULL;
  return err == HENGE_ERR_STOPPED ? 0 : 1;
}
