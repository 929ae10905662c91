// runner: a test actor for theater:simple/process. Requests (fields separated by '|'):
//   "spawn|MODE|TIMEOUT_MS|PROGRAM|ARG..." -> the process number or "err: why"
//        MODE: raw, line, json, chunked (chunk size 4); TIMEOUT_MS 0 = none
//   "cwd|DIR|PROGRAM|ARG..." -> like spawn (raw, no timeout) in DIR
//   "env|NAME=VALUE;NAME=VALUE|PROGRAM|ARG..." -> like spawn (line, no timeout) with that
//        environment instead of GREETING=hello
//   "write|PID|TEXT" (empty TEXT closes stdin)   "status|PID" -> "running CODE START"
//   "signal|PID|N"   "kill|PID"   "log" -> what the handlers heard, one line each:
//   "out PID [DATA]", "err PID [DATA]", "exit PID CODE". The log is the actor's state.
#include "theater_actor.h"

#define MAX_FIELDS 16

static char *errtext(theater_string_t *e) {
  char *s = malloc(e->len + 6);
  snprintf(s, e->len + 6, "err: %.*s", (int)e->len, (const char *)e->ptr);
  process_actor_string_free(e);
  return s;
}

// The state with `line` appended.
static theater_state_t append(theater_bytes_t *state, const char *line, size_t len) {
  size_t old = state ? state->len : 0;
  theater_state_t out = {true, {malloc(old + len + 1), old + len}};
  if (old) memcpy(out.val.ptr, state->ptr, old);
  memcpy(out.val.ptr + old, line, len);
  if (state) process_actor_list_u8_free(state);
  return out;
}

static bool heard(theater_bytes_t *state, const char *what, uint64_t pid, const uint8_t *data, size_t len,
                  process_actor_tuple1_option_list_u8_t *ret) {
  char *line = malloc(len + 64);
  int n = snprintf(line, 64, "%s %llu [", what, (unsigned long long)pid);
  memcpy(line + n, data, len);
  memcpy(line + n + len, "]\n", 2);
  ret->f0 = append(state, line, n + len + 2);
  free(line);
  return true;
}

bool exports_theater_simple_process_handlers_handle_stdout(theater_bytes_t *state, process_actor_tuple2_u64_list_u8_t *params,
                                                           process_actor_tuple1_option_list_u8_t *ret, theater_string_t *err) {
  heard(state, "out", params->f0, params->f1.ptr, params->f1.len, ret);
  process_actor_tuple2_u64_list_u8_free(params);
  return true;
}

bool exports_theater_simple_process_handlers_handle_stderr(theater_bytes_t *state, process_actor_tuple2_u64_list_u8_t *params,
                                                           process_actor_tuple1_option_list_u8_t *ret, theater_string_t *err) {
  heard(state, "err", params->f0, params->f1.ptr, params->f1.len, ret);
  process_actor_tuple2_u64_list_u8_free(params);
  return true;
}

bool exports_theater_simple_process_handlers_handle_exit(theater_bytes_t *state, process_actor_tuple2_u64_s32_t *params,
                                                         process_actor_tuple1_option_list_u8_t *ret, theater_string_t *err) {
  char line[64];
  int n = snprintf(line, sizeof line, "exit %llu %d\n", (unsigned long long)params->f0, (int)params->f1);
  ret->f0 = append(state, line, n);
  return true;
}

bool exports_theater_simple_actor_init(theater_bytes_t *state, process_actor_tuple1_string_t *params,
                                       process_actor_tuple1_option_list_u8_t *ret, theater_string_t *err) {
  ret->f0 = theater_keep_state(state);
  process_actor_tuple1_string_free(params);
  return true;
}

// The environment of the next spawn: "GREETING=hello" unless a request gives another.
static const char *spawn_env = "GREETING=hello";

