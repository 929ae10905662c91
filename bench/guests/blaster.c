// blaster: the benchmark actor.
//   request "blast ID N SIZE" -> sends N messages of SIZE bytes to ID, answers "sent K"
//   request "ask ID N"        -> makes N requests to ID one after the other, answers "asked K"
//   request "count"           -> how many messages it has received (handle-send)
//   request anything else     -> answered with itself
//   handle-send               -> counts the message (the state is the count, 8 bytes)
#include <stdint.h>

#include "theater_actor.h"

static uint64_t count_of(const theater_bytes_t *state) {
  uint64_t n = 0;
  if (state && state->len == 8) memcpy(&n, state->ptr, 8);
  return n;
}

static message_actor_option_list_u8_t state_of(uint64_t n) {
  message_actor_option_list_u8_t out = {true, theater_bytes(&n, 8)};
  return out;
}

bool exports_theater_simple_actor_init(theater_bytes_t *state, message_actor_tuple1_string_t *params,
                                       message_actor_tuple1_option_list_u8_t *ret, message_actor_string_t *err) {
  ret->f0 = state_of(count_of(state));
  if (state) message_actor_list_u8_free(state);
  message_actor_tuple1_string_free(params);
  return true;
}

bool exports_theater_simple_message_server_client_handle_send(theater_bytes_t *state,
                                                              message_actor_tuple1_list_u8_t *params,
                                                              message_actor_tuple1_option_list_u8_t *ret,
                                                              message_actor_string_t *err) {
  uint64_t n = count_of(state) + 1;
  if (state && state->len == 8) {
    memcpy(state->ptr, &n, 8);  // reuse the buffer
    ret->f0 = theater_keep_state(state);
  } else {
    ret->f0 = state_of(n);
    if (state) message_actor_list_u8_free(state);
  }
  message_actor_tuple1_list_u8_free(params);
  return true;
}

bool exports_theater_simple_message_server_client_handle_request(
    theater_bytes_t *state, message_actor_tuple2_string_list_u8_t *params,
    message_actor_tuple2_option_list_u8_tuple1_option_list_u8_t *ret, message_actor_string_t *err) {
  char *command = theater_cstr(params->f1.ptr, params->f1.len);
  char target[64];
  long n = 0, size = 0;
  char answer[128];
  ret->f0 = state_of(count_of(state));
  if (sscanf(command, "blast %63s %ld %ld", target, &n, &size) == 3) {
    message_actor_string_t to = {(uint8_t *)target, strlen(target)};
    theater_bytes_t msg = {(uint8_t *)malloc(size ? size : 1), (size_t)size};
    memset(msg.ptr, 'm', size);
    long sent = 0;
    message_actor_string_t error;
    for (; sent < n; ++sent) {
      if (!theater_simple_message_server_host_send(&to, &msg, &error)) {
        message_actor_string_free(&error);
        break;
      }
    }
    free(msg.ptr);
    snprintf(answer, sizeof answer, "sent %ld", sent);
  } else if (sscanf(command, "ask %63s %ld", target, &n) == 2) {
    message_actor_string_t to = {(uint8_t *)target, strlen(target)};
    theater_bytes_t msg = {(uint8_t *)"q", 1};
    long asked = 0;
    for (; asked < n; ++asked) {
      theater_bytes_t reply;
      message_actor_string_t error;
      if (!theater_simple_message_server_host_request(&to, &msg, &reply, &error)) {
        message_actor_string_free(&error);
        break;
      }
      message_actor_list_u8_free(&reply);
    }
    snprintf(answer, sizeof answer, "asked %ld", asked);
  } else if (strcmp(command, "count") == 0) {
    snprintf(answer, sizeof answer, "%llu", (unsigned long long)count_of(state));
  } else {
    ret->f1.f0.is_some = true;
    ret->f1.f0.val = params->f1;  // echo: hand the buffer back
    params->f1.ptr = NULL;
    params->f1.len = 0;
    free(command);
    if (state) message_actor_list_u8_free(state);
    message_actor_string_free(&params->f0);
    return true;
  }
  ret->f1.f0.is_some = true;
  ret->f1.f0.val = theater_text(answer);
  free(command);
  if (state) message_actor_list_u8_free(state);
  message_actor_tuple2_string_list_u8_free(params);
  return true;
}
