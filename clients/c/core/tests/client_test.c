/* The protocol engine, driven as a board drives it, against a scripted henged: bytes in,
 * requests out, the clock given. */
#include "hc_backoff.h"
#include "hc_client.h"
#include "hc_sha256.h"
#include "hc_test.h"
#include "hc_text.h"
#include "tests.h"

/* One client and one set of buffers for every test: a micro:bit has 16 KiB of RAM. */
static hc_client client;
static char doc_buf[512];
static char out[640];
static char frame[800];

static void start(hc_client* c, uint64_t last_revision) {
  hc_client_settings s;
  memset(&s, 0, sizeof s);
  s.host = "henge.local";
  s.token = "hdt_board";
  s.last_revision = last_revision;
  s.keepalive_ms = 1000;
  s.backoff_base_ms = 500;
  s.backoff_cap_ms = 60000;
  s.seed = 7;
  hc_client_init(c, &s, doc_buf, sizeof doc_buf);
}

/* The config document for revision with config (its sha256 computed here). */
static void write_document(hc_out* o, const char* revision, const char* config) {
  char hex[65];
  hc_sha256_hex(config, strlen(config), hex);
  hc_out_str(o, "{\"revision\":");
  hc_out_str(o, revision);
  hc_out_str(o, ",\"schema\":null,\"sha256\":\"");
  hc_out_str(o, hex);
  hc_out_str(o, "\",\"config\":");
  hc_out_str(o, config);
  hc_out_str(o, "}");
}

/* A config event for revision with config. */
static size_t config_event(const char* revision, const char* config) {
  hc_out o;
  hc_out_init(&o, frame, sizeof frame);
  hc_out_str(&o, "event: config\nid: ");
  hc_out_str(&o, revision);
  hc_out_str(&o, "\ndata: ");
  write_document(&o, revision, config);
  hc_out_str(&o, "\n\n");
  return hc_out_end(&o);
}

static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n";

static hc_client_do next(hc_client* c, uint64_t now, uint64_t* at) {
  return hc_client_next(c, now, at);
}

/* Connects at now and feeds the 200 head. */
static void connect_stream(hc_client* c, uint64_t now) {
  uint64_t at;
  CHECK(next(c, now, &at) == HC_DO_CONNECT);
  CHECK(hc_client_stream_request(c, out, sizeof out) > 0);
  hc_client_stream_opened(c, now);
  CHECK(hc_client_stream_feed(c, head, sizeof head - 1, now) == sizeof head - 1);
}

/* Sends the kept ack at now and answers it with response; returns the request. */
static const char* ack_with(hc_client* c, uint64_t now, const char* response) {
  uint64_t at;
  CHECK(next(c, now, &at) == HC_DO_ACK);
  CHECK(hc_client_ack_request(c, out, sizeof out) > 0);
  hc_client_call_feed(c, response, strlen(response));
  hc_client_call_end(c, now);
  return out;
}

static const char recorded[] = "HTTP/1.1 204 No Content\r\n\r\n";

void test_client_applies_and_acknowledges(void) {
  uint64_t at;
  const char* config;
  size_t len, n;
  start(&client, 0);
  connect_stream(&client, 1000);
  CHECK(strstr(out, "GET /v1/device/stream HTTP/1.1\r\n") == out && strstr(out, "Last-Event-ID") == NULL);
  CHECK(strstr(out, "Authorization: Bearer hdt_board\r\n") != NULL);
  n = config_event("5", "{\"led\":{\"on\":true}}");
  CHECK(hc_client_stream_feed(&client, frame, n, 1010) == n);
  CHECK(next(&client, 1010, &at) == HC_DO_APPLY);
  CHECK(hc_client_config(&client, &config, &len) == 5 && SAME(config, len, "{\"led\":{\"on\":true}}"));
  hc_client_answer(&client, HC_APPLIED, NULL, 0, 1020);
  CHECK(hc_client_last_revision(&client) == 5);
  ack_with(&client, 1020, recorded);
  CHECK(strstr(out, "POST /v1/device/ack HTTP/1.1\r\n") == out);
  CHECK(strstr(out, "\r\n\r\n{\"revision\":5,\"status\":\"applied\"}") != NULL);
  CHECK(strstr(out, "Content-Length: 33\r\n") != NULL); /* the body's length, as written above */
  /* Until 3 keepalives of silence, counted from the answer (applying is not silence). */
  CHECK(next(&client, 1030, &at) == HC_DO_WAIT && at == 1020 + 3000);
  CHECK(next(&client, 4020, &at) == HC_DO_CLOSE);
}

