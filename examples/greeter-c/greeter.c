// greeter: a C actor. It greets whoever asks and counts its visitors.
//   init            state {"greetings":N} (0 when it starts without one)
//   handle-request  "NAME" -> "Hello, NAME! You are visitor number N."
//   handle-send     "TEXT" -> logs it, no answer
// Bindings come from `wit-bindgen c` for the message-actor world of ../../wit; the
// channel handlers are the SDK defaults (sdk/c/theater_defaults.c).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "message_actor.h"

static void log_text(const char *text) {
  message_actor_string_t msg = {(uint8_t *)text, strlen(text)};
  theater_simple_runtime_log(&msg);
}

// Reads N from a state {"greetings":N}; 0 when there is no state or no number.
static long greetings_in(const message_actor_list_u8_t *state) {
  if (!state || state->len == 0) return 0;
  char text[64] = {0};
  memcpy(text, state->ptr, state->len < sizeof text - 1 ? state->len : sizeof text - 1);
  const char *colon = strchr(text, ':');
  return colon ? strtol(colon + 1, NULL, 10) : 0;
}

// A malloc'd copy of `text` as list<u8> (the bindings free it after the call returns).
static message_actor_list_u8_t bytes_of(const char *text) {
  size_t len = strlen(text);
  message_actor_list_u8_t out = {malloc(len ? len : 1), len};
  memcpy(out.ptr, text, len);
  return out;
}

static void set_state(message_actor_option_list_u8_t *out, long greetings) {
  char text[64];
  snprintf(text, sizeof text, "{\"greetings\":%ld}", greetings);
  out->is_some = true;
  out->val = bytes_of(text);
}

bool exports_theater_simple_actor_init(message_actor_list_u8_t *state, message_actor_tuple1_string_t *params,
                                       message_actor_tuple1_option_list_u8_t *ret, message_actor_string_t *err) {
  long greetings = greetings_in(state);
  char line[160];
  snprintf(line, sizeof line, "greeter %.*s ready, %ld greetings so far", (int)params->f0.len,
           (const char *)params->f0.ptr, greetings);
  log_text(line);
  set_state(&ret->f0, greetings);
  if (state) message_actor_list_u8_free(state);
  message_actor_tuple1_string_free(params);
  return true;
}

bool exports_theater_simple_message_server_client_handle_send(message_actor_list_u8_t *state,
                                                              message_actor_tuple1_list_u8_t *params,
                                                              message_actor_tuple1_option_list_u8_t *ret,
                                                              message_actor_string_t *err) {
  char line[160];
  snprintf(line, sizeof line, "note: %.*s", (int)params->f0.len, (const char *)params->f0.ptr);
  log_text(line);
  set_state(&ret->f0, greetings_in(state));
  if (state) message_actor_list_u8_free(state);
  message_actor_tuple1_list_u8_free(params);
  return true;
}

bool exports_theater_simple_message_server_client_handle_request(
    message_actor_list_u8_t *state, message_actor_tuple2_string_list_u8_t *params,
    message_actor_tuple2_option_list_u8_tuple1_option_list_u8_t *ret, message_actor_string_t *err) {
  long greetings = greetings_in(state) + 1;
  const message_actor_list_u8_t *name = &params->f1;
  if (name->len == 0 || name->len > 100) {
    // A guest error fails the call: the runtime keeps the state from before it.
    message_actor_string_dup(err, "a name of 1 to 100 bytes, please");
    if (state) message_actor_list_u8_free(state);
    message_actor_tuple2_string_list_u8_free(params);
    return false;
  }
  char answer[200];
  snprintf(answer, sizeof answer, "Hello, %.*s! You are visitor number %ld.", (int)name->len,
           (const char *)name->ptr, greetings);
  set_state(&ret->f0, greetings);
  ret->f1.f0.is_some = true;
  ret->f1.f0.val = bytes_of(answer);
  if (state) message_actor_list_u8_free(state);
  message_actor_tuple2_string_list_u8_free(params);
  return true;
}
