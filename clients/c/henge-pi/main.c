/* henge-pi: the Raspberry Pi daemon. Holds the device's stream through libhenge, writes
 * each config atomically, remembers the applied revision across reboots, runs the apply
 * command, and shows config values on the board's LEDs.
 *
 *   henge-pi --server URL --token-file FILE --output FILE [--state-dir DIR]
 *            [--apply-cmd CMD] [--led POINTER=NAME]... [--sysfs-root DIR]
 *            [--gpio POINTER=CHIP:LINE]... [--keepalive SECONDS] [--version]
 * Each option can also come from HENGE_SERVER, HENGE_TOKEN_FILE, HENGE_OUTPUT,
 * HENGE_STATE_DIR, HENGE_APPLY_CMD, HENGE_SYSFS_ROOT, HENGE_KEEPALIVE. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "atomic_file.h"
#include "gpio.h"
#include "henge.h"
#include "hook.h"
#include "leds.h"

#define MAX_LEDS 16

typedef struct settings {
  const char *server, *token_file, *output, *state_dir, *apply_cmd, *sysfs_root;
  double keepalive_s;
  pi_led leds[MAX_LEDS];
  size_t led_count;
  pi_gpio gpios[MAX_LEDS];
  size_t gpio_count;
  char state_file[4096];
} settings;

static henge_client* g_client;

static void on_signal(int sig) {
  (void)sig;
  henge_stop(g_client);
}

static const char* env_or(const char* name, const char* fallback) {
  const char* v = getenv(name);
  return v != NULL && *v != '\0' ? v : fallback;
}

static void usage(FILE* to) {
  fprintf(to,
          "usage: henge-pi --server URL --token-file FILE --output FILE [--state-dir DIR] [--apply-cmd CMD]\n"
          "                [--led POINTER=NAME]... [--sysfs-root DIR] [--gpio POINTER=CHIP:LINE]...\n"
          "                [--keepalive SECONDS] [--version]\n");
}

/* Applies one config: check, write, remember, hook, LEDs. 0 = applied. */
static int apply_config(void* user, long long revision, const char* config, size_t len, char* err, size_t errlen) {
  settings* s = (settings*)user;
  cJSON* doc = cJSON_ParseWithLength(config, len);
  char state[32];
  int rc = -1;
  if (doc == NULL) {
    snprintf(err, errlen, "config is not JSON");
    return -1;
  }
  if (pi_leds_check(s->leds, s->led_count, doc, err, errlen) != 0) goto done;
  if (pi_gpios_check(s->gpios, s->gpio_count, doc, err, errlen) != 0) goto done;
  if (pi_write_atomically(s->output, config, len, 0644, err, errlen) != 0) goto done;
  snprintf(state, sizeof state, "%lld\n", revision);
  if (pi_write_atomically(s->state_file, state, strlen(state), 0600, err, errlen) != 0) goto done;
  if (s->apply_cmd != NULL && pi_run_hook(s->apply_cmd, revision, s->output, err, errlen) != 0) goto done;
  if (pi_leds_apply(s->leds, s->led_count, doc, s->sysfs_root, err, errlen) != 0) goto done;
  if (pi_gpios_apply(s->gpios, s->gpio_count, doc, err, errlen) != 0) goto done;
  fprintf(stderr, "henge-pi: applied revision %lld\n", revision);
  rc = 0;
done:
  if (rc != 0) fprintf(stderr, "henge-pi: rejected revision %lld: %s\n", revision, err);
  cJSON_Delete(doc);
  return rc;
}

static int parse_args(int argc, char** argv, settings* s) {
  static const struct option options[] = {{"server", required_argument, NULL, 's'},
                                          {"token-file", required_argument, NULL, 't'},
                                          {"output", required_argument, NULL, 'o'},
                                          {"state-dir", required_argument, NULL, 'd'},
                                          {"apply-cmd", required_argument, NULL, 'a'},
                                          {"led", required_argument, NULL, 'l'},
                                          {"sysfs-root", required_argument, NULL, 'r'},
                                          {"keepalive", required_argument, NULL, 'k'},
                                          {"gpio", required_argument, NULL, 'g'},
                                          {"version", no_argument, NULL, 'v'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
  const char* keepalive = env_or("HENGE_KEEPALIVE", "15");
  int c;
  s->server = env_or("HENGE_SERVER", NULL);
  s->token_file = env_or("HENGE_TOKEN_FILE", NULL);
  s->output = env_or("HENGE_OUTPUT", NULL);
  s->state_dir = env_or("HENGE_STATE_DIR", "/var/lib/henge-pi");
  s->apply_cmd = env_or("HENGE_APPLY_CMD", NULL);
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
      case 'a':
        s->apply_cmd = optarg;
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
        printf("henge-pi 0.1.0 (gpio: %s)\n", pi_gpio_supported() ? "libgpiod" : "none");
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
  s->keepalive_s = strtod(keepalive, NULL);
  if (s->keepalive_s < 0.05 || s->keepalive_s > 3600) {
    fprintf(stderr, "henge-pi: --keepalive must be 0.05 to 3600 seconds\n");
    return -1;
  }
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
  char token[512];
  char* saved;
  struct sigaction sa;
  memset(&s, 0, sizeof s);
  {
    const int parsed = parse_args(argc, argv, &s);
    if (parsed != 0) return parsed > 0 ? 0 : 2; /* > 0: --version answered */
  }
  if (henge_read_token_file(s.token_file, token, sizeof token) != HENGE_OK) {
    fprintf(stderr, "henge-pi: cannot read the token file %s\n", s.token_file);
    return 2;
  }
  mkdir(s.state_dir, 0700); /* may exist; a failure shows when the state is written */
  pi_remove_stale_temporaries(s.output);
  pi_remove_stale_temporaries(s.state_file);

  memset(&options, 0, sizeof options);
  options.server = s.server;
  options.token = token;
  options.keepalive_ms = (unsigned long)(s.keepalive_s * 1000);
  options.user_agent = "henge-pi/0.1.0";
  saved = pi_read_file(s.state_file, 32, NULL);
  options.last_revision = saved != NULL ? atoll(saved) : 0;
  free(saved);
  g_client = henge_new(&options, &err);
  memset(token, 0, sizeof token);
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
  fprintf(stderr, "henge-pi: starting, applied revision %lld\n", options.last_revision);
  err = henge_run(g_client, apply_config, &s);
  fprintf(stderr, "henge-pi: %s\n", henge_strerror(err));
  henge_free(g_client);
  pi_gpios_release(s.gpios, s.gpio_count);
  return err == HENGE_ERR_STOPPED ? 0 : 1;
}
