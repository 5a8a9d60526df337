/* henge on an ESP32: joins the network (ESP-IDF's example_connect: Wi-Fi from
 * menuconfig), holds the device's stream, and lights an LED from a config key (true
 * is on; false or absent is off; anything else is rejected, with the reason in the
 * ack). The revision applied last is kept in NVS, so a reboot is answered without
 * applying it again. */
#include <stdio.h>
#include <string.h>

#include "driver/gpio.h"
#include "esp_event.h"
#include "esp_log.h"
#include "esp_netif.h"
#include "hc_json.h"
#include "henge_esp.h"
#include "nvs.h"
#include "nvs_flash.h"
#include "protocol_examples_common.h"

static const char* TAG = "henge_led";

static void keep_revision(uint64_t revision) {
  nvs_handle_t nvs;
  if (nvs_open("henge", NVS_READWRITE, &nvs) != ESP_OK) return;
  if (nvs_set_u64(nvs, "revision", revision) == ESP_OK) nvs_commit(nvs);
  nvs_close(nvs);
}

static uint64_t kept_revision(void) {
  nvs_handle_t nvs;
  uint64_t revision = 0;
  if (nvs_open("henge", NVS_READONLY, &nvs) != ESP_OK) return 0;
  if (nvs_get_u64(nvs, "revision", &revision) != ESP_OK) revision = 0;
  nvs_close(nvs);
  return revision;
}

static hc_client_answer_kind light_led(void* user, uint64_t revision, const char* config, size_t len, char* why,
                                       size_t why_cap) {
  const int on = hc_json_flag(config, len, CONFIG_HENGE_LED_POINTER); /* absent: off */
  (void)user;
  if (on < 0) {
    snprintf(why, why_cap, "%s must be true or false", CONFIG_HENGE_LED_POINTER);
    return HC_REJECTED;
  }
  if (gpio_set_level(CONFIG_HENGE_LED_GPIO, on) != ESP_OK) {
    snprintf(why, why_cap, "cannot drive GPIO %d", CONFIG_HENGE_LED_GPIO);
    return HC_RETRY; /* it may pass */
  }
  keep_revision(revision); /* before the ack: a reboot then answers without applying */
  ESP_LOGI(TAG, "revision %llu: LED %s", (unsigned long long)revision, on ? "on" : "off");
  return HC_APPLIED;
}

void app_main(void) {
  henge_esp_config cfg = HENGE_ESP_CONFIG_DEFAULT();
  esp_err_t err = nvs_flash_init();
  if (err == ESP_ERR_NVS_NO_FREE_PAGES || err == ESP_ERR_NVS_NEW_VERSION_FOUND) {
    ESP_ERROR_CHECK(nvs_flash_erase());
    err = nvs_flash_init();
  }
  ESP_ERROR_CHECK(err);
  ESP_ERROR_CHECK(esp_netif_init());
  ESP_ERROR_CHECK(esp_event_loop_create_default());
  ESP_ERROR_CHECK(example_connect());
  gpio_reset_pin(CONFIG_HENGE_LED_GPIO);
  gpio_set_direction(CONFIG_HENGE_LED_GPIO, GPIO_MODE_OUTPUT);

  cfg.host = CONFIG_HENGE_HOST;
  cfg.port = CONFIG_HENGE_PORT;
#ifdef CONFIG_HENGE_TLS
  cfg.tls = true;
#else
  cfg.tls = false;
#endif
  cfg.token = CONFIG_HENGE_TOKEN;
  cfg.last_revision = kept_revision();
  cfg.apply = light_led;
  ESP_ERROR_CHECK(henge_esp_start(&cfg));
}
