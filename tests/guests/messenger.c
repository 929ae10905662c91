// messenger: a test actor that calls theater:simple/message-server-host on command and
// keeps a transcript of what it receives (its state, one line per message).
// Requests (the response is the outcome, "ok: ..." or "err: ..."):
//   "send ID TEXT"  "request ID TEXT"  "open ID TEXT"  "chan-send CHANNEL TEXT"
//   "close CHANNEL"  "outstanding"  "respond REQUEST TEXT"  "cancel REQUEST"
//   "echo TEXT" -> TEXT    "park" -> no response (the request is parked)
//   "transcript" -> the state    "fail" -> returns err (the actor fails)
//   "spin" -> loops until stopped from outside    "big ID N" -> sends N bytes to ID
//   "trap", "oom", "recurse" -> fail that way    "shutdown TEXT" -> runtime.shutdown(TEXT)
//   "set TEXT" -> the state becomes TEXT    "grow N" -> N bytes are added to the state
//   "log N K" -> logs K lines of N bytes    "say TEXT" -> logs TEXT as it is
// Sends, channel opens ("reject" refuses, "welcome" answers with a message), channel
// messages and closes are appended to the transcript.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "message_actor.h"

typedef message_actor_list_u8_t bytes_t;

static bytes_t copy(const void *data, size_t len) {
  bytes_t out = {malloc(len ? len : 1), len};
  memcpy(out.ptr, data, len);
  return out;
}

static bytes_t text(const char *s) { return copy(s, strlen(s)); }

// A zero-terminated copy of a list.
static char *cstr(const uint8_t *p, size_t len) {
  char *s = malloc(len + 1);
  memcpy(s, p, len);
  s[len] = 0;
  return s;
}

// The transcript plus one line.
static message_actor_option_list_u8_t append(const bytes_t *state, const char *line) {
  size_t old = state ? state->len : 0, add = strlen(line);
  bytes_t out = {malloc(old + add + 1), old + add + 1};
  if (old) memcpy(out.ptr, state->ptr, old);
  memcpy(out.ptr + old, line, add);
  out.ptr[old + add] = '\n';
  message_actor_option_list_u8_t r = {true, out};
  return r;
}

static message_actor_option_list_u8_t keep(const bytes_t *state) {
  message_actor_option_list_u8_t r = {state != NULL, {0}};
  if (state) r.val = copy(state->ptr, state->len);
  return r;
}

static message_actor_string_t str(const char *s) {
  message_actor_string_t out = {(uint8_t *)s, strlen(s)};
  return out;
}

// "ok: X" / "err: X" answers.
static bytes_t answer(bool ok, const uint8_t *p, size_t len) {
  const char *prefix = ok ? "ok: " : "err: ";
  size_t n = strlen(prefix);
  bytes_t out = {malloc(n + len + 1), n + len};
  memcpy(out.ptr, prefix, n);
  if (len) memcpy(out.ptr + n, p, len);
  return out;
}

static bytes_t from_error(bool ok, message_actor_string_t *err) {
  if (ok) return text("ok");
  bytes_t out = answer(false, err->ptr, err->len);
  message_actor_string_free(err);
  return out;
}

// Never returns: the wasm call stack runs out first.
__attribute__((noinline)) static int recurse(int depth) {
  int below = recurse(depth + 1);
  return below * 3 + depth;
}

bool exports_theater_simple_actor_init(bytes_t *state, message_actor_tuple1_string_t *params,
                                       message_actor_tuple1_option_list_u8_t *ret, message_actor_string_t *err) {
  ret->f0 = keep(state);
  if (state) message_actor_list_u8_free(state);
  message_actor_tuple1_string_free(params);
  return true;
}

