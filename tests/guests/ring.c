// ring: a link of a request ring. Its state is the id of the next actor ("" for the
// last). A request is passed on to the next actor and its response is passed back; the
// last actor answers with the request itself.
#include <stdlib.h>
#include <string.h>

#include "message_actor.h"

bool exports_theater_simple_actor_init(message_actor_list_u8_t *state, message_actor_tuple1_string_t *params,
                                       message_actor_tuple1_option_list_u8_t *ret, message_actor_string_t *err) {
  ret->f0.is_some = state != NULL;
  if (state) ret->f0.val = *state;
  message_actor_tuple1_string_free(params);
  return true;
}

bool exports_theater_simple_message_server_client_handle_request(
    message_actor_list_u8_t *state, message_actor_tuple2_string_list_u8_t *params,
    message_actor_tuple2_option_list_u8_tuple1_option_list_u8_t *ret, message_actor_string_t *err) {
  ret->f1.f0.is_some = true;
  if (!state || state->len == 0) {
    ret->f1.f0.val = params->f1;  // the last link answers with the request itself
    params->f1.ptr = NULL;
    params->f1.len = 0;
  } else {
    message_actor_string_t next = {state->ptr, state->len};
    message_actor_string_t error;
    if (!theater_simple_message_server_host_request(&next, &params->f1, &ret->f1.f0.val, &error)) {
      *err = error;
      message_actor_list_u8_free(state);
      message_actor_string_free(&params->f0);
      message_actor_list_u8_free(&params->f1);
      return false;
    }
  }
  ret->f0.is_some = state != NULL;
  if (state) ret->f0.val = *state;
  message_actor_string_free(&params->f0);
  if (params->f1.ptr) message_actor_list_u8_free(&params->f1);
  return true;
}
