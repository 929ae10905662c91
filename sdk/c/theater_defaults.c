// Default handlers, so that an actor implements only what it needs. Each keeps the state
// as it is; channels are refused and requests are left unanswered. They are weak: an
// actor overrides one by defining the function itself. Compiled with the same
// THEATER_WORLD definitions as theater_actor.h; THEATER_EXPORTS_MESSAGE_CLIENT and
// THEATER_EXPORTS_SUPERVISOR_HANDLERS say which interfaces the world exports.
#include "theater_actor.h"

#define KEEP_STATE(ret, state)          \
  do {                                  \
    (ret)->is_some = (state) != NULL;   \
    if (state) (ret)->val = *(state);   \
  } while (0)

#ifdef THEATER_EXPORTS_MESSAGE_CLIENT
__attribute__((weak)) bool exports_theater_simple_message_server_client_handle_send(
    theater_bytes_t *state, TW(tuple1_list_u8_t) * params, TW(tuple1_option_list_u8_t) * ret, theater_string_t *err) {
  KEEP_STATE(&ret->f0, state);
  TW(tuple1_list_u8_free)(params);
  return true;
}

__attribute__((weak)) bool exports_theater_simple_message_server_client_handle_request(
    theater_bytes_t *state, TW(tuple2_string_list_u8_t) * params, TW(tuple2_option_list_u8_tuple1_option_list_u8_t) * ret,
    theater_string_t *err) {
  KEEP_STATE(&ret->f0, state);
  ret->f1.f0.is_some = false;
  TW(tuple2_string_list_u8_free)(params);
  return true;
}

__attribute__((weak)) bool exports_theater_simple_message_server_client_handle_channel_open(
    theater_bytes_t *state, TW(tuple2_string_list_u8_t) * params,
    exports_theater_simple_message_server_client_tuple2_option_list_u8_tuple1_channel_accept_t *ret,
    theater_string_t *err) {
  KEEP_STATE(&ret->f0, state);
  ret->f1.f0.accepted = false;
  ret->f1.f0.message.is_some = false;
  TW(tuple2_string_list_u8_free)(params);
  return true;
}

__attribute__((weak)) bool exports_theater_simple_message_server_client_handle_channel_message(
    theater_bytes_t *state, exports_theater_simple_message_server_client_tuple2_channel_id_list_u8_t *params,
    TW(tuple1_option_list_u8_t) * ret, theater_string_t *err) {
  KEEP_STATE(&ret->f0, state);
  exports_theater_simple_message_server_client_tuple2_channel_id_list_u8_free(params);
  return true;
}

__attribute__((weak)) bool exports_theater_simple_message_server_client_handle_channel_close(
    theater_bytes_t *state, exports_theater_simple_message_server_client_tuple1_channel_id_t *params,
    TW(tuple1_option_list_u8_t) * ret, theater_string_t *err) {
  KEEP_STATE(&ret->f0, state);
  exports_theater_simple_message_server_client_tuple1_channel_id_free(params);
  return true;
}
#endif

#ifdef THEATER_EXPORTS_SUPERVISOR_HANDLERS
__attribute__((weak)) bool exports_theater_simple_supervisor_handlers_handle_child_error(
    theater_bytes_t *state, exports_theater_simple_supervisor_handlers_tuple2_string_wit_actor_error_t *params,
    TW(tuple1_option_list_u8_t) * ret, theater_string_t *err) {
  KEEP_STATE(&ret->f0, state);
  exports_theater_simple_supervisor_handlers_tuple2_string_wit_actor_error_free(params);
  return true;
}

__attribute__((weak)) bool exports_theater_simple_supervisor_handlers_handle_child_exit(
    theater_bytes_t *state, TW(tuple2_string_option_list_u8_t) * params, TW(tuple1_option_list_u8_t) * ret,
    theater_string_t *err) {
  KEEP_STATE(&ret->f0, state);
  TW(tuple2_string_option_list_u8_free)(params);
  return true;
}

__attribute__((weak)) bool exports_theater_simple_supervisor_handlers_handle_child_external_stop(
    theater_bytes_t *state, TW(tuple1_string_t) * params, TW(tuple1_option_list_u8_t) * ret, theater_string_t *err) {
  KEEP_STATE(&ret->f0, state);
  TW(tuple1_string_free)(params);
  return true;
}
#endif
