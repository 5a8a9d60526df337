/* Makes config changes visible on the board: config keys mapped to Linux LED class
 * devices (<sysfs>/class/leds/<name>/brightness), such as the Pi's ACT LED. */
#ifndef HENGE_PI_LEDS_H
#define HENGE_PI_LEDS_H

#include <stddef.h>

typedef struct pi_led {
  char pointer[256]; /* the config key, as a JSON pointer */
  char name[128];    /* the LED's name under class/leds */
} pi_led;

/* Parses "POINTER=NAME" (e.g. "/led/on=ACT"); 0 or -1. */
int pi_led_parse(const char* spec, pi_led* led);

/* Checks the config's values for these LEDs (true/false, or a number 0..max); 0, or -1
 * with a message. Nothing is written. */
int pi_leds_check(const pi_led* leds, size_t n, const char* config, size_t len, char* err, size_t errlen);

/* Sets each LED from the config; keys that are absent leave their LED alone. 0, or -1
 * with a message. */
int pi_leds_apply(const pi_led* leds, size_t n, const char* config, size_t len, const char* sysfs_root, char* err,
                  size_t errlen);

/* Takes the LEDs over from the kernel: their trigger (mmc0 activity for the Pi's ACT
 * LED) is set to "none", so what henge-pi writes stays. Missing triggers are ignored. */
void pi_leds_take(const pi_led* leds, size_t n, const char* sysfs_root);

/* What a config holds at an RFC 6901 pointer, read in place by libhenge-core's scan. */
typedef enum pi_kind { PI_ABSENT, PI_FALSE, PI_TRUE, PI_NUMBER, PI_OTHER } pi_kind;
/* The kind of the value at pointer in the JSON text config[0..len), and for a number
 * its value in *number. */
pi_kind pi_value_at(const char* config, size_t len, const char* pointer, double* number);

#endif