void test_client_keeps_a_lost_ack_and_answers_a_resend(void) {
  uint64_t at, again;
  size_t n;
  /* The client's draws: the first failure's backoff, then the second's. */
  uint32_t rng = hc_random_seed(7);
  (void)hc_random_next(&rng);
  again = 3010 + hc_backoff_ms(1, 500, 60000, hc_random_next(&rng));
  start(&client, 0);
  connect_stream(&client, 0);
  n = config_event("8", "{\"a\":1}");
  hc_client_stream_feed(&client, frame, n, 10);
  CHECK(next(&client, 10, &at) == HC_DO_APPLY);
  hc_client_answer(&client, HC_REJECTED, "bad \"value\"", 11, 10);
  ack_with(&client, 10, "HTTP/1.1 503 Busy\r\nRetry-After: 3\r\nContent-Length: 0\r\n\r\n");
  CHECK(strstr(out, "{\"revision\":8,\"status\":\"rejected\",\"error\":\"bad \\\"value\\\"\"}") != NULL);
  CHECK(next(&client, 20, &at) == HC_DO_WAIT && at == 10 + 3000); /* Retry-After, over the backoff */
  CHECK(hc_client_stream_feed(&client, ":\n", 2, 3005) == 2);     /* a keepalive */
  ack_with(&client, 3010, "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n");
  CHECK(next(&client, 3010, &at) == (again > 3010 ? HC_DO_WAIT : HC_DO_ACK));
  if (again > 3010) CHECK(at == again); /* the second failure's backoff */
  /* henged sends the config again (it has no answer yet): the same answer, nothing runs. */
  hc_client_stream_feed(&client, frame, n, 3030);
  CHECK(next(&client, 3030, &at) == HC_DO_ACK);
  ack_with(&client, 3030, recorded);
  CHECK(strstr(out, "\"revision\":8,\"status\":\"rejected\"") != NULL);
  CHECK(next(&client, 3040, &at) == HC_DO_WAIT && at == 3030 + 3000);
  /* An ack refused for good (400) is not sent again. */
  hc_client_stream_feed(&client, frame, n, 3050);
  ack_with(&client, 3050, "HTTP/1.1 400 Bad\r\nContent-Length: 0\r\n\r\n");
  CHECK(next(&client, 3060, &at) == HC_DO_WAIT && at == 3050 + 3000);
}

void test_client_after_a_restart_answers_without_applying(void) {
  uint64_t at;
  size_t n;
  start(&client, 12);
  connect_stream(&client, 0);
  CHECK(strstr(out, "Last-Event-ID: 12\r\n") != NULL);
  n = config_event("12", "{}");
  hc_client_stream_feed(&client, frame, n, 5);
  CHECK(next(&client, 5, &at) == HC_DO_ACK); /* not HC_DO_APPLY */
  ack_with(&client, 5, recorded);
  CHECK(strstr(out, "{\"revision\":12,\"status\":\"applied\"}") != NULL);
}

void test_client_hands_out_one_config_at_a_time(void) {
  static char two[400];
  uint64_t at;
  const char* config;
  size_t len, n1, n2, used;
  start(&client, 0);
  connect_stream(&client, 0);
  n1 = config_event("1", "{\"n\":1}");
  memcpy(two, frame, n1);
  n2 = config_event("2", "{\"n\":2}");
  memcpy(two + n1, frame, n2);
  used = hc_client_stream_feed(&client, two, n1 + n2, 1);
  CHECK(used <= n1 && next(&client, 1, &at) == HC_DO_APPLY);
  CHECK(hc_client_config(&client, &config, &len) == 1 && SAME(config, len, "{\"n\":1}"));
  hc_client_answer(&client, HC_APPLIED, NULL, 0, 1);
  CHECK(hc_client_stream_feed(&client, two + used, n1 + n2 - used, 2) == n1 + n2 - used);
  CHECK(next(&client, 2, &at) == HC_DO_APPLY);
  CHECK(hc_client_config(&client, &config, &len) == 2 && SAME(config, len, "{\"n\":2}"));
}

