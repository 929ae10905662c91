// ping: on the request "play PONG-ID N" it asks the pong actor "ping 1" ... "ping N" (each a
// request/response between actors, each recorded in both chains) and answers with a summary.
#include "theater_actor.h"

bool exports_theater_simple_actor_init(theater_bytes_t *state, message_actor_tuple1_string_t *params,
                                       message_actor_tuple1_option_list_u8_t *ret, message_actor_string_t *err) {
  ret->f0 = theater_keep_state(state);
  message_actor_tuple1_string_free(params);
  return true;
}

bool exports_theater_simple_message_server_client_handle_request(
    theater_bytes_t *state, message_actor_tuple2_string_list_u8_t *params,
    message_actor_tuple2_option_list_u8_tuple1_option_list_u8_t *ret, message_actor_string_t *err) {
  char *command = theater_cstr(params->f1.ptr, params->f1.len);
  char pong[64] = {0};
  int rounds = 0;
  ret->f0 = theater_keep_state(state);
  message_actor_tuple2_string_list_u8_free(params);
  if (sscanf(command, "play %63s %d", pong, &rounds) != 2 || rounds < 1 || rounds > 1000) {
    message_actor_option_list_u8_free(&ret->f0);
    message_actor_string_dup(err, "usage: play PONG-ID ROUNDS (1 to 1000)");
    free(command);
    return false;
  }
  int answered = 0;
  for (int i = 1; i <= rounds; ++i) {
    char ping[32];
    snprintf(ping, sizeof ping, "ping %d", i);
    message_actor_string_t target = {(uint8_t *)pong, strlen(pong)};
    theater_bytes_t msg = {(uint8_t *)ping, strlen(ping)};
    theater_bytes_t reply;
    message_actor_string_t error;
    if (theater_simple_message_server_host_request(&target, &msg, &reply, &error)) {
      theater_log("%s -> %.*s", ping, (int)reply.len, (const char *)reply.ptr);
      message_actor_list_u8_free(&reply);
      ++answered;
    } else {
      theater_log("%s failed: %.*s", ping, (int)error.len, (const char *)error.ptr);
      message_actor_string_free(&error);
    }
  }
  char summary[96];
  snprintf(summary, sizeof summary, "%d of %d pings answered", answered, rounds);
  ret->f1.f0.is_some = true;
  ret->f1.f0.val = theater_text(summary);
  free(command);
  return true;
}
