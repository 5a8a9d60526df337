/* henge on a Raspberry Pi Pico W: joins Wi-Fi, holds the device's stream, and lights
 * the board's LED from a config key (HENGE_LED_POINTER, "/led/on" unless set: true is
 * on, false or absent is off; anything else is rejected, with the reason in the ack).
 * The settings are build-time definitions (CMakeLists.txt): WIFI_SSID, WIFI_PASSWORD,
 * HENGE_SERVER (a name or an address), HENGE_PORT, HENGE_TOKEN, and HENGE_TLS with the
 * CA's PEM in henge_ca.h.
 *
 * The device client (ports/lwip/henge_lwip.c) runs in lwIP's context: with
 * pico_cyw43_arch_lwip_threadsafe_background that is cyw43's background work, so main
 * only starts it (between cyw43_arch_lwip_begin and _end) and then sleeps. */
#include <stdio.h>
#include <string.h>

#include "hc_json.h"
#include "henge_lwip.h"
#include "pico/cyw43_arch.h"
#include "pico/rand.h"
#include "pico/stdlib.h"
#ifdef HENGE_TLS
#include "henge_ca.h" /* static const char henge_ca_pem[] = "-----BEGIN CERTIFICATE-----\n…"; */
#include "lwip/altcp_tls.h"
#endif

#ifndef HENGE_LED_POINTER
#define HENGE_LED_POINTER "/led/on"
#endif
#ifndef HENGE_MAX_CONFIG
#define HENGE_MAX_CONFIG 4096 /* the largest config this board takes; over it, rejected naming the limit */
#endif
#define STR_(x) #x
#define STR(x) STR_(x)

static char doc[HENGE_LWIP_DOC_BYTES(HENGE_MAX_CONFIG)];
static henge_lwip client;

static hc_client_answer_kind light_led(void* user, uint64_t revision, const char* config, size_t len, char* why,
                                       size_t why_cap) {
  const int on = hc_json_flag(config, len, HENGE_LED_POINTER); /* absent: off */
  (void)user;
  if (on < 0) {
    snprintf(why, why_cap, "%s must be true or false", HENGE_LED_POINTER);
    return HC_REJECTED;
  }
  cyw43_arch_gpio_put(CYW43_WL_GPIO_LED_PIN, on);
  printf("henge: revision %llu: LED %s\n", (unsigned long long)revision, on ? "on" : "off");
  return HC_APPLIED;
}

static void print_line(void* user, const char* line) {
  (void)user;
  printf("henge: %s\n", line);
}

int main(void) {
  henge_lwip_settings s;
  stdio_init_all();
  if (cyw43_arch_init() != 0) {
    printf("henge: the Wi-Fi chip did not start\n");
    return 1;
  }
  cyw43_arch_enable_sta_mode();
  while (cyw43_arch_wifi_connect_timeout_ms(WIFI_SSID, WIFI_PASSWORD, CYW43_AUTH_WPA2_AES_PSK, 30000) != 0) {
    printf("henge: cannot join %s; trying again\n", WIFI_SSID);
  }

  memset(&s, 0, sizeof s);
  s.client.host = HENGE_SERVER ":" STR(HENGE_PORT);
  s.client.token = HENGE_TOKEN;
  s.client.user_agent = "henge-pico-w";
  s.client.max_config = HENGE_MAX_CONFIG;
  s.client.seed = get_rand_32();
  /* A board that keeps the revision it applied (in flash) gives it here, so a restart
   * is answered without applying again; this one starts from nothing. */
  s.client.last_revision = 0;
  s.server_name = HENGE_SERVER;
  s.port = HENGE_PORT;
  s.apply = light_led;
  s.log = print_line;
#ifdef HENGE_TLS
  s.tls = altcp_tls_create_config_client((const u8_t*)henge_ca_pem, sizeof henge_ca_pem);
  if (s.tls == NULL) {
    printf("henge: the CA in henge_ca.h does not parse\n");
    return 1;
  }
#endif

  cyw43_arch_lwip_begin();
  if (henge_lwip_start(&client, &s, doc, sizeof doc) != ERR_OK) {
    cyw43_arch_lwip_end();
    printf("henge: missing settings\n");
    return 1;
  }
  cyw43_arch_lwip_end();
  for (;;) sleep_ms(1000); /* the client runs in cyw43's background work */
}
