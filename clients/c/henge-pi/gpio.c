#include "gpio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leds.h"

#ifdef HENGE_PI_GPIOD
#include <gpiod.h>
#endif

int pi_gpio_supported(void) {
#ifdef HENGE_PI_GPIOD
  return 1;
#else
  return 0;
#endif
}

int pi_gpio_parse(const char* spec, pi_gpio* gpio) {
  const char* eq = strrchr(spec, '=');
  const char* colon;
  char* end;
  unsigned long offset;
  size_t plen;
  memset(gpio, 0, sizeof *gpio);
  if (eq == NULL || spec[0] != '/') return -1;
  colon = strrchr(eq, ':');
  if (colon == NULL || colon == eq + 1 || colon[1] == '\0') return -1;
  offset = strtoul(colon + 1, &end, 10);
  if (*end != '\0' || offset > 1023) return -1;
  plen = (size_t)(eq - spec);
  if (plen >= sizeof gpio->pointer || (size_t)(colon - eq - 1) >= sizeof gpio->chip) return -1;
  memcpy(gpio->pointer, spec, plen);
  memcpy(gpio->chip, eq + 1, (size_t)(colon - eq - 1));
  gpio->offset = (unsigned)offset;
  return 0;
}

/* The level a config value asks for: 0 or 1, or -1 when it is not one. */
static int level_of(const cJSON* v) {
  if (cJSON_IsBool(v)) return cJSON_IsTrue(v) ? 1 : 0;
  if (cJSON_IsNumber(v) && (v->valuedouble == 0 || v->valuedouble == 1)) return (int)v->valuedouble;
  return -1;
}

int pi_gpios_check(const pi_gpio* gpios, size_t n, const cJSON* config, char* err, size_t errlen) {
  size_t i;
  for (i = 0; i < n; ++i) {
    const cJSON* v = pi_json_at(config, gpios[i].pointer);
    if (v != NULL && level_of(v) < 0) {
      snprintf(err, errlen, "%s drives GPIO %s:%u: want true, false, 0 or 1", gpios[i].pointer, gpios[i].chip,
               gpios[i].offset);
      return -1;
    }
  }
  return 0;
}

int pi_gpios_apply(pi_gpio* gpios, size_t n, const cJSON* config, char* err, size_t errlen) {
  size_t i;
  for (i = 0; i < n; ++i) {
    const cJSON* v = pi_json_at(config, gpios[i].pointer);
    if (v == NULL) continue;
#ifdef HENGE_PI_GPIOD
    {
      const int level = level_of(v);
      if (gpios[i].line == NULL) {
        struct gpiod_chip* chip = gpiod_chip_open_lookup(gpios[i].chip);
        struct gpiod_line* line = chip != NULL ? gpiod_chip_get_line(chip, gpios[i].offset) : NULL;
        if (line == NULL || gpiod_line_request_output(line, "henge-pi", level) != 0) {
          snprintf(err, errlen, "cannot drive GPIO %s:%u", gpios[i].chip, gpios[i].offset);
          if (chip != NULL) gpiod_chip_close(chip);
          return -1;
        }
        gpios[i].handle = chip;
        gpios[i].line = line;
      } else if (gpiod_line_set_value((struct gpiod_line*)gpios[i].line, level) != 0) {
        snprintf(err, errlen, "cannot set GPIO %s:%u", gpios[i].chip, gpios[i].offset);
        return -1;
      }
    }
#else
    snprintf(err, errlen, "henge-pi was built without GPIO support");
    return -1;
#endif
  }
  return 0;
}

void pi_gpios_release(pi_gpio* gpios, size_t n) {
  size_t i;
  for (i = 0; i < n; ++i) {
#ifdef HENGE_PI_GPIOD
    if (gpios[i].line != NULL) gpiod_line_release((struct gpiod_line*)gpios[i].line);
    if (gpios[i].handle != NULL) gpiod_chip_close((struct gpiod_chip*)gpios[i].handle);
#endif
    gpios[i].line = NULL;
    gpios[i].handle = NULL;
  }
}
