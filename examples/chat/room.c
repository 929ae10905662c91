// room: a chat room. Members open a channel to it with their nickname as the first
// message; whatever a member says on its channel is passed to every other member as
// "NICK: TEXT". The state is the member list, one "CHANNEL-ID NICK" line each.
#include "theater_actor.h"

// Appends a line to the state text.
static message_actor_option_list_u8_t with_line(const theater_bytes_t *state, const char *line) {
  size_t old = state ? state->len : 0, add = strlen(line);
  theater_bytes_t out = {(uint8_t *)malloc(old + add + 1), old + add + 1};
  if (old) memcpy(out.ptr, state->ptr, old);
  memcpy(out.ptr + old, line, add);
  out.ptr[old + add] = '\n';
  message_actor_option_list_u8_t r = {true, out};
  return r;
}

// Calls `visit` for each member line "CHANNEL NICK" of the state.
typedef void (*member_fn)(const char *channel, const char *nick, void *ctx);
static void each_member(const theater_bytes_t *state, member_fn visit, void *ctx) {
  if (!state) return;
  char *text = theater_cstr(state->ptr, state->len);
  for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
    char *space = strchr(line, ' ');
    if (!space) continue;
    *space = 0;
    visit(line, space + 1, ctx);
  }
  free(text);
}

struct said {
  const char *from_channel;
  char nick[64];
  const char *text;
  int delivered;
};

static void find_nick(const char *channel, const char *nick, void *ctx) {
  struct said *s = ctx;
  if (strcmp(channel, s->from_channel) == 0) snprintf(s->nick, sizeof s->nick, "%s", nick);
}

static void pass_on(const char *channel, const char *nick, void *ctx) {
  struct said *s = ctx;
  if (strcmp(channel, s->from_channel) == 0) return;
  char line[600];
  snprintf(line, sizeof line, "%s: %s", s->nick, s->text);
  message_actor_string_t id = {(uint8_t *)channel, strlen(channel)};
  theater_bytes_t msg = {(uint8_t *)line, strlen(line)};
  message_actor_string_t error;
  if (theater_simple_message_server_host_send_on_channel(&id, &msg, &error)) {
    ++s->delivered;
  } else {
    theater_log("could not reach %s: %.*s", nick, (int)error.len, (const char *)error.ptr);
    message_actor_string_free(&error);
  }
}

struct without {
  const char *channel;
  char *out;
  size_t len;
};

static void keep_others(const char *channel, const char *nick, void *ctx) {
  struct without *w = ctx;
  if (strcmp(channel, w->channel) == 0) return;
  w->len += (size_t)sprintf(w->out + w->len, "%s %s\n", channel, nick);
}

bool exports_theater_simple_actor_init(theater_bytes_t *state, message_actor_tuple1_string_t *params,
                                       message_actor_tuple1_option_list_u8_t *ret, message_actor_string_t *err) {
  theater_log("room open");
  ret->f0 = theater_keep_state(state);
  message_actor_tuple1_string_free(params);
  return true;
}

bool exports_theater_simple_message_server_client_handle_channel_open(
    theater_bytes_t *state, message_actor_tuple2_string_list_u8_t *params,
    exports_theater_simple_message_server_client_tuple2_option_list_u8_tuple1_channel_accept_t *ret,
    message_actor_string_t *err) {
  char *channel = theater_cstr(params->f0.ptr, params->f0.len);
  char *nick = theater_cstr(params->f1.ptr, params->f1.len);
  bool valid = nick[0] && strlen(nick) < 32 && !strpbrk(nick, " \n");
  ret->f1.f0.accepted = valid;
  ret->f1.f0.message.is_some = true;
  if (valid) {
    char line[128];
    snprintf(line, sizeof line, "%s %s", channel, nick);
    ret->f0 = with_line(state, line);
    char welcome[96];
    snprintf(welcome, sizeof welcome, "welcome, %s", nick);
    ret->f1.f0.message.val = theater_text(welcome);
    theater_log("%s joined", nick);
  } else {
    ret->f0 = state ? (message_actor_option_list_u8_t){true, theater_bytes(state->ptr, state->len)}
                    : (message_actor_option_list_u8_t){false, {0}};
    ret->f1.f0.message.val = theater_text("a nickname is one word of 1 to 31 bytes");
  }
  free(channel);
  free(nick);
  if (state) message_actor_list_u8_free(state);
  message_actor_tuple2_string_list_u8_free(params);
  return true;
}

bool exports_theater_simple_message_server_client_handle_channel_message(
    theater_bytes_t *state, exports_theater_simple_message_server_client_tuple2_channel_id_list_u8_t *params,
    message_actor_tuple1_option_list_u8_t *ret, message_actor_string_t *err) {
  char *channel = theater_cstr(params->f0.ptr, params->f0.len);
  char *text = theater_cstr(params->f1.ptr, params->f1.len);
  struct said s = {channel, "?", text, 0};
  each_member(state, find_nick, &s);
  each_member(state, pass_on, &s);
  theater_log("%s says \"%s\" (to %d others)", s.nick, text, s.delivered);
  ret->f0 = theater_keep_state(state);
  free(channel);
  free(text);
  exports_theater_simple_message_server_client_tuple2_channel_id_list_u8_free(params);
  return true;
}

bool exports_theater_simple_message_server_client_handle_channel_close(
    theater_bytes_t *state, exports_theater_simple_message_server_client_tuple1_channel_id_t *params,
    message_actor_tuple1_option_list_u8_t *ret, message_actor_string_t *err) {
  char *channel = theater_cstr(params->f0.ptr, params->f0.len);
  struct said s = {channel, "?", "left", 0};
  each_member(state, find_nick, &s);
  struct without w = {channel, (char *)malloc((state ? state->len : 0) + 1), 0};
  each_member(state, keep_others, &w);
  theater_log("%s left", s.nick);
  ret->f0.is_some = true;
  ret->f0.val.ptr = (uint8_t *)w.out;
  ret->f0.val.len = w.len;
  free(channel);
  if (state) message_actor_list_u8_free(state);
  exports_theater_simple_message_server_client_tuple1_channel_id_free(params);
  return true;
}
