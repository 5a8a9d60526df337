#include "leds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "hc_json.h"

int pi_led_parse(const char* spec, pi_led* led) {
  const char* eq = strrchr(spec, '=');
  size_t plen;
  if (eq == NULL || spec[0] != '/' || eq[1] == '\0' || strchr(eq + 1, '/') != NULL) return -1;
  plen = (size_t)(eq - spec);
  if (plen >= sizeof led->pointer || strlen(eq + 1) >= sizeof led->name) return -1;
  memcpy(led->pointer, spec, plen);
  led->pointer[plen] = '\0';
  strcpy(led->name, eq + 1);
  return 0;
}

pi_kind pi_value_at(const char* config, size_t len, const char* pointer, double* number) {
  hc_span v;
  char digits[64];
  char* end;
  if (hc_json_pointer(config, len, pointer, &v) != 1) return PI_ABSENT;
  switch (hc_json_kind_of(v)) {
    case HC_JSON_TRUE:
      return PI_TRUE;
    case HC_JSON_FALSE:
      return PI_FALSE;
    case HC_JSON_NUMBER:
      if (v.len >= sizeof digits) return PI_OTHER;
      memcpy(digits, v.at, v.len);
      digits[v.len] = '\0';
      *number = strtod(digits, &end);
      return *end == '\0' ? PI_NUMBER : PI_OTHER;
    default:
      return PI_OTHER;
  }
}

/* The LED's max_brightness, or 1 when it cannot be read. */
static long max_brightness(const char* sysfs_root, const char* name) {
  char path[4096];
  char* text;
  long max = 1;
  snprintf(path, sizeof path, "%s/class/leds/%s/max_brightness", sysfs_root, name);
  text = pi_read_file(path, 32, NULL);
  if (text != NULL) {
    max = strtol(text, NULL, 10);
    free(text);
  }
  return max > 0 ? max : 1;
}

void pi_leds_take(const pi_led* leds, size_t n, const char* sysfs_root) {
  size_t i;
  for (i = 0; i < n; ++i) {
    char path[4096];
    FILE* f;
    snprintf(path, sizeof path, "%s/class/leds/%s/trigger", sysfs_root, leds[i].name);
    f = fopen(path, "r+");
    if (f == NULL) continue;
    fputs("none\n", f);
    fclose(f);
  }
}

int pi_leds_check(const pi_led* leds, size_t n, const char* config, size_t len, char* err, size_t errlen) {
  size_t i;
  for (i = 0; i < n; ++i) {
    double number = 0;
    const pi_kind kind = pi_value_at(config, len, leds[i].pointer, &number);
    if (kind == PI_ABSENT || kind == PI_TRUE || kind == PI_FALSE) continue;
    if (kind != PI_NUMBER || number < 0) {
      snprintf(err, errlen, "%s drives LED %s: want true, false or a brightness >= 0", leds[i].pointer, leds[i].name);
      return -1;
    }
  }
  return 0;
}

int pi_leds_apply(const pi_led* leds, size_t n, const char* config, size_t len, const char* sysfs_root, char* err,
                  size_t errlen) {
  size_t i;
  for (i = 0; i < n; ++i) {
    double number = 0;
    const pi_kind kind = pi_value_at(config, len, leds[i].pointer, &number);
    long max, level;
    char path[4096];
    char text[32];
    FILE* f;
    if (kind == PI_ABSENT || kind == PI_OTHER) continue; /* pi_leds_check refused the others */
    max = max_brightness(sysfs_root, leds[i].name);
    level = kind == PI_TRUE ? max : kind == PI_FALSE ? 0 : (number > (double)max ? max : (long)number);
    if (level > max) level = max;
    snprintf(path, sizeof path, "%s/class/leds/%s/brightness", sysfs_root, leds[i].name);
    snprintf(text, sizeof text, "%ld\n", level);
    /* sysfs attributes are written in place, not replaced. */
    f = fopen(path, "w");
    if (f == NULL) {
      snprintf(err, errlen, "cannot open %s", path);
      return -1;
    }
    {
      const int written = fputs(text, f) != EOF;
      const int closed = fclose(f) == 0; /* closed whether or not the write worked */
      if (!written || !closed) {
        snprintf(err, errlen, "cannot write %s", path);
        return -1;
      }
    }
  }
  return 0;
}
