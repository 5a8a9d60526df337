/* henge-pi: the Raspberry Pi daemon. Holds the device's stream through libhenge, writes
 * each config atomically, remembers the applied revision across reboots, runs the apply
 * command, and shows config values on the board's LEDs.
 *
 *   henge-pi --server URL --token-file FILE --output FILE [--state-dir DIR]
 *            [--ca-file FILE] [--verify-cmd CMD] [--apply-cmd CMD] [--command-timeout SECONDS]
 *            [--led POINTER=NAME]... [--sysfs-root DIR] [--gpio POINTER=CHIP:LINE]...
 *            [--keepalive SECONDS] [--backoff-base SECONDS] [--backoff-cap SECONDS]
 *            [--max-config-bytes N] [--version]
 * Each option can also come from HENGE_SERVER, HENGE_TOKEN_FILE, HENGE_OUTPUT,
 * HENGE_STATE_DIR, HENGE_CA_FILE, HENGE_VERIFY_CMD, HENGE_APPLY_CMD, HENGE_COMMAND_TIMEOUT,
 * HENGE_SYSFS_ROOT, HENGE_KEEPALIVE, HENGE_BACKOFF_BASE, HENGE_BACKOFF_CAP,
 * HENGE_MAX_CONFIG_BYTES. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "atomic_file.h"
#include "gpio.h"
#include "hc_json.h"
#include "henge.h"
#include "hook.h"
#include "leds.h"

#define MAX_LEDS 16

typedef struct settings {
  const char *server, *token_file, *output, *state_dir, *ca_file, *verify_cmd, *apply_cmd, *sysfs_root;
  double keepalive_s, command_timeout_s, backoff_base_s, backoff_cap_s;
  unsigned long max_config_bytes;
  pi_led leds[MAX_LEDS];
  size_t led_count;
  pi_gpio gpios[MAX_LEDS];
  size_t gpio_count;
  char state_file[4096];
} settings;

static henge_client* g_client;
static volatile sig_atomic_t g_stop; /* also ends a running command */

static void on_signal(int sig) {
  (void)sig;
  g_stop = 1;
  henge_stop(g_client);
}

static void log_line(void* user, henge_level level, const char* message) {
  (void)user;
  (void)level;
  fprintf(stderr, "henge-pi: %s\n", message);
}

static const char* env_or(const char* name, const char* fallback) {
  const char* v = getenv(name);
  return v != NULL && *v != '\0' ? v : fallback;
}

static void usage(FILE* to) {
  fprintf(to,
          "usage: henge-pi --server URL --token-file FILE --output FILE [--state-dir DIR]\n"
          "                [--ca-file FILE] [--verify-cmd CMD] [--apply-cmd CMD] [--command-timeout SECONDS]\n"
          "                [--led POINTER=NAME]... [--sysfs-root DIR] [--gpio POINTER=CHIP:LINE]...\n"
          "                [--keepalive SECONDS] [--backoff-base SECONDS] [--backoff-cap SECONDS]\n"
          "                [--max-config-bytes N] [--version]\n");
}

/* A command's result as the callback's answer: its verdict rejects, a passing failure
 * (or a stop) asks to be tried again. */
static int hook_answer(pi_hook_result r) {
  if (r == PI_HOOK_FAILED) return HENGE_REJECTED;
  return HENGE_RETRY;
}

/* Applies one config: check the values, stage the file, verify it, put it in place,
 * set the LEDs and lines, run the apply command, and only then remember the revision
 * (so a failure part-way is done again, not remembered as done). */
static int apply_config(void* user, long long revision, const char* config, size_t len, char* err, size_t errlen) {
  settings* s = (settings*)user;
  char state[32];
  char temp[4200];
  const unsigned long timeout_ms = (unsigned long)(s->command_timeout_s * 1000);
  int rc = HENGE_REJECTED;
  pi_hook_result hook;
  if (!hc_json_valid(config, len)) {
    snprintf(err, errlen, "config is not JSON");
    return HENGE_REJECTED;
  }
  if (pi_leds_check(s->leds, s->led_count, config, len, err, errlen) != 0) goto done;
  if (pi_gpios_check(s->gpios, s->gpio_count, config, len, err, errlen) != 0) goto done;
  rc = HENGE_RETRY; /* from here on, what fails is the device's, and may pass */
  if (pi_stage_file(s->output, config, len, 0644, temp, sizeof temp, err, errlen) != 0) goto done;
  if (s->verify_cmd != NULL) {
    hook = pi_run_hook("verify", s->verify_cmd, revision, temp, timeout_ms, &g_stop, err, errlen);
    if (hook != PI_HOOK_OK) {
      pi_discard_staged(temp);
      rc = hook_answer(hook);
      goto done;
    }
  }
  if (pi_commit_file(temp, s->output, err, errlen) != 0) goto done;
  /* The outputs before the command: a retry after an output failed must not run the
   * command twice; setting an LED again is harmless. */
  if (pi_leds_apply(s->leds, s->led_count, config, len, s->sysfs_root, err, errlen) != 0) goto done;
  if (pi_gpios_apply(s->gpios, s->gpio_count, config, len, err, errlen) != 0) goto done;
  if (s->apply_cmd != NULL) {
    hook = pi_run_hook("apply", s->apply_cmd, revision, s->output, timeout_ms, &g_stop, err, errlen);
    if (hook != PI_HOOK_OK) {
      rc = hook_answer(hook);
      goto done;
    }
  }
  snprintf(state, sizeof state, "%lld\n", revision);
  if (pi_write_atomically(s->state_file, state, strlen(state), 0600, err, errlen) != 0) {
    /* The config is in place and running: it is applied. Only a restart would apply it
     * once more, which is harmless. */
    fprintf(stderr, "henge-pi: cannot remember revision %lld: %s\n", revision, err);
    err[0] = '\0';
  }
  fprintf(stderr, "henge-pi: applied revision %lld\n", revision);
  rc = HENGE_APPLIED;
done:
  if (rc != HENGE_APPLIED && !g_stop) {
    fprintf(stderr, "henge-pi: rejected revision %lld%s: %s\n", revision, rc == HENGE_RETRY ? " for now" : "", err);
  }
  return rc;
}