void test_client_rejects_an_oversized_config_naming_the_limit(void) {
  uint64_t at;
  size_t n;
  start(&client, 0);
  connect_stream(&client, 0);
  strcpy(frame, "event: config\nid: 9\ndata: {");
  n = strlen(frame);
  memset(frame + n, 'x', 560); /* over the 512-byte document buffer */
  memcpy(frame + n + 560, "\n\n", 2);
  hc_client_stream_feed(&client, frame, n + 562, 3);
  CHECK(next(&client, 3, &at) == HC_DO_ACK);
  ack_with(&client, 3, recorded);
  CHECK(strstr(out,
               "{\"revision\":9,\"status\":\"rejected\","
               "\"error\":\"the config is over this device's limit of 512 bytes\"}") != NULL);
}

void test_client_holds_configs_to_its_limit(void) {
  hc_client_settings s;
  uint64_t at;
  const char* reason;
  int applied = 1;
  size_t len, n;
  memset(&s, 0, sizeof s);
  s.host = "henge.local";
  s.token = "hdt_board";
  s.max_config = 16;
  hc_client_init(&client, &s, doc_buf, sizeof doc_buf);
  connect_stream(&client, 0);
  /* Within the document buffer, over the limit: rejected, and the stream stays. */
  n = config_event("4", "{\"blob\":\"xxxxxxxxxxxx\"}");
  CHECK(hc_client_stream_feed(&client, frame, n, 1) == n);
  CHECK(hc_client_kept_answer(&client, &applied, &reason, &len) == 4 && !applied &&
        SAME(reason, len, "the config is over this device's limit of 16 bytes"));
  CHECK(next(&client, 1, &at) == HC_DO_ACK);
  ack_with(&client, 1, recorded);
  CHECK(hc_client_kept_answer(&client, &applied, &reason, &len) == 0); /* recorded */
  CHECK(strstr(out, "Connection: close\r\n") != NULL);                 /* one request a call */
  n = config_event("5", "{\"n\":5}");
  hc_client_stream_feed(&client, frame, n, 2);
  CHECK(next(&client, 2, &at) == HC_DO_APPLY);
  /* An answer that is none of the three rejects. */
  hc_client_answer(&client, (hc_client_answer_kind)9, NULL, 0, 3);
  ack_with(&client, 3, recorded);
  CHECK(strstr(out, "{\"revision\":5,\"status\":\"rejected\",\"error\":\"rejected by the device\"}") != NULL);
}

void test_client_says_why_the_stream_closed(void) {
  static const char refused[] = "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n";
  hc_client_closed info;
  uint64_t at;
  size_t n;
  start(&client, 0);
  CHECK(next(&client, 0, &at) == HC_DO_CONNECT);
  hc_client_stream_opened(&client, 0);
  hc_client_stream_feed(&client, refused, sizeof refused - 1, 0);
  CHECK(next(&client, 0, &at) == HC_DO_CLOSE);
  hc_client_stream_closed(&client, 0);
  hc_client_closed_info(&client, &info);
  CHECK(info.reason == HC_CLOSED_STATUS && info.status == 401 && info.delay_ms == 60000);
  /* A rotated token goes in the next request. */
  hc_client_set_token(&client, "hdt_rotated");
  connect_stream(&client, 60000);
  CHECK(strstr(out, "Authorization: Bearer hdt_rotated\r\n") != NULL);
  n = config_event("3", "{}");
  frame[n - 5] = frame[n - 5] == '0' ? '1' : '0';
  hc_client_stream_feed(&client, frame, n, 60001);
  CHECK(next(&client, 60001, &at) == HC_DO_CLOSE);
  hc_client_stream_closed(&client, 60001);
  hc_client_closed_info(&client, &info);
  CHECK(info.reason == HC_CLOSED_BAD_DOCUMENT && info.doc_err != HC_DOC_OK && info.status == 200);
}

