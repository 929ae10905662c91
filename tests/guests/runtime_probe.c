// runtime-probe: a test actor that calls every function of theater:simple/runtime on
// request, so the tests can check what the host hands in.
//   "state"    -> the bytes get-state returned
//   "chain"    -> "events=N last=<type of the last event> linked=yes|no"
//   "shutdown" -> calls shutdown(some("bye")), answers "ok" or the error
//   other      -> echoed back; the state becomes the request
// The other handlers are the SDK defaults.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "message_actor.h"

static message_actor_list_u8_t copy_bytes(const void *data, size_t len) {
  message_actor_list_u8_t out = {malloc(len ? len : 1), len};
  memcpy(out.ptr, data, len);
  return out;
}

static bool is(const message_actor_list_u8_t *m, const char *word) {
  return m->len == strlen(word) && memcmp(m->ptr, word, m->len) == 0;
}

bool exports_theater_simple_actor_init(message_actor_list_u8_t *state, message_actor_tuple1_string_t *params,
                                       message_actor_tuple1_option_list_u8_t *ret, message_actor_string_t *err) {
  ret->f0.is_some = true;
  ret->f0.val = copy_bytes("initial", 7);
  if (state) message_actor_list_u8_free(state);
  message_actor_tuple1_string_free(params);
  return true;
}

bool exports_theater_simple_message_server_client_handle_request(
    message_actor_list_u8_t *state, message_actor_tuple2_string_list_u8_t *params,
    message_actor_tuple2_option_list_u8_tuple1_option_list_u8_t *ret, message_actor_string_t *err) {
  const message_actor_list_u8_t *msg = &params->f1;
  message_actor_list_u8_t answer;
  // Keep the state unless the request replaces it.
  ret->f0.is_some = state != NULL;
  if (state) ret->f0.val = copy_bytes(state->ptr, state->len);
  if (is(msg, "state")) {
    message_actor_list_u8_t current;
    theater_simple_runtime_get_state(&current);
    answer = copy_bytes(current.ptr, current.len);
    message_actor_list_u8_free(&current);
  } else if (is(msg, "chain")) {
    theater_simple_runtime_chain_t chain;
    theater_simple_runtime_get_chain(&chain);
    size_t n = chain.events.len;
    const char *last = "";
    int last_len = 0;
    bool linked = true;
    for (size_t i = 0; i < n; ++i) {
      theater_simple_types_meta_event_t *e = &chain.events.ptr[i];
      if (i == 0) linked = linked && !e->event.parent.is_some;
      else linked = linked && e->event.parent.is_some && e->event.parent.val == chain.events.ptr[i - 1].hash;
      last = (const char *)e->event.event_type.ptr;
      last_len = (int)e->event.event_type.len;
    }
    char text[200];
    snprintf(text, sizeof text, "events=%zu last=%.*s linked=%s", n, last_len, last, linked ? "yes" : "no");
    answer = copy_bytes(text, strlen(text));
    theater_simple_runtime_chain_free(&chain);
  } else if (is(msg, "shutdown")) {
    message_actor_list_u8_t data = {(uint8_t *)"bye", 3};
    message_actor_string_t error;
    if (theater_simple_runtime_shutdown(&data, &error)) {
      answer = copy_bytes("ok", 2);
    } else {
      answer = copy_bytes(error.ptr, error.len);
      message_actor_string_free(&error);
    }
  } else {
    answer = copy_bytes(msg->ptr, msg->len);
    if (ret->f0.is_some) message_actor_list_u8_free(&ret->f0.val);
    ret->f0.is_some = true;
    ret->f0.val = copy_bytes(msg->ptr, msg->len);
  }
  ret->f1.f0.is_some = true;
  ret->f1.f0.val = answer;
  if (state) message_actor_list_u8_free(state);
  message_actor_tuple2_string_list_u8_free(params);
  return true;
}
