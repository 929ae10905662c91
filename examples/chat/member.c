// member: a chat room member, driven by requests:
//   "join ROOM-ID NICK" opens a channel to the room, "say TEXT" talks on it, "leave" closes
//   it, "transcript" answers with everything heard.
// The state is the channel id on its first line, then the transcript.
#include "theater_actor.h"

// The channel id (first line of the state), malloc'd; "" when not in a room.
static char *channel_of(const theater_bytes_t *state) {
  if (!state) return theater_cstr((const uint8_t *)"", 0);
  size_t n = 0;
  while (n < state->len && state->ptr[n] != '\n') ++n;
  return theater_cstr(state->ptr, n);
}

// The state with its first line replaced by `channel`.
static message_actor_option_list_u8_t with_channel(const theater_bytes_t *state, const char *channel) {
  size_t skip = 0;
  if (state) {
    while (skip < state->len && state->ptr[skip] != '\n') ++skip;
    if (skip < state->len) ++skip;
  }
  size_t rest = state ? state->len - skip : 0, add = strlen(channel);
  theater_bytes_t out = {(uint8_t *)malloc(add + 1 + rest), add + 1 + rest};
  memcpy(out.ptr, channel, add);
  out.ptr[add] = '\n';
  if (rest) memcpy(out.ptr + add + 1, state->ptr + skip, rest);
  message_actor_option_list_u8_t r = {true, out};
  return r;
}

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
  char *channel = channel_of(state);
  char answer[256] = "ok";
  message_actor_string_t error;
  ret->f0 = theater_keep_state(state);
  char room[64], nick[64];
  if (sscanf(command, "join %63s %63s", room, nick) == 2) {
    message_actor_string_t target = {(uint8_t *)room, strlen(room)};
    theater_bytes_t hello = {(uint8_t *)nick, strlen(nick)};
    message_actor_string_t opened;
    if (theater_simple_message_server_host_open_channel(&target, &hello, &opened, &error)) {
      char *id = theater_cstr(opened.ptr, opened.len);
      message_actor_option_list_u8_t next = with_channel(ret->f0.is_some ? &ret->f0.val : NULL, id);
      message_actor_option_list_u8_free(&ret->f0);
      ret->f0 = next;
      theater_log("joined the room as %s", nick);
      free(id);
      message_actor_string_free(&opened);
    } else {
      snprintf(answer, sizeof answer, "could not join: %.*s", (int)error.len, (const char *)error.ptr);
      message_actor_string_free(&error);
    }
  } else if (strncmp(command, "say ", 4) == 0 && channel[0]) {
    message_actor_string_t id = {(uint8_t *)channel, strlen(channel)};
    theater_bytes_t msg = {(uint8_t *)command + 4, strlen(command + 4)};
    if (!theater_simple_message_server_host_send_on_channel(&id, &msg, &error)) {
      snprintf(answer, sizeof answer, "could not say it: %.*s", (int)error.len, (const char *)error.ptr);
      message_actor_string_free(&error);
    }
  } else if (strcmp(command, "leave") == 0 && channel[0]) {
    message_actor_string_t id = {(uint8_t *)channel, strlen(channel)};
    if (!theater_simple_message_server_host_close_channel(&id, &error)) {
      snprintf(answer, sizeof answer, "could not leave: %.*s", (int)error.len, (const char *)error.ptr);
      message_actor_string_free(&error);
    }
  } else if (strcmp(command, "transcript") == 0) {
    const theater_bytes_t *s = ret->f0.is_some ? &ret->f0.val : NULL;
    size_t skip = 0;
    if (s) {
      while (skip < s->len && s->ptr[skip] != '\n') ++skip;
      if (skip < s->len) ++skip;
    }
    ret->f1.f0.is_some = true;
    ret->f1.f0.val = s ? theater_bytes(s->ptr + skip, s->len - skip) : theater_text("");
    free(command);
    free(channel);
    message_actor_tuple2_string_list_u8_free(params);
    return true;
  } else {
    snprintf(answer, sizeof answer, "%s", channel[0] ? "say TEXT | leave | transcript" : "join ROOM-ID NICK first");
  }
  ret->f1.f0.is_some = true;
  ret->f1.f0.val = theater_text(answer);
  free(command);
  free(channel);
  message_actor_tuple2_string_list_u8_free(params);
  return true;
}

// What the room passes on: appended to the transcript.
bool exports_theater_simple_message_server_client_handle_channel_message(
    theater_bytes_t *state, exports_theater_simple_message_server_client_tuple2_channel_id_list_u8_t *params,
    message_actor_tuple1_option_list_u8_t *ret, message_actor_string_t *err) {
  size_t old = state ? state->len : 0, add = params->f1.len;
  theater_bytes_t out = {(uint8_t *)malloc(old + add + 1), old + add + 1};
  if (old) memcpy(out.ptr, state->ptr, old);
  memcpy(out.ptr + old, params->f1.ptr, add);
  out.ptr[old + add] = '\n';
  theater_log("heard: %.*s", (int)add, (const char *)params->f1.ptr);
  ret->f0.is_some = true;
  ret->f0.val = out;
  if (state) message_actor_list_u8_free(state);
  exports_theater_simple_message_server_client_tuple2_channel_id_list_u8_free(params);
  return true;
}

bool exports_theater_simple_message_server_client_handle_channel_close(
    theater_bytes_t *state, exports_theater_simple_message_server_client_tuple1_channel_id_t *params,
    message_actor_tuple1_option_list_u8_t *ret, message_actor_string_t *err) {
  theater_log("left the room");
  ret->f0 = with_channel(state, "");
  if (state) message_actor_list_u8_free(state);
  exports_theater_simple_message_server_client_tuple1_channel_id_free(params);
  return true;
}