void test_client_reconnects_as_the_server_asks(void) {
  static const char shutdown[] = "retry: 100\nevent: goaway\ndata: {\"reason\":\"shutdown\"}\n\n";
  static const char replaced[] = "event: goaway\ndata: {\"reason\":\"replaced\"}\n\n";
  uint64_t at;
  size_t n;
  start(&client, 0);
  connect_stream(&client, 0);
  hc_client_stream_feed(&client, shutdown, sizeof shutdown - 1, 10);
  CHECK(next(&client, 10, &at) == HC_DO_CLOSE);
  hc_client_stream_closed(&client, 10);
  CHECK(next(&client, 10, &at) == HC_DO_CONNECT || at <= 110); /* within random(0, retry) */
  connect_stream(&client, 110);
  hc_client_stream_feed(&client, replaced, sizeof replaced - 1, 120);
  CHECK(next(&client, 120, &at) == HC_DO_CLOSE);
  hc_client_stream_closed(&client, 120);
  CHECK(next(&client, 130, &at) == HC_DO_WAIT && at == 120 + 60000);
  /* A document that does not check out: dropped, asked for again soon. */
  connect_stream(&client, 60120);
  n = config_event("3", "{}");
  frame[n - 5] = frame[n - 5] == '0' ? '1' : '0'; /* a byte of its sha256... or of the config */
  hc_client_stream_feed(&client, frame, n, 60130);
  CHECK(next(&client, 60130, &at) == HC_DO_CLOSE);
  hc_client_stream_closed(&client, 60130);
  CHECK(next(&client, 60130, &at) != HC_DO_APPLY && at <= 60130 + 500);
}

void test_client_waits_out_statuses(void) {
  static const char busy[] = "HTTP/1.1 429 Slow down\r\nRetry-After: 7\r\nContent-Length: 0\r\n\r\n";
  static const char refused[] = "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n";
  uint64_t at;
  start(&client, 0);
  CHECK(next(&client, 0, &at) == HC_DO_CONNECT);
  hc_client_stream_opened(&client, 0);
  hc_client_stream_feed(&client, busy, sizeof busy - 1, 5);
  CHECK(next(&client, 5, &at) == HC_DO_CLOSE);
  hc_client_stream_closed(&client, 5);
  CHECK(next(&client, 6, &at) == HC_DO_WAIT && at == 5 + 7000);
  CHECK(next(&client, 7005, &at) == HC_DO_CONNECT);
  hc_client_stream_opened(&client, 7005);
  hc_client_stream_feed(&client, refused, sizeof refused - 1, 7010);
  CHECK(next(&client, 7010, &at) == HC_DO_CLOSE);
  hc_client_stream_closed(&client, 7010);
  CHECK(next(&client, 7011, &at) == HC_DO_WAIT && at == 7010 + 60000);
}

void test_client_tries_a_passing_failure_again(void) {
  uint64_t at;
  const char* config;
  size_t len, n;
  uint32_t rng = hc_random_seed(7);
  /* The retry's delay is the client's first draw of its generator. */
  const uint64_t due = 10 + hc_backoff_ms(0, 500, 60000, hc_random_next(&rng));
  start(&client, 4);
  connect_stream(&client, 0);
  n = config_event("6", "{\"disk\":\"full\"}");
  hc_client_stream_feed(&client, frame, n, 10);
  CHECK(next(&client, 10, &at) == HC_DO_APPLY);
  hc_client_answer(&client, HC_RETRY, "no space left", 13, 10);
  CHECK(hc_client_last_revision(&client) == 4);
  ack_with(&client, 10, recorded);
  CHECK(strstr(out, "\"revision\":6,\"status\":\"rejected\",\"error\":\"no space left\"") != NULL);
  CHECK(due > 12); /* the seed gives a draw this test can wait out */
  CHECK(next(&client, 11, &at) == HC_DO_WAIT && at == due);
  /* Sent again before the retry is due: answered the same, not applied. */
  hc_client_stream_feed(&client, frame, n, 11);
  CHECK(next(&client, 11, &at) == HC_DO_ACK);
  ack_with(&client, 11, recorded);
  /* When it is due, it is applied again where it lies, on the same stream. */
  CHECK(next(&client, due, &at) == HC_DO_APPLY);
  CHECK(hc_client_config(&client, &config, &len) == 6 && SAME(config, len, "{\"disk\":\"full\"}"));
  hc_client_answer(&client, HC_APPLIED, NULL, 0, due + 20);
  CHECK(hc_client_last_revision(&client) == 6);
  CHECK(next(&client, due + 20, &at) == HC_DO_ACK);
}

