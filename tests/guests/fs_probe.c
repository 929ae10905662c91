// fs_probe: a test actor that calls theater:simple/filesystem and /environment on request.
// Words are separated by one space and %-decoded ("%00" is a NUL byte, "%20" a space).
//   "get NAME" -> "some:VALUE" | "none"     "exists NAME" -> "true" | "false"
//   "vars" -> "NAME=VALUE;..." (sorted as listed)
//   "read PATH" -> "ok:CONTENT"             "size PATH" -> "ok:N" (read-file, only the size back)             "write PATH CONTENT" -> "ok" (CONTENT: the rest, as is)
//   "list PATH" -> "ok:a,b,c"               "exists? PATH" -> "ok:true" | "ok:false"
//   "delete PATH" | "mkdir PATH" | "rmdir PATH" -> "ok"
//   "exec DIR COMMAND ARG..." -> "exit=N stdout=... stderr=..." | "error:MESSAGE"
// Any err(...) comes back as "err: why".
#include "theater_actor.h"

typedef struct {
  char *p;
  size_t len, cap;
} buf_t;

static void put(buf_t *b, const void *data, size_t n) {
  if (b->len + n + 1 > b->cap) {
    b->cap = (b->len + n + 1) * 2;
    b->p = realloc(b->p, b->cap);
  }
  memcpy(b->p + b->len, data, n);
  b->len += n;
  b->p[b->len] = 0;
}
static void puts_(buf_t *b, const char *s) { put(b, s, strlen(s)); }
static void put_str(buf_t *b, theater_string_t *s) { put(b, s->ptr, s->len); }

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The next word of *text, %-decoded, as a malloc'd string (len in the result).
static theater_string_t word(char **text) {
  char *s = *text, *end = strchr(s, ' ');
  size_t n = end ? (size_t)(end - s) : strlen(s);
  *text = end ? end + 1 : s + n;
  theater_string_t out = {(uint8_t *)malloc(n + 1), 0};
  for (size_t i = 0; i < n; ++i) {
    if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
      out.ptr[out.len++] = (uint8_t)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
      i += 2;
    } else {
      out.ptr[out.len++] = (uint8_t)s[i];
    }
  }
  return out;
}

static void err_to(buf_t *b, theater_string_t *e) {
  puts_(b, "err: ");
  put_str(b, e);
  full_actor_string_free(e);
}