bool exports_theater_simple_message_server_client_handle_request(
    bytes_t *state, message_actor_tuple2_string_list_u8_t *params,
    message_actor_tuple2_option_list_u8_tuple1_option_list_u8_t *ret, message_actor_string_t *err) {
  char *cmd = cstr(params->f1.ptr, params->f1.len);
  char *arg1 = strchr(cmd, ' ');
  if (arg1) *arg1++ = 0;
  char *arg2 = arg1 ? strchr(arg1, ' ') : NULL;
  if (arg2) *arg2++ = 0;
  if (!arg1) arg1 = "";
  if (!arg2) arg2 = "";
  message_actor_string_t target = str(arg1);
  bytes_t payload = {(uint8_t *)arg2, strlen(arg2)};
  message_actor_string_t error;
  bool respond = true, ok = true;
  bytes_t out = {0};
  ret->f0 = keep(state);

  if (strcmp(cmd, "send") == 0) {
    out = from_error(theater_simple_message_server_host_send(&target, &payload, &error), &error);
  } else if (strcmp(cmd, "request") == 0) {
    bytes_t response;
    if (theater_simple_message_server_host_request(&target, &payload, &response, &error)) {
      out = answer(true, response.ptr, response.len);
      message_actor_list_u8_free(&response);
    } else {
      out = from_error(false, &error);
    }
  } else if (strcmp(cmd, "open") == 0) {
    message_actor_string_t channel;
    if (theater_simple_message_server_host_open_channel(&target, &payload, &channel, &error)) {
      out = answer(true, channel.ptr, channel.len);
      message_actor_string_free(&channel);
    } else {
      out = from_error(false, &error);
    }
  } else if (strcmp(cmd, "chan-send") == 0) {
    out = from_error(theater_simple_message_server_host_send_on_channel(&target, &payload, &error), &error);
  } else if (strcmp(cmd, "close") == 0) {
    out = from_error(theater_simple_message_server_host_close_channel(&target, &error), &error);
  } else if (strcmp(cmd, "outstanding") == 0) {
    message_actor_list_string_t ids;
    theater_simple_message_server_host_list_outstanding_requests(&ids);
    size_t total = 0;
    for (size_t i = 0; i < ids.len; ++i) total += ids.ptr[i].len + 1;
    out.ptr = malloc(total + 1);
    out.len = 0;
    for (size_t i = 0; i < ids.len; ++i) {
      if (i) out.ptr[out.len++] = ',';
      memcpy(out.ptr + out.len, ids.ptr[i].ptr, ids.ptr[i].len);
      out.len += ids.ptr[i].len;
    }
    message_actor_list_string_free(&ids);
  } else if (strcmp(cmd, "respond") == 0) {
    out = from_error(theater_simple_message_server_host_respond_to_request(&target, &payload, &error), &error);
  } else if (strcmp(cmd, "cancel") == 0) {
    out = from_error(theater_simple_message_server_host_cancel_request(&target, &error), &error);
  } else if (strcmp(cmd, "echo") == 0) {
    // "echo" takes the rest of the line: put the split back together.
    size_t n = strlen(arg1) + (arg2[0] ? 1 + strlen(arg2) : 0);
    out.ptr = malloc(n + 1);
    snprintf((char *)out.ptr, n + 1, arg2[0] ? "%s %s" : "%s", arg1, arg2);
    out.len = n;
  } else if (strcmp(cmd, "set") == 0) {
    message_actor_option_list_u8_free(&ret->f0);
    size_t n = strlen(arg1) + (arg2[0] ? 1 + strlen(arg2) : 0);
    char *text_state = malloc(n + 1);
    snprintf(text_state, n + 1, arg2[0] ? "%s %s" : "%s", arg1, arg2);
    ret->f0.is_some = true;
    ret->f0.val.ptr = (uint8_t *)text_state;
    ret->f0.val.len = n;
    out = text("ok");
  } else if (strcmp(cmd, "grow") == 0) {
    size_t add = (size_t)atol(arg1), old = ret->f0.is_some ? ret->f0.val.len : 0;
    uint8_t *grown = malloc(old + add + 1);
    if (old) memcpy(grown, ret->f0.val.ptr, old);
    memset(grown + old, 'g', add);
    message_actor_option_list_u8_free(&ret->f0);
    ret->f0.is_some = true;
    ret->f0.val.ptr = grown;
    ret->f0.val.len = old + add;
    out = text("grown");
  } else if (strcmp(cmd, "log") == 0) {
    size_t n = (size_t)atol(arg1), k = (size_t)atol(arg2);
    message_actor_string_t line = {malloc(n ? n : 1), n};
    memset(line.ptr, 'x', n);
    for (size_t i = 0; i < k; ++i) theater_simple_runtime_log(&line);
    free(line.ptr);
    out = text("logged");
  } else if (strcmp(cmd, "say") == 0) {
    // The request's text after "say ", bytes as they are (line breaks, escapes).
    message_actor_string_t line = {params->f1.ptr + 4, params->f1.len > 4 ? params->f1.len - 4 : 0};
    theater_simple_runtime_log(&line);
    out = text("said");
  } else if (strcmp(cmd, "trap") == 0) {
    __builtin_trap();
  } else if (strcmp(cmd, "oom") == 0) {
    for (;;) {
      volatile char *p = malloc(1 << 20);
      if (!p) __builtin_trap();
      p[0] = 1;
    }
  } else if (strcmp(cmd, "recurse") == 0) {
    out = text(recurse(1) ? "deep" : "shallow");
  } else if (strcmp(cmd, "shutdown") == 0) {
    bytes_t data = {(uint8_t *)arg1, strlen(arg1)};
    message_actor_string_t e;
    out = from_error(theater_simple_runtime_shutdown(&data, &e), &e);
  } else if (strcmp(cmd, "big") == 0) {
    size_t n = (size_t)atol(arg2);
    bytes_t big = {malloc(n ? n : 1), n};
    memset(big.ptr, 'x', n);
    out = from_error(theater_simple_message_server_host_send(&target, &big, &error), &error);
    free(big.ptr);
  } else if (strcmp(cmd, "park") == 0) {
    respond = false;
  } else if (strcmp(cmd, "transcript") == 0) {
    out = state ? copy(state->ptr, state->len) : text("");
  } else if (strcmp(cmd, "fail") == 0) {
    ok = false;
  } else if (strcmp(cmd, "spin") == 0) {
    for (volatile int i = 0;; ++i) {
    }
  } else {
    out = text("unknown command");
  }
  free(cmd);
  if (state) message_actor_list_u8_free(state);
  message_actor_tuple2_string_list_u8_free(params);
  if (!ok) {
    message_actor_option_list_u8_free(&ret->f0);
    message_actor_string_dup(err, "failing on purpose");
    return false;
  }
  ret->f1.f0.is_some = respond;
  if (respond) ret->f1.f0.val = out;
  return true;
}