void test_client_fetches_a_retry_written_over(void) {
  static const char other[] = "event: note\ndata: {\"something\":\"else\"}\n\n";
  uint64_t at, due;
  const char* config;
  size_t len, n;
  start(&client, 4);
  connect_stream(&client, 0);
  n = config_event("6", "{\"disk\":\"full\"}");
  hc_client_stream_feed(&client, frame, n, 10);
  CHECK(next(&client, 10, &at) == HC_DO_APPLY);
  hc_client_answer(&client, HC_RETRY, "no space left", 13, 10);
  ack_with(&client, 10, recorded);
  /* Another event's data lands in the buffer: the document is gone from it. */
  CHECK(hc_client_stream_feed(&client, other, sizeof other - 1, 11) == sizeof other - 1);
  CHECK(next(&client, 11, &due) == HC_DO_WAIT && due != UINT64_MAX);
  /* So, when due, the stream is opened again and henged sends the config. */
  CHECK(next(&client, due, &at) == HC_DO_CLOSE);
  hc_client_stream_closed(&client, due);
  connect_stream(&client, due);
  CHECK(strstr(out, "Last-Event-ID: 4\r\n") != NULL);
  hc_client_stream_feed(&client, frame, n, due + 10);
  CHECK(next(&client, due + 10, &at) == HC_DO_APPLY);
  CHECK(hc_client_config(&client, &config, &len) == 6);
}

void test_client_cuts_a_long_reason_to_fit(void) {
  static char reason[HC_CLIENT_ERROR_BYTES];
  uint64_t at;
  size_t n;
  char* body;
  memset(reason, '"', sizeof reason); /* each one escaped as two bytes: 320 in all */
  start(&client, 0);
  connect_stream(&client, 0);
  n = config_event("2", "{}");
  hc_client_stream_feed(&client, frame, n, 1);
  CHECK(next(&client, 1, &at) == HC_DO_APPLY);
  hc_client_answer(&client, HC_REJECTED, reason, sizeof reason, 1);
  CHECK(next(&client, 1, &at) == HC_DO_ACK);
  n = hc_client_ack_request(&client, out, sizeof out);
  CHECK(n > 0 && n <= sizeof out);
  body = strstr(out, "\r\n\r\n");
  {
    static const char start_of_body[] = "{\"revision\":2,\"status\":\"rejected\",\"error\":\"\\\"\\\"";
    CHECK(body != NULL && strncmp(body + 4, start_of_body, sizeof start_of_body - 1) == 0);
  }
  CHECK(out[n - 1] == '}' && out[n - 2] == '"');
}

/* A poll's answer with document (its sha256 computed here), or a 304. */
static size_t poll_answer(const char* revision, const char* config) {
  static char body[700];
  hc_out o;
  size_t body_len;
  hc_out_init(&o, body, sizeof body);
  write_document(&o, revision, config);
  body_len = hc_out_end(&o);
  hc_out_init(&o, frame, sizeof frame);
  hc_out_str(&o, "HTTP/1.1 200 OK\r\nETag: \"");
  hc_out_str(&o, revision);
  hc_out_str(&o, "\"\r\nContent-Length: ");
  hc_out_u64(&o, body_len);
  hc_out_str(&o, "\r\n\r\n");
  hc_out_str(&o, body);
  return hc_out_end(&o);
}

