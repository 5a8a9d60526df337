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

/* The level the config asks of a line: 0 or 1; -1 when its value is not one; -2 when
 * it has none. */
static int level_at(const char* config, size_t len, const char* pointer) {
  double number = 0;
  switch (pi_value_at(config, len, pointer, &number)) {
    case PI_ABSENT:
      return -2;
    case PI_TRUE:
      return 1;
    case PI_FALSE:
      return 0;
    case PI_NUMBER:
      return number == 0 ? 0 : number == 1 ? 1 : -1;
    default:
      return -1;
  }
}

int pi_gpios_check(const pi_gpio* gpios, size_t n, const char* config, size_t len, char* err, size_t errlen) {
  size_t i;
  for (i = 0; i < n; ++i) {
    if (level_at(config, len, gpios[i].pointer) == -1) {
      snprintf(err, errlen, "%s drives GPIO %s:%u: want true, false, 0 or 1", gpios[i].pointer, gpios[i].chip,
               gpios[i].offset);
      return -1;
    }
  }
  return 0;
}

int pi_gpios_apply(pi_gpio* gpios, size_t n, const char* config, size_t len, char* err, size_t errlen) {
  size_t i;
  for (i = 0; i < n; ++i) {
    const int level = level_at(config, len, gpios[i].pointer);
    if (level < 0) continue; /* absent; pi_gpios_check refused the others */
#ifdef HENGE_PI_GPIOD
    {
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