static char *spawn(char **f, int n, const char *cwd, int mode, uint64_t timeout) {
  theater_simple_process_process_config_t c;
  memset(&c, 0, sizeof c);
  c.program = theater_str(f[0]);
  c.args.len = n - 1;
  c.args.ptr = malloc(sizeof(theater_string_t) * (n > 1 ? n - 1 : 1));
  for (int i = 1; i < n; ++i) c.args.ptr[i - 1] = theater_str(f[i]);
  c.cwd.is_some = cwd != NULL;
  if (cwd) c.cwd.val = theater_str(cwd);
  // "A=1;B=2" split in a copy: names and values borrowed from it until the call returns.
  char *env = strdup(spawn_env);
  size_t vars = 0;
  for (char *p = env; *p; ++p) vars += *p == ';';
  c.env.ptr = malloc(sizeof(process_actor_tuple2_string_string_t) * (vars + 1));
  c.env.len = 0;
  for (char *p = env; p && *p;) {
    char *next = strchr(p, ';');
    if (next) *next++ = 0;
    char *eq = strchr(p, '=');
    if (eq) {
      *eq = 0;
      c.env.ptr[c.env.len].f0 = theater_str(p);
      c.env.ptr[c.env.len].f1 = theater_str(eq + 1);
      ++c.env.len;
    }
    p = next;
  }
  c.buffer_size = 4096;
  c.stdout_mode.tag = mode;
  c.stderr_mode.tag = mode;
  c.chunk_size.is_some = true;
  c.chunk_size.val = 4;
  c.execution_timeout.is_some = timeout != 0;
  c.execution_timeout.val = timeout;
  uint64_t pid;
  theater_string_t e;
  bool ok = theater_simple_process_os_spawn(&c, &pid, &e);
  free(c.args.ptr);  // the strings are borrowed (theater_str)
  free(c.env.ptr);
  free(env);
  if (!ok) return errtext(&e);
  char *out = malloc(32);
  snprintf(out, 32, "%llu", (unsigned long long)pid);
  return out;
}

bool exports_theater_simple_message_server_client_handle_request(
    theater_bytes_t *state, process_actor_tuple2_string_list_u8_t *params,
    process_actor_tuple2_option_list_u8_tuple1_option_list_u8_t *ret, theater_string_t *err) {
  char *cmd = theater_cstr(params->f1.ptr, params->f1.len);
  char *f[MAX_FIELDS];
  int n = 0;
  for (char *p = cmd; n < MAX_FIELDS;) {
    f[n++] = p;
    char *bar = strchr(p, '|');
    if (!bar) break;
    *bar = 0;
    p = bar + 1;
  }
  char *out = NULL;
  theater_string_t e;
  ret->f0 = theater_keep_state(state);
  if (n >= 4 && strcmp(f[0], "spawn") == 0) {
    int mode = strcmp(f[1], "line") == 0 ? 1 : strcmp(f[1], "json") == 0 ? 2 : strcmp(f[1], "chunked") == 0 ? 3 : 0;
    out = spawn(f + 3, n - 3, NULL, mode, strtoull(f[2], NULL, 10));
  } else if (n >= 3 && strcmp(f[0], "env") == 0) {
    spawn_env = f[1];
    out = spawn(f + 2, n - 2, NULL, 1, 0);
    spawn_env = "GREETING=hello";
  } else if (n >= 3 && strcmp(f[0], "cwd") == 0) {
    out = spawn(f + 2, n - 2, f[1], 0, 0);
  } else if (n == 3 && strcmp(f[0], "write") == 0) {
    theater_bytes_t data = theater_text(f[2]);
    uint32_t written;
    if (theater_simple_process_os_write_stdin(strtoull(f[1], NULL, 10), &data, &written, &e)) {
      out = malloc(16);
      snprintf(out, 16, "%u", written);
    } else {
      out = errtext(&e);
    }
  } else if (n == 2 && strcmp(f[0], "status") == 0) {
    theater_simple_process_process_status_t s;
    if (theater_simple_process_os_status(strtoull(f[1], NULL, 10), &s, &e)) {
      out = malloc(96);
      snprintf(out, 96, "%s %d %llu", s.running ? "running" : "exited", s.exit_code.is_some ? s.exit_code.val : -999,
               (unsigned long long)s.start_time);
    } else {
      out = errtext(&e);
    }
  } else if (n == 3 && strcmp(f[0], "signal") == 0) {
    out = theater_simple_process_os_signal(strtoull(f[1], NULL, 10), atoi(f[2]), &e) ? strdup("ok") : errtext(&e);
  } else if (n == 2 && strcmp(f[0], "kill") == 0) {
    out = theater_simple_process_os_kill(strtoull(f[1], NULL, 10), &e) ? strdup("ok") : errtext(&e);
  } else if (strcmp(f[0], "log") == 0) {
    out = ret->f0.is_some ? theater_cstr(ret->f0.val.ptr, ret->f0.val.len) : strdup("");
  } else {
    out = strdup("unknown command");
  }
  ret->f1.f0.is_some = true;
  ret->f1.f0.val = (theater_bytes_t){(uint8_t *)out, strlen(out)};
  free(cmd);
  process_actor_tuple2_string_list_u8_free(params);
  return true;
}