void test_client_polls_for_a_board_that_sleeps(void) {
  static const char not_modified[] = "HTTP/1.1 304 Not Modified\r\nETag: \"3\"\r\n\r\n";
  uint64_t at;
  const char* config;
  size_t len, n;
  start(&client, 2);
  CHECK(hc_client_poll_request(&client, out, sizeof out) > 0);
  CHECK(strstr(out, "GET /v1/device/config HTTP/1.1\r\n") == out && strstr(out, "If-None-Match: \"2\"\r\n") != NULL);
  CHECK(hc_client_poll_request(&client, out, sizeof out) == 0); /* one call at a time */
  n = poll_answer("3", "{\"led\":{\"on\":false}}");
  hc_client_poll_feed(&client, frame, n);
  CHECK(hc_client_poll_end(&client, 10) == HC_POLL_CONFIG);
  CHECK(next(&client, 10, &at) == HC_DO_APPLY);
  CHECK(hc_client_config(&client, &config, &len) == 3 && SAME(config, len, "{\"led\":{\"on\":false}}"));
  hc_client_answer(&client, HC_APPLIED, NULL, 0, 10);
  ack_with(&client, 10, recorded);
  CHECK(strstr(out, "{\"revision\":3,\"status\":\"applied\"}") != NULL);
  /* The next wake: nothing new. */
  CHECK(hc_client_poll_request(&client, out, sizeof out) > 0 && strstr(out, "If-None-Match: \"3\"\r\n") != NULL);
  hc_client_poll_feed(&client, not_modified, sizeof not_modified - 1);
  CHECK(hc_client_poll_end(&client, 20) == HC_POLL_NOT_MODIFIED);
  /* The same config again (its ack was lost): answered again, not applied. */
  hc_client_poll_request(&client, out, sizeof out);
  n = poll_answer("3", "{\"led\":{\"on\":false}}");
  hc_client_poll_feed(&client, frame, n);
  CHECK(hc_client_poll_end(&client, 30) == HC_POLL_ANSWERED);
  CHECK(next(&client, 30, &at) == HC_DO_ACK);
  /* A poll cut short is a failure; a config over the buffer is rejected by its ETag. */
  hc_client_poll_request(&client, out, sizeof out);
  hc_client_poll_feed(&client, frame, n / 2);
  CHECK(hc_client_poll_end(&client, 40) == HC_POLL_FAILED);
  {
    static char big[560];
    memset(big, ' ', sizeof big - 1);
    big[0] = '{';
    big[sizeof big - 2] = '}';
    hc_client_poll_request(&client, out, sizeof out);
    n = poll_answer("4", big);
    hc_client_poll_feed(&client, frame, n);
    CHECK(hc_client_call_done(&client)); /* not read to its end */
    CHECK(hc_client_poll_end(&client, 50) == HC_POLL_TOO_LARGE);
    ack_with(&client, 50, recorded);
    CHECK(strstr(out, "{\"revision\":4,\"status\":\"rejected\",\"error\":\"the config is over") != NULL);
  }
  /* A document that does not check out says why. */
  hc_client_poll_request(&client, out, sizeof out);
  n = poll_answer("5", "{}");
  frame[n - 3] = frame[n - 3] == '0' ? '1' : '0'; /* a byte of the body: the config or its sha256 */
  hc_client_poll_feed(&client, frame, n);
  CHECK(hc_client_poll_end(&client, 60) == HC_POLL_BAD_DOCUMENT && hc_client_poll_doc_err(&client) != HC_DOC_OK);
}

void test_client_an_ack_under_way_does_not_record_a_newer_answer(void) {
  uint64_t at;
  size_t n;
  start(&client, 0);
  connect_stream(&client, 0);
  n = config_event("5", "{}");
  hc_client_stream_feed(&client, frame, n, 1);
  hc_client_answer(&client, HC_APPLIED, NULL, 0, 1);
  CHECK(next(&client, 1, &at) == HC_DO_ACK);
  CHECK(hc_client_ack_request(&client, out, sizeof out) > 0); /* rev 5's ack is under way… */
  n = config_event("6", "{\"b\":2}");
  hc_client_stream_feed(&client, frame, n, 2); /* …when rev 6 comes and is answered */
  CHECK(next(&client, 2, &at) == HC_DO_APPLY);
  hc_client_answer(&client, HC_APPLIED, NULL, 0, 2);
  hc_client_call_feed(&client, recorded, sizeof recorded - 1);
  hc_client_call_end(&client, 3); /* rev 5's was recorded: rev 6's is still to send */
  CHECK(next(&client, 3, &at) == HC_DO_ACK);
  ack_with(&client, 3, recorded);
  CHECK(strstr(out, "{\"revision\":6,\"status\":\"applied\"}") != NULL);
  CHECK(next(&client, 4, &at) == HC_DO_WAIT && at == 2 + 3000);
}

