// Default message-server-client exports for actors of the `message-actor` world: each keeps
// the state as it is, and channels are refused. They are weak: an actor overrides any of
// them by defining the function itself, and implements only the handlers it needs.
#include "message_actor.h"

#define KEEP_STATE(ret, state)  \
  do {                          \
    (ret)->is_some = (state) != NULL; \
    if (state) (ret)->val = *(state); \
  } while (0)

__attribute__((weak)) bool exports_theater_simple_message_server_client_handle_send(
    message_actor_list_u8_t *state, message_actor_tuple1_list_u8_t *params, message_actor_tuple1_option_list_u8_t *ret,
    message_actor_string_t *err) {
  KEEP_STATE(&ret->f0, state);
  message_actor_tuple1_list_u8_free(params);
  return true;
}

// Answers nothing: the request stays parked.
__attribute__((weak)) bool exports_theater_simple_message_server_client_handle_request(
    message_actor_list_u8_t *state, message_actor_tuple2_string_list_u8_t *params,
    message_actor_tuple2_option_list_u8_tuple1_option_list_u8_t *ret, message_actor_string_t *err) {
  KEEP_STATE(&ret->f0, state);
  ret->f1.f0.is_some = false;
  message_actor_tuple2_string_list_u8_free(params);
  return true;
}

__attribute__((weak)) bool exports_theater_simple_message_server_client_handle_channel_open(
    message_actor_list_u8_t *state, message_actor_tuple2_string_list_u8_t *params,
    exports_theater_simple_message_server_client_tuple2_option_list_u8_tuple1_channel_accept_t *ret,
    message_actor_string_t *err) {
  KEEP_STATE(&ret->f0, state);
  ret->f1.f0.accepted = false;
  ret->f1.f0.message.is_some = false;
  message_actor_tuple2_string_list_u8_free(params);
  return true;
}

__attribute__((weak)) bool exports_theater_simple_message_server_client_handle_channel_message(
    message_actor_list_u8_t *state, exports_theater_simple_message_server_client_tuple2_channel_id_list_u8_t *params,
    message_actor_tuple1_option_list_u8_t *ret, message_actor_string_t *err) {
  KEEP_STATE(&ret->f0, state);
  exports_theater_simple_message_server_client_tuple2_channel_id_list_u8_free(params);
  return true;
}

__attribute__((weak)) bool exports_theater_simple_message_server_client_handle_channel_close(
    message_actor_list_u8_t *state, exports_theater_simple_message_server_client_tuple1_channel_id_t *params,
    message_actor_tuple1_option_list_u8_t *ret, message_actor_string_t *err) {
  KEEP_STATE(&ret->f0, state);
  exports_theater_simple_message_server_client_tuple1_channel_id_free(params);
  return true;
}
