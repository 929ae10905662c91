// worker: squares numbers. "job N" -> "N squared is N*N". It has a bug: a multiple of 3
// makes it crash (a trap), which its supervisor handles by restarting it.
#include "theater_actor.h"

bool exports_theater_simple_actor_init(theater_bytes_t *state, message_actor_tuple1_string_t *params,
                                       message_actor_tuple1_option_list_u8_t *ret, theater_string_t *err) {
  theater_log("worker %.*s ready", (int)params->f0.len, (const char *)params->f0.ptr);
  ret->f0 = state ? theater_keep_state(state) : theater_state_text("0");
  message_actor_tuple1_string_free(params);
  return true;
}

bool exports_theater_simple_message_server_client_handle_request(
    theater_bytes_t *state, message_actor_tuple2_string_list_u8_t *params,
    message_actor_tuple2_option_list_u8_tuple1_option_list_u8_t *ret, theater_string_t *err) {
  char *job = theater_cstr(params->f1.ptr, params->f1.len);
  long n = 0;
  if (sscanf(job, "job %ld", &n) != 1) {
    message_actor_string_dup(err, "expected: job N");
    free(job);
    if (state) message_actor_list_u8_free(state);
    message_actor_tuple2_string_list_u8_free(params);
    return false;
  }
  if (n % 3 == 0) __builtin_trap();  // the bug
  char *done_text = state ? theater_cstr(state->ptr, state->len) : NULL;
  char count[32], answer[96];
  snprintf(count, sizeof count, "%ld", (done_text ? atol(done_text) : 0) + 1);
  snprintf(answer, sizeof answer, "%ld squared is %ld", n, n * n);
  ret->f0 = theater_state_text(count);
  ret->f1.f0.is_some = true;
  ret->f1.f0.val = theater_text(answer);
  free(done_text);
  free(job);
  if (state) message_actor_list_u8_free(state);
  message_actor_tuple2_string_list_u8_free(params);
  return true;
}