/* After a start (a reboot): the LEDs and lines show the config in place again. */
static void restore_outputs(settings* s) {
  char err[256];
  size_t len = 0;
  char* text;
  if (s->led_count == 0 && s->gpio_count == 0) return;
  text = pi_read_file(s->output, s->max_config_bytes, &len);
  if (text == NULL) return; /* nothing applied yet */
  if (hc_json_valid(text, len) &&
      (pi_leds_apply(s->leds, s->led_count, text, len, s->sysfs_root, err, sizeof err) != 0 ||
       pi_gpios_apply(s->gpios, s->gpio_count, text, len, err, sizeof err) != 0)) {
    fprintf(stderr, "henge-pi: cannot restore the outputs from %s: %s\n", s->output, err);
  }
  free(text);
}

/* A number option within [low, high]; -1 with a message when it is not. */
static int number_in(const char* name, const char* text, double low, double high, double* out) {
  char* end = NULL;
  const double v = strtod(text, &end);
  if (end == text || *end != '\0' || !(v >= low && v <= high)) {
    fprintf(stderr, "henge-pi: --%s must be a number from %g to %g: %s\n", name, low, high, text);
    return -1;
  }
  *out = v;
  return 0;
}

static int parse_args(int argc, char** argv, settings* s) {
  static const struct option options[] = {{"server", required_argument, NULL, 's'},
                                          {"token-file", required_argument, NULL, 't'},
                                          {"output", required_argument, NULL, 'o'},
                                          {"state-dir", required_argument, NULL, 'd'},
                                          {"ca-file", required_argument, NULL, 'C'},
                                          {"apply-cmd", required_argument, NULL, 'a'},
                                          {"verify-cmd", required_argument, NULL, 'V'},
                                          {"command-timeout", required_argument, NULL, 'T'},
                                          {"backoff-base", required_argument, NULL, 'b'},
                                          {"backoff-cap", required_argument, NULL, 'c'},
                                          {"max-config-bytes", required_argument, NULL, 'm'},
                                          {"led", required_argument, NULL, 'l'},
                                          {"sysfs-root", required_argument, NULL, 'r'},
                                          {"keepalive", required_argument, NULL, 'k'},
                                          {"gpio", required_argument, NULL, 'g'},
                                          {"version", no_argument, NULL, 'v'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
  const char* keepalive = env_or("HENGE_KEEPALIVE", "15");
  const char* command_timeout = env_or("HENGE_COMMAND_TIMEOUT", "60");
  const char* backoff_base = env_or("HENGE_BACKOFF_BASE", "0.5");
  const char* backoff_cap = env_or("HENGE_BACKOFF_CAP", "60");
  const char* max_config = env_or("HENGE_MAX_CONFIG_BYTES", "262144");
  double max_config_bytes = 0;
  int c;
  s->server = env_or("HENGE_SERVER", NULL);
  s->token_file = env_or("HENGE_TOKEN_FILE", NULL);
  s->output = env_or("HENGE_OUTPUT", NULL);
  s->state_dir = env_or("HENGE_STATE_DIR", "/var/lib/henge-pi");
  s->ca_file = env_or("HENGE_CA_FILE", NULL);
  s->apply_cmd = env_or("HENGE_APPLY_CMD", NULL);
  s->verify_cmd = env_or("HENGE_VERIFY_CMD", NULL);
  s->sysfs_root = env_or("HENGE_SYSFS_ROOT", "/sys");
  while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
    switch (c) {
      case 's':
        s->server = optarg;
        break;
      case 't':
        s->token_file = optarg;
        break;
      case 'o':
        s->output = optarg;
        break;
      case 'd':
        s->state_dir = optarg;
        break;
      case 'C':
        s->ca_file = optarg;
        break;
      case 'a':
        s->apply_cmd = optarg;
        break;
      case 'V':
        s->verify_cmd = optarg;
        break;
      case 'T':
        command_timeout = optarg;
        break;
      case 'b':
        backoff_base = optarg;
        break;
      case 'c':
        backoff_cap = optarg;
        break;
      case 'm':
        max_config = optarg;
        break;
      case 'r':
        s->sysfs_root = optarg;
        break;
      case 'k':
        keepalive = optarg;
        break;
      case 'l':
        if (s->led_count == MAX_LEDS || pi_led_parse(optarg, &s->leds[s->led_count]) != 0) {
          fprintf(stderr, "henge-pi: --led wants POINTER=NAME (at most %d), e.g. /led/on=ACT: %s\n", MAX_LEDS, optarg);
          return -1;
        }
        ++s->led_count;
        break;
      case 'g':
        if (!pi_gpio_supported()) {
          fprintf(stderr, "henge-pi: built without GPIO support (rebuild with -DHENGE_PI_GPIOD=ON)\n");
          return -1;
        }
        if (s->gpio_count == MAX_LEDS || pi_gpio_parse(optarg, &s->gpios[s->gpio_count]) != 0) {
          fprintf(stderr, "henge-pi: --gpio wants POINTER=CHIP:LINE (at most %d), e.g. /relay/on=gpiochip0:17: %s\n",
                  MAX_LEDS, optarg);
          return -1;
        }
        ++s->gpio_count;
        break;
      case 'v':
        printf("henge-pi " HENGE_VERSION_STRING " (libhenge %s, gpio: %s)\n", henge_version(),
               pi_gpio_supported() ? "libgpiod" : "none");
        return 1;
      case 'h':
        usage(stdout); /* asked for: on stdout, and exit 0 */
        return 1;
      default:
        usage(stderr);
        return -1;
    }
  }
  if (optind != argc || s->server == NULL || s->token_file == NULL || s->output == NULL) {
    usage(stderr);
    return -1;
  }
  if (number_in("keepalive", keepalive, 0.05, 3600, &s->keepalive_s) != 0 ||
      number_in("command-timeout", command_timeout, 0.1, 86400, &s->command_timeout_s) != 0 ||
      number_in("backoff-base", backoff_base, 0.01, 60, &s->backoff_base_s) != 0 ||
      number_in("backoff-cap", backoff_cap, 0.05, 3600, &s->backoff_cap_s) != 0 ||
      number_in("max-config-bytes", max_config, 64, 64.0 * 1024 * 1024, &max_config_bytes) != 0) {
    return -1;
  }
  if (s->backoff_cap_s < s->backoff_base_s) {
    fprintf(stderr, "henge-pi: --backoff-cap must not be below --backoff-base\n");
    return -1;
  }
  s->max_config_bytes = (unsigned long)max_config_bytes;
  if (snprintf(s->state_file, sizeof s->state_file, "%s/revision", s->state_dir) >= (int)sizeof s->state_file) {
    fprintf(stderr, "henge-pi: --state-dir is too long\n");
    return -1;
  }
  return 0;
}

int main(int argc, char** argv) {
  settings s;
  henge_options options;
  henge_err err;
  char* saved;
  struct sigaction sa;
  memset(&s, 0, sizeof s);
  {
    const int parsed = parse_args(argc, argv, &s);
    if (parsed != 0) return parsed > 0 ? 0 : 2; /* > 0: --version answered */
  }
  mkdir(s.state_dir, 0700); /* may exist; a failure shows when the state is written */
  pi_remove_stale_temporaries(s.output);
  pi_remove_stale_temporaries(s.state_file);

  memset(&options, 0, sizeof options);
  options.server = s.server;
  options.token_file = s.token_file; /* read at every connection: a rotation is picked up */
  options.ca_file = s.ca_file;       /* NULL: the system's CAs */
  options.keepalive_ms = (unsigned long)(s.keepalive_s * 1000);
  options.backoff_base_ms = (unsigned long)(s.backoff_base_s * 1000);
  options.backoff_cap_ms = (unsigned long)(s.backoff_cap_s * 1000);
  options.max_config_bytes = s.max_config_bytes;
  options.user_agent = "henge-pi/" HENGE_VERSION_STRING;
  options.log = log_line;
  saved = pi_read_file(s.state_file, 32, NULL);
  options.last_revision = saved != NULL ? atoll(saved) : 0;
  free(saved);
  g_client = henge_new(&options, &err);
  if (g_client == NULL) {
    fprintf(stderr, "henge-pi: %s (is --server http:// or https://?)\n", henge_strerror(err));
    return 2;
  }
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  pi_leds_take(s.leds, s.led_count, s.sysfs_root);
  if (options.last_revision > 0) restore_outputs(&s);
  fprintf(stderr, "henge-pi: starting, applied revision %lld\n", options.last_revision);
  err = henge_run(g_client, apply_config, &s);
  fprintf(stderr, "henge-pi: %s\n", henge_strerror(err));
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
  pi_gpios_release(s.gpios, s.gpio_count);
  return err == HENGE_ERR_STOPPED ? 0 : 1;
}
