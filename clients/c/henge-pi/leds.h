/* Makes config changes visible on the board: config keys mapped to Linux LED class
 * devices (<sysfs>/class/leds/<name>/brightness), such as the Pi's ACT LED. */
#ifndef HENGE_PI_LEDS_H
#define HENGE_PI_LEDS_H

#include <cjson/cJSON.h>
#include <stddef.h>

typedef struct pi_led {
  char pointer[256]; /* the config key, as a JSON pointer */
  char name[128];    /* the LED's name under class/leds */
} pi_led;

/* Parses "POINTER=NAME" (e.g. "/led/on=ACT"); 0 or -1. */
int pi_led_parse(const char* spec, pi_led* led);

/* Checks the config's values for these LEDs (true/false, or a number 0..max); 0, or -1
 * with a message. Nothing is written. */
int pi_leds_check(const pi_led* leds, size_t n, const cJSON* config, char* err, size_t errlen);

/* Sets each LED from the config; keys that are absent leave their LED alone. 0, or -1
 * with a message. */
int pi_leds_apply(const pi_led* leds, size_t n, const cJSON* config, const char* sysfs_root, char* err, size_t errlen);

/* Takes the LEDs over from the kernel: their trigger (mmc0 activity for the Pi's ACT
 * LED) is set to "none", so what henge-pi writes stays. Missing triggers are ignored. */
void pi_leds_take(const pi_led* leds, size_t n, const char* sysfs_root);

/* The value at an RFC 6901 pointer, or NULL. */
const cJSON* pi_json_at(const cJSON* doc, const char* pointer);

#endif
