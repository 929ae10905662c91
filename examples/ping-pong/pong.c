// pong: answers "ping N" with "pong N" and counts the pings it has seen (its state).
#include "theater_actor.h"

bool exports_theater_simple_actor_init(theater_bytes_t *state, message_actor_tuple1_string_t *params,
                                       message_actor_tuple1_option_list_u8_t *ret, message_actor_string_t *err) {
  ret->f0 = state ? theater_keep_state(state) : theater_state_text("0");
  message_actor_tuple1_string_free(params);
  return true;
}

bool exports_theater_simple_message_server_client_handle_request(
    theater_bytes_t *state, message_actor_tuple2_string_list_u8_t *params,
    message_actor_tuple2_option_list_u8_tuple1_option_list_u8_t *ret, message_actor_string_t *err) {
  char *count_text = state ? theater_cstr(state->ptr, state->len) : NULL;
  long pings = count_text ? atol(count_text) : 0;
  char *ping = theater_cstr(params->f1.ptr, params->f1.len);
  if (strncmp(ping, "ping", 4) != 0) {
    message_actor_string_dup(err, "pong only answers pings");
    free(count_text);
    free(ping);
    if (state) message_actor_list_u8_free(state);
    message_actor_tuple2_string_list_u8_free(params);
    return false;
  }
  char answer[128], count[32];
  snprintf(answer, sizeof answer, "pong%s", ping + 4);
  snprintf(count, sizeof count, "%ld", pings + 1);
  theater_log("%s -> %s", ping, answer);
  ret->f0 = theater_state_text(count);
  ret->f1.f0.is_some = true;
  ret->f1.f0.val = theater_text(answer);
  free(count_text);
  free(ping);
  if (state) message_actor_list_u8_free(state);
  message_actor_tuple2_string_list_u8_free(params);
  return true;
}
