// stater: the actor of the state benchmark (bench/state_bench.cc).
//   state                    -> whatever the runtime hands it (the bench spawns it with N bytes)
//   handle-send              -> changes the state and returns all of it: the first 8 bytes
//                               count the turns, the message overwrites bytes further on (at
//                               an offset that moves every turn); a state under 8 bytes is
//                               handed back as it is
//   request "read PATH"      -> filesystem read-file of PATH, answers "ok:SIZE" (or "err: why")
//   request "len"            -> the state's size in bytes
//   request anything else    -> answered with itself
#include <stdint.h>

#include "theater_actor.h"

bool exports_theater_simple_actor_init(theater_bytes_t *state, TW(tuple1_string_t) * params,
                                       TW(tuple1_option_list_u8_t) * ret, theater_string_t *err) {
  ret->f0 = theater_keep_state(state);
  TW(tuple1_string_free)(params);
  return true;
}

bool exports_theater_simple_message_server_client_handle_send(theater_bytes_t *state, TW(tuple1_list_u8_t) * params,
                                                              TW(tuple1_option_list_u8_t) * ret,
                                                              theater_string_t *err) {
  if (state && state->len >= 8) {
    uint64_t turn;
    memcpy(&turn, state->ptr, 8);
    ++turn;
    memcpy(state->ptr, &turn, 8);
    size_t room = state->len - 8, n = params->f0.len;
    if (n > room) n = room;
    if (n) {
      size_t span = room - n + 1;
      size_t at = 8 + (size_t)((turn * 4099u) % span);
      memcpy(state->ptr + at, params->f0.ptr, n);
    }
  }
  ret->f0 = theater_keep_state(state);  // the whole state goes back
  TW(tuple1_list_u8_free)(params);
  return true;
}

bool exports_theater_simple_message_server_client_handle_request(theater_bytes_t *state,
                                                                 TW(tuple2_string_list_u8_t) * params,
                                                                 TW(tuple2_option_list_u8_tuple1_option_list_u8_t) * ret,
                                                                 theater_string_t *err) {
  char *command = theater_cstr(params->f1.ptr, params->f1.len);
  char answer[256];
  ret->f1.f0.is_some = true;
  if (strncmp(command, "read ", 5) == 0) {
    theater_string_t path = theater_str(command + 5);
    theater_bytes_t data;
    theater_string_t e;
    if (theater_simple_filesystem_read_file(&path, &data, &e)) {
      snprintf(answer, sizeof answer, "ok:%zu", data.len);
      TW(list_u8_free)(&data);
    } else {
      snprintf(answer, sizeof answer, "err: %.*s", (int)(e.len > 200 ? 200 : e.len), (const char *)e.ptr);
      TW(string_free)(&e);
    }
    ret->f1.f0.val = theater_text(answer);
  } else if (strcmp(command, "len") == 0) {
    snprintf(answer, sizeof answer, "%zu", state ? state->len : (size_t)0);
    ret->f1.f0.val = theater_text(answer);
  } else {
    ret->f1.f0.val = theater_bytes(params->f1.ptr, params->f1.len);
  }
  ret->f0 = theater_keep_state(state);
  free(command);
  TW(tuple2_string_list_u8_free)(params);
  return true;
}
