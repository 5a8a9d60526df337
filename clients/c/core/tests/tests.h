/* Every test of the core, named once: the runner calls each of them. */
#define HC_TESTS(X)                                         \
  X(text_writer_never_passes_its_buffer)                    \
  X(text_json_strings_are_escaped_and_valid)                \
  X(text_numbers_and_utf8)                                  \
  X(sha256_matches_the_standards_examples)                  \
  X(sha256_split_updates_give_the_same_digest)              \
  X(backoff_ceiling_doubles_up_to_the_cap)                  \
  X(backoff_jitter_spans_zero_to_the_ceiling)               \
  X(json_accepts_valid_json)                                \
  X(json_rejects_invalid_json)                              \
  X(json_depth_is_bounded)                                  \
  X(json_members_are_exact_bytes)                           \
  X(json_keys_compare_through_escapes)                      \
  X(json_strings_decode_to_utf8)                            \
  X(json_pointers_find_values)                              \
  X(json_flags_are_true_false_or_wrong)                     \
  X(doc_takes_the_config_bytes_and_checks_them)             \
  X(doc_refuses_broken_documents)                           \
  X(doc_goaway_reasons)                                     \
  X(sse_same_events_whatever_the_split)                     \
  X(sse_partial_byte_order_mark_is_text)                    \
  X(sse_oversized_event_is_skipped_and_reported)            \
  X(sse_ignores_unknown_fields_and_bad_retries)             \
  X(sse_ids_with_nul_or_too_long)                           \
  X(http_content_length_response)                           \
  X(http_chunked_response_whatever_the_split)               \
  X(http_close_delimited_and_truncated)                     \
  X(http_headers_the_protocol_reads)                        \
  X(http_rejects_malformed_responses)                       \
  X(http_no_body_statuses_and_interim)                      \
  X(http_request_heads)                                     \
  X(dns_queries_are_rfc1035)                                \
  X(dns_answers_give_the_addresses)                         \
  X(client_applies_and_acknowledges)                        \
  X(client_keeps_a_lost_ack_and_answers_a_resend)           \
  X(client_after_a_restart_answers_without_applying)        \
  X(client_hands_out_one_config_at_a_time)                  \
  X(client_rejects_an_oversized_config_naming_the_limit)    \
  X(client_holds_configs_to_its_limit)                      \
  X(client_says_why_the_stream_closed)                      \
  X(client_reconnects_as_the_server_asks)                   \
  X(client_waits_out_statuses)                              \
  X(client_tries_a_passing_failure_again)                   \
  X(client_fetches_a_retry_written_over)                    \
  X(client_cuts_a_long_reason_to_fit)                       \
  X(client_polls_for_a_board_that_sleeps)                   \
  X(client_an_ack_under_way_does_not_record_a_newer_answer) \
  X(client_a_new_stream_waits_for_the_retried_config)       \
  X(client_applying_is_not_silence)                         \
  X(client_an_ack_that_does_not_fit_backs_off)              \
  X(client_sends_a_kept_ack_only_once_the_stream_is_taken)

#define HC_DECLARE(name) void test_##name(void);
HC_TESTS(HC_DECLARE)