static void run(char *cmd, size_t cmd_len, buf_t *out) {
  char *rest = cmd;
  theater_string_t verb = word(&rest), e;
  char *v = (char *)verb.ptr;
  v[verb.len] = 0;
  if (strcmp(v, "get") == 0) {
    theater_string_t name = word(&rest), value;
    if (theater_simple_environment_get_var(&name, &value)) {
      puts_(out, "some:");
      put_str(out, &value);
      full_actor_string_free(&value);
    } else {
      puts_(out, "none");
    }
    free(name.ptr);
  } else if (strcmp(v, "exists") == 0) {
    theater_string_t name = word(&rest);
    puts_(out, theater_simple_environment_exists(&name) ? "true" : "false");
    free(name.ptr);
  } else if (strcmp(v, "vars") == 0) {
    full_actor_list_tuple2_string_string_t vars;
    theater_simple_environment_list_vars(&vars);
    for (size_t i = 0; i < vars.len; ++i) {
      if (i) puts_(out, ";");
      put_str(out, &vars.ptr[i].f0);
      puts_(out, "=");
      put_str(out, &vars.ptr[i].f1);
    }
    full_actor_list_tuple2_string_string_free(&vars);
  } else if (strcmp(v, "read") == 0 || strcmp(v, "size") == 0) {
    theater_string_t path = word(&rest);
    theater_bytes_t data;
    if (theater_simple_filesystem_read_file(&path, &data, &e)) {
      puts_(out, "ok:");
      if (v[0] == 'r') {
        put(out, data.ptr, data.len);
      } else {
        char n[32];
        snprintf(n, sizeof n, "%zu", data.len);
        puts_(out, n);
      }
      full_actor_list_u8_free(&data);
    } else {
      err_to(out, &e);
    }
    free(path.ptr);
  } else if (strcmp(v, "write") == 0) {
    theater_string_t path = word(&rest);
    theater_string_t content = {(uint8_t *)rest, cmd_len - (size_t)(rest - cmd)};
    if (theater_simple_filesystem_write_file(&path, &content, &e)) puts_(out, "ok");
    else err_to(out, &e);
    free(path.ptr);
  } else if (strcmp(v, "list") == 0) {
    theater_string_t path = word(&rest);
    full_actor_list_string_t names;
    if (theater_simple_filesystem_list_files(&path, &names, &e)) {
      puts_(out, "ok:");
      for (size_t i = 0; i < names.len; ++i) {
        if (i) puts_(out, ",");
        put_str(out, &names.ptr[i]);
      }
      full_actor_list_string_free(&names);
    } else {
      err_to(out, &e);
    }
    free(path.ptr);
  } else if (strcmp(v, "exists?") == 0) {
    theater_string_t path = word(&rest);
    bool yes;
    if (theater_simple_filesystem_path_exists(&path, &yes, &e)) puts_(out, yes ? "ok:true" : "ok:false");
    else err_to(out, &e);
    free(path.ptr);
  } else if (strcmp(v, "delete") == 0 || strcmp(v, "mkdir") == 0 || strcmp(v, "rmdir") == 0) {
    theater_string_t path = word(&rest);
    bool ok = v[0] == 'd'   ? theater_simple_filesystem_delete_file(&path, &e)
              : v[0] == 'm' ? theater_simple_filesystem_create_dir(&path, &e)
                            : theater_simple_filesystem_delete_dir(&path, &e);
    if (ok) puts_(out, "ok");
    else err_to(out, &e);
    free(path.ptr);
  } else if (strcmp(v, "exec") == 0) {
    theater_string_t dir = word(&rest), command = word(&rest);
    full_actor_list_string_t args = {malloc(sizeof(theater_string_t) * 64), 0};
    while (*rest && args.len < 64) args.ptr[args.len++] = word(&rest);
    theater_simple_filesystem_command_result_t result;
    if (theater_simple_filesystem_execute_command(&dir, &command, &args, &result, &e)) {
      if (result.tag == THEATER_SIMPLE_FILESYSTEM_COMMAND_RESULT_SUCCESS) {
        char code[32];
        snprintf(code, sizeof code, "exit=%d stdout=", (int)result.val.success.exit_code);
        puts_(out, code);
        put_str(out, &result.val.success.stdout_);
        puts_(out, " stderr=");
        put_str(out, &result.val.success.stderr_);
      } else {
        puts_(out, "error:");
        put_str(out, &result.val.error.message);
      }
      theater_simple_filesystem_command_result_free(&result);
    } else {
      err_to(out, &e);
    }
    for (size_t i = 0; i < args.len; ++i) free(args.ptr[i].ptr);
    free(args.ptr);
    free(dir.ptr);
    free(command.ptr);
  } else {
    puts_(out, "unknown command");
  }
  free(verb.ptr);
}

bool exports_theater_simple_actor_init(theater_bytes_t *state, full_actor_tuple1_string_t *params,
                                       full_actor_tuple1_option_list_u8_t *ret, theater_string_t *err) {
  ret->f0 = theater_keep_state(state);
  full_actor_tuple1_string_free(params);
  return true;
}

bool exports_theater_simple_message_server_client_handle_request(
    theater_bytes_t *state, full_actor_tuple2_string_list_u8_t *params,
    full_actor_tuple2_option_list_u8_tuple1_option_list_u8_t *ret, theater_string_t *err) {
  char *cmd = theater_cstr(params->f1.ptr, params->f1.len);
  buf_t out = {0};
  puts_(&out, "");
  run(cmd, params->f1.len, &out);
  ret->f0 = theater_keep_state(state);
  ret->f1.f0.is_some = true;
  ret->f1.f0.val = (theater_bytes_t){(uint8_t *)out.p, out.len};
  free(cmd);
  full_actor_tuple2_string_list_u8_free(params);
  return true;
}