bool exports_theater_simple_message_server_client_handle_send(bytes_t *state, message_actor_tuple1_list_u8_t *params,
                                                              message_actor_tuple1_option_list_u8_t *ret,
                                                              message_actor_string_t *err) {
  char *msg = cstr(params->f0.ptr, params->f0.len);
  char line[512];
  snprintf(line, sizeof line, "send:%s", msg);
  ret->f0 = append(state, line);
  free(msg);
  if (state) message_actor_list_u8_free(state);
  message_actor_tuple1_list_u8_free(params);
  return true;
}

bool exports_theater_simple_message_server_client_handle_channel_open(
    bytes_t *state, message_actor_tuple2_string_list_u8_t *params,
    exports_theater_simple_message_server_client_tuple2_option_list_u8_tuple1_channel_accept_t *ret,
    message_actor_string_t *err) {
  char *channel = cstr(params->f0.ptr, params->f0.len);
  char *msg = cstr(params->f1.ptr, params->f1.len);
  char line[512];
  snprintf(line, sizeof line, "open:%s:%s", channel, msg);
  ret->f0 = append(state, line);
  ret->f1.f0.accepted = strcmp(msg, "reject") != 0;
  ret->f1.f0.message.is_some = strcmp(msg, "welcome") == 0;
  if (ret->f1.f0.message.is_some) ret->f1.f0.message.val = text("hello from the other side");
  free(channel);
  free(msg);
  if (state) message_actor_list_u8_free(state);
  message_actor_tuple2_string_list_u8_free(params);
  return true;
}

bool exports_theater_simple_message_server_client_handle_channel_message(
    bytes_t *state, exports_theater_simple_message_server_client_tuple2_channel_id_list_u8_t *params,
    message_actor_tuple1_option_list_u8_t *ret, message_actor_string_t *err) {
  char *channel = cstr(params->f0.ptr, params->f0.len);
  char *msg = cstr(params->f1.ptr, params->f1.len);
  char line[512];
  snprintf(line, sizeof line, "chan:%s:%s", channel, msg);
  ret->f0 = append(state, line);
  free(channel);
  free(msg);
  if (state) message_actor_list_u8_free(state);
  exports_theater_simple_message_server_client_tuple2_channel_id_list_u8_free(params);
  return true;
}

bool exports_theater_simple_message_server_client_handle_channel_close(
    bytes_t *state, exports_theater_simple_message_server_client_tuple1_channel_id_t *params,
    message_actor_tuple1_option_list_u8_t *ret, message_actor_string_t *err) {
  char *channel = cstr(params->f0.ptr, params->f0.len);
  char line[512];
  snprintf(line, sizeof line, "close:%s", channel);
  ret->f0 = append(state, line);
  free(channel);
  if (state) message_actor_list_u8_free(state);
  exports_theater_simple_message_server_client_tuple1_channel_id_free(params);
  return true;
}