void test_client_a_new_stream_waits_for_the_retried_config(void) {
  static const char other[] = "event: note\ndata: {}\n\n";
  uint64_t at;
  size_t n;
  uint32_t rng = hc_random_seed(7);
  const uint64_t due = 10 + hc_backoff_ms(0, 500, 60000, hc_random_next(&rng));
  start(&client, 0);
  connect_stream(&client, 0);
  n = config_event("3", "{}");
  hc_client_stream_feed(&client, frame, n, 10);
  hc_client_answer(&client, HC_RETRY, "busy", 4, 10);
  ack_with(&client, 10, recorded);
  hc_client_stream_feed(&client, other, sizeof other - 1, 11); /* over the document: it is fetched again */
  CHECK(next(&client, due, &at) == HC_DO_CLOSE);
  hc_client_stream_closed(&client, due);
  /* The new stream's head comes alone: the stream is kept, and the config follows. */
  connect_stream(&client, due);
  CHECK(next(&client, due + 1, &at) == HC_DO_WAIT);
  hc_client_stream_feed(&client, frame, n, due + 2);
  CHECK(next(&client, due + 2, &at) == HC_DO_APPLY);
}

void test_client_applying_is_not_silence(void) {
  uint64_t at;
  size_t n;
  start(&client, 0);
  connect_stream(&client, 0);
  n = config_event("4", "{}");
  hc_client_stream_feed(&client, frame, n, 100);
  CHECK(next(&client, 100, &at) == HC_DO_APPLY);
  hc_client_answer(&client, HC_APPLIED, NULL, 0, 5100); /* 5 s applying, over 3 keepalives */
  ack_with(&client, 5100, recorded);
  CHECK(next(&client, 5100, &at) == HC_DO_WAIT && at == 5100 + 3000);
}

void test_client_an_ack_that_does_not_fit_backs_off(void) {
  uint64_t at;
  size_t n;
  char tiny[40];
  start(&client, 0);
  connect_stream(&client, 0);
  n = config_event("7", "{}");
  hc_client_stream_feed(&client, frame, n, 1);
  hc_client_answer(&client, HC_APPLIED, NULL, 0, 1);
  CHECK(next(&client, 1, &at) == HC_DO_ACK);
  CHECK(hc_client_ack_request(&client, tiny, sizeof tiny) == 0);
  hc_client_call_end(&client, 1);                       /* the board says the call could not be made */
  CHECK(next(&client, 1, &at) != HC_DO_ACK || at != 1); /* not asked again at once… */
  CHECK(next(&client, 2000, &at) == HC_DO_ACK);         /* …but again after a backoff */
  ack_with(&client, 2000, recorded);
  CHECK(strstr(out, "{\"revision\":7,\"status\":\"applied\"}") != NULL);
}

void test_client_sends_a_kept_ack_only_once_the_stream_is_taken(void) {
  static const char busy[] = "HTTP/1.1 503 Busy\r\nRetry-After: 9\r\nContent-Length: 0\r\n\r\n";
  uint64_t at;
  size_t n;
  start(&client, 0);
  connect_stream(&client, 0);
  n = config_event("2", "{}");
  hc_client_stream_feed(&client, frame, n, 1);
  hc_client_answer(&client, HC_APPLIED, NULL, 0, 1);
  /* The ack fails; the stream drops; the ack's backoff is 60 s away (Retry-After). */
  ack_with(&client, 1, "HTTP/1.1 503 Busy\r\nRetry-After: 60\r\nContent-Length: 0\r\n\r\n");
  hc_client_stream_closed(&client, 2);
  CHECK(next(&client, 2, &at) == HC_DO_WAIT && at <= 2 + 500); /* the stream first */
  CHECK(next(&client, at, &at) == HC_DO_CONNECT);
  hc_client_stream_opened(&client, 600);
  CHECK(next(&client, 600, &at) == HC_DO_WAIT);               /* connected, but not taken yet: no ack */
  hc_client_stream_feed(&client, busy, sizeof busy - 1, 601); /* refused: still no ack */
  CHECK(next(&client, 601, &at) == HC_DO_CLOSE);
  hc_client_stream_closed(&client, 601);
  CHECK(next(&client, 601, &at) != HC_DO_ACK);
  CHECK(next(&client, at, &at) == HC_DO_CONNECT);
  hc_client_stream_opened(&client, 9601);
  hc_client_stream_feed(&client, head, sizeof head - 1, 9602); /* taken: the kept ack goes at once */
  CHECK(next(&client, 9602, &at) == HC_DO_ACK);
}
