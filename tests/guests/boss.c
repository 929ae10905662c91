// boss: a test supervisor, driven by requests ("ok: ..." / "err: ..." answers):
//   "spawn MANIFEST [STATE]"   "resume MANIFEST STATE"   "spawn-inline <TOML>"
//   "spawn-many MANIFEST N" -> "spawned K" (and the first error, if any)
//   "children"  "stop ID"  "restart ID"  "state ID"  "events ID"  "tell ID TEXT"
//   "transcript" -> what it heard about its children (its state, one line each):
//     "error ID TYPE DATA", "exit ID DATA", "external-stop ID"
#include "theater_actor.h"

typedef supervisor_actor_string_t str_t;

static char *answer_ok(const uint8_t *p, size_t len) {
  char *s = malloc(len + 5);
  memcpy(s, "ok: ", 4);
  memcpy(s + 4, p, len);
  s[len + 4] = 0;
  return s;
}

static char *answer_err(str_t *error) {
  char *s = malloc(error->len + 6);
  memcpy(s, "err: ", 5);
  memcpy(s + 5, error->ptr, error->len);
  s[error->len + 5] = 0;
  supervisor_actor_string_free(error);
  return s;
}

static char *dup(const char *s) { return theater_cstr((const uint8_t *)s, strlen(s)); }

static theater_state_t append(theater_bytes_t *state, const char *line) {
  size_t old = state ? state->len : 0, add = strlen(line);
  theater_bytes_t out = {malloc(old + add + 1), old + add + 1};
  if (old) memcpy(out.ptr, state->ptr, old);
  memcpy(out.ptr + old, line, add);
  out.ptr[old + add] = '\n';
  if (state) supervisor_actor_list_u8_free(state);
  theater_state_t r = {true, out};
  return r;
}

bool exports_theater_simple_actor_init(theater_bytes_t *state, supervisor_actor_tuple1_string_t *params,
                                       supervisor_actor_tuple1_option_list_u8_t *ret, str_t *err) {
  ret->f0 = theater_keep_state(state);
  supervisor_actor_tuple1_string_free(params);
  return true;
}

// spawn or resume; `state` may be NULL.
static char *spawn(const char *manifest, const char *state, bool resume) {
  str_t m = theater_str(manifest), id, error;
  supervisor_actor_list_u8_t s = {(uint8_t *)state, state ? strlen(state) : 0};
  bool ok = resume ? theater_simple_supervisor_resume(&m, state ? &s : NULL, &id, &error)
                   : theater_simple_supervisor_spawn(&m, state ? &s : NULL, &id, &error);
  if (!ok) return answer_err(&error);
  char *out = answer_ok(id.ptr, id.len);
  supervisor_actor_string_free(&id);
  return out;
}

