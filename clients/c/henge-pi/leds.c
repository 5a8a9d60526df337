#include "leds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"

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

const cJSON* pi_json_at(const cJSON* doc, const char* pointer) {
  char token[256];
  const char* p = pointer;
  if (*p == '\0') return doc;
  while (doc != NULL && *p == '/') {
    size_t n = 0;
    ++p;
    while (*p != '\0' && *p != '/' && n + 1 < sizeof token) {
      if (*p == '~' && (p[1] == '0' || p[1] == '1')) {
        token[n++] = p[1] == '0' ? '~' : '/';
        p += 2;
      } else {
        token[n++] = *p++;
      }
    }
    token[n] = '\0';
    if (cJSON_IsObject(doc)) {
      doc = cJSON_GetObjectItemCaseSensitive(doc, token);
    } else if (cJSON_IsArray(doc)) {
      char* end;
      const long i = strtol(token, &end, 10);
      doc = (*end == '\0' && n > 0 && i >= 0) ? cJSON_GetArrayItem(doc, (int)i) : NULL;
    } else {
      doc = NULL;
    }
  }
  return *p == '\0' ? doc : NULL;
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

int pi_leds_check(const pi_led* leds, size_t n, const cJSON* config, char* err, size_t errlen) {
  size_t i;
  for (i = 0; i < n; ++i) {
    const cJSON* v = pi_json_at(config, leds[i].pointer);
    if (v == NULL || cJSON_IsBool(v)) continue;
    if (!cJSON_IsNumber(v) || v->valuedouble < 0) {
      snprintf(err, errlen, "%s drives LED %s: want true, false or a brightness >= 0", leds[i].pointer, leds[i].name);
      return -1;
    }
  }
  return 0;
}

int pi_leds_apply(const pi_led* leds, size_t n, const cJSON* config, const char* sysfs_root, char* err, size_t errlen) {
  size_t i;
  for (i = 0; i < n; ++i) {
    const cJSON* v = pi_json_at(config, leds[i].pointer);
    const long max = max_brightness(sysfs_root, leds[i].name);
    long level;
    char path[4096];
    char text[32];
    FILE* f;
    if (v == NULL) continue;
    level = cJSON_IsBool(v) ? (cJSON_IsTrue(v) ? max : 0) : (long)v->valuedouble;
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
