// Small helpers for C actors of the `message-actor` world (include after message_actor.h).
// Buffers handed back to the runtime must be malloc'd: the bindings free them after the
// call returns.
#ifndef THEATER_MESSAGE_ACTOR_UTIL_H
#define THEATER_MESSAGE_ACTOR_UTIL_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "message_actor.h"

typedef message_actor_list_u8_t theater_bytes_t;

// A malloc'd copy of `len` bytes.
static inline theater_bytes_t theater_bytes(const void *data, size_t len) {
  theater_bytes_t out = {(uint8_t *)malloc(len ? len : 1), len};
  if (len) memcpy(out.ptr, data, len);
  return out;
}

static inline theater_bytes_t theater_text(const char *s) { return theater_bytes(s, strlen(s)); }

// A malloc'd, zero-terminated copy of a list or string.
static inline char *theater_cstr(const uint8_t *p, size_t len) {
  char *s = (char *)malloc(len + 1);
  if (len) memcpy(s, p, len);
  s[len] = 0;
  return s;
}

// runtime.log with printf formatting (lines are cut at 1 KiB).
static inline void theater_log(const char *format, ...) {
  char line[1024];
  va_list args;
  va_start(args, format);
  vsnprintf(line, sizeof line, format, args);
  va_end(args);
  message_actor_string_t msg = {(uint8_t *)line, strlen(line)};
  theater_simple_runtime_log(&msg);
}

// The new state `some(text)`.
static inline message_actor_option_list_u8_t theater_state_text(const char *text) {
  message_actor_option_list_u8_t out = {true, theater_text(text)};
  return out;
}

// Hands the state received back as the new state (ownership moves with it).
static inline message_actor_option_list_u8_t theater_keep_state(message_actor_list_u8_t *state) {
  message_actor_option_list_u8_t out = {state != NULL, {0}};
  if (state) out.val = *state;
  return out;
}

#endif