bool exports_theater_simple_message_server_client_handle_request(
    theater_bytes_t *state, supervisor_actor_tuple2_string_list_u8_t *params,
    supervisor_actor_tuple2_option_list_u8_tuple1_option_list_u8_t *ret, str_t *err) {
  char *cmd = theater_cstr(params->f1.ptr, params->f1.len);
  char *rest = strchr(cmd, ' ');
  if (rest) *rest++ = 0;
  char *arg2 = rest ? strchr(rest, ' ') : NULL;
  if (arg2) *arg2++ = 0;
  char *out = NULL;
  str_t error;
  ret->f0 = theater_keep_state(state);

  if (strcmp(cmd, "spawn") == 0 && rest) {
    out = spawn(rest, arg2, false);
  } else if (strcmp(cmd, "resume") == 0 && rest && arg2) {
    out = spawn(rest, arg2, true);
  } else if (strcmp(cmd, "spawn-inline") == 0 && rest) {
    if (arg2) arg2[-1] = ' ';  // the TOML is the whole rest of the line
    out = spawn(rest, NULL, false);
  } else if (strcmp(cmd, "spawn-many") == 0 && rest && arg2) {
    long n = atol(arg2), k = 0;
    char first_error[300] = "";
    for (; k < n; ++k) {
      char *r = spawn(rest, NULL, false);
      bool ok = strncmp(r, "ok: ", 4) == 0;
      if (!ok) snprintf(first_error, sizeof first_error, " (%s)", r);
      free(r);
      if (!ok) break;
    }
    char buf[400];
    snprintf(buf, sizeof buf, "spawned %ld%s", k, first_error);
    out = dup(buf);
  } else if (strcmp(cmd, "children") == 0) {
    supervisor_actor_list_string_t ids;
    theater_simple_supervisor_list_children(&ids);
    size_t total = 1;
    for (size_t i = 0; i < ids.len; ++i) total += ids.ptr[i].len + 1;
    out = malloc(total);
    size_t at = 0;
    for (size_t i = 0; i < ids.len; ++i) {
      if (i) out[at++] = ',';
      memcpy(out + at, ids.ptr[i].ptr, ids.ptr[i].len);
      at += ids.ptr[i].len;
    }
    out[at] = 0;
    supervisor_actor_list_string_free(&ids);
  } else if (strcmp(cmd, "stop") == 0 && rest) {
    str_t id = theater_str(rest);
    out = theater_simple_supervisor_stop_child(&id, &error) ? dup("ok") : answer_err(&error);
  } else if (strcmp(cmd, "restart") == 0 && rest) {
    str_t id = theater_str(rest);
    out = theater_simple_supervisor_restart_child(&id, &error) ? dup("ok") : answer_err(&error);
  } else if (strcmp(cmd, "state") == 0 && rest) {
    str_t id = theater_str(rest);
    supervisor_actor_option_list_u8_t s;
    if (theater_simple_supervisor_get_child_state(&id, &s, &error)) {
      out = s.is_some ? answer_ok(s.val.ptr, s.val.len) : dup("ok: none");
      supervisor_actor_option_list_u8_free(&s);
    } else {
      out = answer_err(&error);
    }
  } else if (strcmp(cmd, "events") == 0 && rest) {
    str_t id = theater_str(rest);
    theater_simple_supervisor_list_chain_event_t events;
    if (theater_simple_supervisor_get_child_events(&id, &events, &error)) {
      char buf[300];
      theater_simple_types_chain_event_t *last = events.len ? &events.ptr[events.len - 1] : NULL;
      snprintf(buf, sizeof buf, "ok: %zu %.*s", events.len, last ? (int)last->event_type.len : 0,
               last ? (const char *)last->event_type.ptr : "");
      out = dup(buf);
      theater_simple_supervisor_list_chain_event_free(&events);
    } else {
      out = answer_err(&error);
    }
  } else if (strcmp(cmd, "tell") == 0 && rest && arg2) {
    str_t id = theater_str(rest);
    supervisor_actor_list_u8_t msg = {(uint8_t *)arg2, strlen(arg2)}, reply;
    if (theater_simple_message_server_host_request(&id, &msg, &reply, &error)) {
      out = answer_ok(reply.ptr, reply.len);
      supervisor_actor_list_u8_free(&reply);
    } else {
      out = answer_err(&error);
    }
  } else if (strcmp(cmd, "transcript") == 0) {
    out = ret->f0.is_some ? theater_cstr(ret->f0.val.ptr, ret->f0.val.len) : dup("");
  } else {
    out = dup("unknown command");
  }
  ret->f1.f0.is_some = true;
  ret->f1.f0.val.ptr = (uint8_t *)out;
  ret->f1.f0.val.len = strlen(out);
  free(cmd);
  supervisor_actor_tuple2_string_list_u8_free(params);
  return true;
}

static const char *kErrorTypes[] = {"operation-timeout", "channel-closed", "shutting-down", "function-not-found",
                                    "type-mismatch", "internal", "serialization-error", "update-component-error",
                                    "paused"};

bool exports_theater_simple_supervisor_handlers_handle_child_error(
    theater_bytes_t *state, exports_theater_simple_supervisor_handlers_tuple2_string_wit_actor_error_t *params,
    supervisor_actor_tuple1_option_list_u8_t *ret, str_t *err) {
  char line[600];
  theater_simple_types_wit_actor_error_t *e = &params->f1;
  snprintf(line, sizeof line, "error %.*s %s %.*s", (int)params->f0.len, (const char *)params->f0.ptr,
           kErrorTypes[e->error_type], e->data.is_some ? (int)e->data.val.len : 0,
           e->data.is_some ? (const char *)e->data.val.ptr : "");
  ret->f0 = append(state, line);
  exports_theater_simple_supervisor_handlers_tuple2_string_wit_actor_error_free(params);
  return true;
}

bool exports_theater_simple_supervisor_handlers_handle_child_exit(theater_bytes_t *state,
                                                                  supervisor_actor_tuple2_string_option_list_u8_t *params,
                                                                  supervisor_actor_tuple1_option_list_u8_t *ret,
                                                                  str_t *err) {
  char line[400];
  snprintf(line, sizeof line, "exit %.*s %.*s", (int)params->f0.len, (const char *)params->f0.ptr,
           params->f1.is_some ? (int)params->f1.val.len : 4, params->f1.is_some ? (const char *)params->f1.val.ptr : "none");
  ret->f0 = append(state, line);
  supervisor_actor_tuple2_string_option_list_u8_free(params);
  return true;
}

bool exports_theater_simple_supervisor_handlers_handle_child_external_stop(theater_bytes_t *state,
                                                                           supervisor_actor_tuple1_string_t *params,
                                                                           supervisor_actor_tuple1_option_list_u8_t *ret,
                                                                           str_t *err) {
  char line[200];
  snprintf(line, sizeof line, "external-stop %.*s", (int)params->f0.len, (const char *)params->f0.ptr);
  ret->f0 = append(state, line);
  supervisor_actor_tuple1_string_free(params);
  return true;
}
