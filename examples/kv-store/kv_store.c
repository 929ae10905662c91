// kv-store: a key-value actor whose data lives in a content store (theater:simple/store),
// not in its state. Each key is a label; its value is the labelled content.
//
// init: the state, if any, names the store to use (its id, optionally as a JSON string:
// `"<id>"`, which is what an init_state file holds); otherwise it creates a store. The
// state is the store id from then on.
// Requests: "set KEY VALUE" -> "ok"   "get KEY" -> the value, or "not found"
//           "del KEY" -> "ok"         "keys" -> the keys, one a line
//           "store" -> the store id   (errors come back as "error: why")
#include <ctype.h>

#include "theater_actor.h"

typedef theater_simple_store_content_ref_t ref_t;

static char *dup(const char *s) { return theater_cstr((const uint8_t *)s, strlen(s)); }

static char *error(theater_string_t *e) {
  char *s = malloc(e->len + 8);
  snprintf(s, e->len + 8, "error: %.*s", (int)e->len, (const char *)e->ptr);
  full_actor_string_free(e);
  return s;
}

// The store id in a state: the first 36 characters from its first hex digit.
static char *store_id_in(const theater_bytes_t *state) {
  size_t i = 0;
  while (i < state->len && !isxdigit(state->ptr[i])) ++i;
  if (state->len - i < 36) return NULL;
  return theater_cstr(state->ptr + i, 36);
}

bool exports_theater_simple_actor_init(theater_bytes_t *state, full_actor_tuple1_string_t *params,
                                       full_actor_tuple1_option_list_u8_t *ret, theater_string_t *err) {
  full_actor_tuple1_string_free(params);
  char *id = state ? store_id_in(state) : NULL;
  if (state) full_actor_list_u8_free(state);
  if (!id) {
    theater_string_t made;
    if (!theater_simple_store_new(&made, err)) return false;  // the actor fails with the store's reason
    id = theater_cstr(made.ptr, made.len);
    full_actor_string_free(&made);
    theater_log("kv-store: created store %s", id);
  } else {
    theater_log("kv-store: using store %s", id);
  }
  ret->f0 = theater_state_text(id);
  free(id);
  return true;
}

static char *handle(const char *store, char *line) {
  theater_string_t id = theater_str(store), e;
  char *space = strchr(line, ' ');
  char *arg = space ? (*space = 0, space + 1) : line + strlen(line);
  if (strcmp(line, "store") == 0) return dup(store);
  if (strcmp(line, "keys") == 0) {
    full_actor_list_string_t keys;
    if (!theater_simple_store_list_labels(&id, &keys, &e)) return error(&e);
    size_t total = 1;
    for (size_t i = 0; i < keys.len; ++i) total += keys.ptr[i].len + 1;
    char *out = calloc(total, 1);
    for (size_t i = 0; i < keys.len; ++i) {
      strncat(out, (const char *)keys.ptr[i].ptr, keys.ptr[i].len);
      if (i + 1 < keys.len) strcat(out, "\n");
    }
    full_actor_list_string_free(&keys);
    return out;
  }
  if (!*arg) return dup("error: usage: set KEY VALUE | get KEY | del KEY | keys | store");
  char *value = strchr(arg, ' ');
  if (value) *value++ = 0;
  theater_string_t key = theater_str(arg);
  if (strcmp(line, "set") == 0 && value) {
    // The key now names just this value (the old one stays in the store, unlabelled).
    theater_bytes_t content = {(uint8_t *)value, strlen(value)};
    ref_t ref;
    if (!theater_simple_store_replace_content_at_label(&id, &key, &content, &ref, &e)) return error(&e);
    theater_simple_store_content_ref_free(&ref);
    return dup("ok");
  }
  if (strcmp(line, "get") == 0) {
    theater_simple_store_option_content_ref_t found;
    if (!theater_simple_store_get_by_label(&id, &key, &found, &e)) return error(&e);
    if (!found.is_some) return dup("not found");
    theater_bytes_t bytes;
    bool ok = theater_simple_store_get(&id, &found.val, &bytes, &e);
    theater_simple_store_content_ref_free(&found.val);
    if (!ok) return error(&e);
    char *out = theater_cstr(bytes.ptr, bytes.len);
    full_actor_list_u8_free(&bytes);
    return out;
  }
  if (strcmp(line, "del") == 0)
    return theater_simple_store_remove_label(&id, &key, &e) ? dup("ok") : error(&e);
  return dup("error: usage: set KEY VALUE | get KEY | del KEY | keys | store");
}

bool exports_theater_simple_message_server_client_handle_request(
    theater_bytes_t *state, full_actor_tuple2_string_list_u8_t *params,
    full_actor_tuple2_option_list_u8_tuple1_option_list_u8_t *ret, theater_string_t *err) {
  char *line = theater_cstr(params->f1.ptr, params->f1.len);
  char *store = state ? theater_cstr(state->ptr, state->len) : dup("");
  char *out = handle(store, line);
  ret->f0 = theater_keep_state(state);
  ret->f1.f0.is_some = true;
  ret->f1.f0.val = (theater_bytes_t){(uint8_t *)out, strlen(out)};
  free(store);
  free(line);
  full_actor_tuple2_string_list_u8_free(params);
  return true;
}
