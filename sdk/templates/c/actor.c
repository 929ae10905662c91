// @NAME@: a Theater actor in C, made by `theater new`. It answers each request with a
// greeting and counts the requests in its state (the count as decimal text).
//   handle-request  "TEXT" -> "Hello from @NAME@: TEXT (request N)"
//   handle-send     "TEXT" -> logged, no answer
// Handlers this file does not define keep the state and do nothing (theater/sdk/theater_defaults.c).
// Arguments are the callee's to free; results must be malloc'd (the bindings free them).
#include "theater_actor.h"

// The count in a state; 0 without one.
static long count_in(const theater_bytes_t *state) {
  if (!state || state->len == 0 || state->len > 20) return 0;
  char text[24] = {0};
  memcpy(text, state->ptr, state->len);
  return strtol(text, NULL, 10);
}

static theater_state_t state_of(long count) {
  char text[24];
  snprintf(text, sizeof text, "%ld", count);
  return theater_state_text(text);
}

bool exports_theater_simple_actor_init(theater_bytes_t *state, TW(tuple1_string_t) * params,
                                       TW(tuple1_option_list_u8_t) * ret, theater_string_t *err) {
  theater_log("@NAME@ started as %.*s", (int)params->f0.len, (const char *)params->f0.ptr);
  ret->f0 = state_of(count_in(state));
  if (state) TW(list_u8_free)(state);
  TW(tuple1_string_free)(params);
  return true;
}

bool exports_theater_simple_message_server_client_handle_send(theater_bytes_t *state, TW(tuple1_list_u8_t) * params,
                                                              TW(tuple1_option_list_u8_t) * ret,
                                                              theater_string_t *err) {
  theater_log("note: %.*s", (int)params->f0.len, (const char *)params->f0.ptr);
  ret->f0 = theater_keep_state(state);  // the state goes back as it came
  TW(tuple1_list_u8_free)(params);
  return true;
}

bool exports_theater_simple_message_server_client_handle_request(theater_bytes_t *state,
                                                                 TW(tuple2_string_list_u8_t) * params,
                                                                 TW(tuple2_option_list_u8_tuple1_option_list_u8_t) * ret,
                                                                 theater_string_t *err) {
  long count = count_in(state) + 1;
  char answer[1024];
  snprintf(answer, sizeof answer, "Hello from @NAME@: %.*s (request %ld)", (int)params->f1.len,
           (const char *)params->f1.ptr, count);
  ret->f0 = state_of(count);
  ret->f1.f0 = theater_state_text(answer);
  if (state) TW(list_u8_free)(state);
  TW(tuple2_string_list_u8_free)(params);
  return true;
}
