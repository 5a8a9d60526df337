/* Config keys driving GPIO output lines through libgpiod (a build option:
 * -DHENGE_PI_GPIOD=ON): true/1 drives the line high, false/0 low. */
#ifndef HENGE_PI_GPIO_H
#define HENGE_PI_GPIO_H

#include <stddef.h>

typedef struct pi_gpio {
  char pointer[256]; /* the config key, as a JSON pointer */
  char chip[64];     /* "gpiochip0", or a label or path libgpiod can look up */
  unsigned offset;   /* the line on that chip */
  void* line;        /* the requested line, once driven (libgpiod's struct gpiod_line) */
  void* handle;      /* its open chip */
} pi_gpio;

/* 1 when built with libgpiod. */
int pi_gpio_supported(void);
/* Parses "POINTER=CHIP:LINE" (e.g. "/relay/on=gpiochip0:17"); 0 or -1. */
int pi_gpio_parse(const char* spec, pi_gpio* gpio);
/* Checks the config's values for these lines (true, false, 0 or 1); 0, or -1 with a message. */
int pi_gpios_check(const pi_gpio* gpios, size_t n, const char* config, size_t len, char* err, size_t errlen);
/* Drives each line from the config; absent keys leave their line alone. Lines stay
 * requested (and so keep their value) until pi_gpios_release. 0, or -1 with a message. */
int pi_gpios_apply(pi_gpio* gpios, size_t n, const char* config, size_t len, char* err, size_t errlen);
void pi_gpios_release(pi_gpio* gpios, size_t n);

#endif
