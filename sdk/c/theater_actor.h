// Helpers for C actors. Works for any world of wit/worlds.wit: compile with
// -DTHEATER_WORLD=<the world's name with _ for -> (cmake/GuestActors.cmake does), e.g.
// -DTHEATER_WORLD=message_actor; the bindings' header <world>.h must be on the path.
// Buffers handed back to the runtime must be malloc'd: the bindings free them after the
// call returns.
#ifndef THEATER_ACTOR_H
#define THEATER_ACTOR_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THEATER_STR_(x) #x
#define THEATER_STR(x) THEATER_STR_(x)
#include THEATER_STR(THEATER_WORLD.h)

#define THEATER_CAT_(a, b) a##b
#define THEATER_CAT(a, b) THEATER_CAT_(a, b)
// The world's own name for a generated type: TW(list_u8_t) is message_actor_list_u8_t.
#define TW(name) THEATER_CAT(THEATER_WORLD, THEATER_CAT(_, name))

typedef TW(list_u8_t) theater_bytes_t;
typedef TW(string_t) theater_string_t;
typedef TW(option_list_u8_t) theater_state_t;

// A malloc'd copy of `len` bytes.
static inline theater_bytes_t theater_bytes(const void *data, size_t len) {
  theater_bytes_t out = {(uint8_t *)malloc(len ? len : 1), len};
  if (len) memcpy(out.ptr, data, len);
  return out;
}

static inline theater_bytes_t theater_text(const char *s) { return theater_bytes(s, strlen(s)); }

// A borrowed view of a C string as a string argument (not to be freed).
static inline theater_string_t theater_str(const char *s) {
  theater_string_t out = {(uint8_t *)s, strlen(s)};
  return out;
}

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
  theater_string_t msg = {(uint8_t *)line, strlen(line)};
  theater_simple_runtime_log(&msg);
}

// The new state `some(text)`.
static inline theater_state_t theater_state_text(const char *text) {
  theater_state_t out = {true, theater_text(text)};
  return out;
}

// Hands the state received back as the new state (ownership moves with it).
static inline theater_state_t theater_keep_state(theater_bytes_t *state) {
  theater_state_t out = {state != NULL, {0}};
  if (state) out.val = *state;
  return out;
}

#endif
