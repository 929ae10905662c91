// http-api: a todo list served as a small JSON API by an actor, through the host's
// http-framework. The list lives in the actor's state, so it is in the chain and survives
// a restart from the last state.
//
//   GET    /health       {"status":"ok","items":N}
//   GET    /items        {"items":[{"id":1,"title":"milk","done":false},...]}
//   POST   /items        body {"title":"milk"}            -> 201 the new item
//   GET    /items/{id}   the item, or 404
//   PUT    /items/{id}   body {"done":true} (or false)    -> the item
//   DELETE /items/{id}   -> {"deleted":ID}
// Requests (theater request ID TEXT): "port" -> the port it listens on; "serve" starts the
// server again (after a resume, which does not call init).
//
// State: the initial state is JSON, {"port": 8080}; from then on it is the actor's own
// text form: "port=P next=N\n" then one line per item: "ID DONE TITLE" (TITLE as JSON
// string content, escapes kept).
#include "theater_actor.h"
#include "theater_http.h"

#define MAX_ITEMS 256
#define MAX_TITLE 200

typedef struct {
  unsigned id;
  int done;
  char title[MAX_TITLE + 1];
} item_t;

typedef struct {
  unsigned port, next, count;
  item_t items[MAX_ITEMS];
} todo_t;

static todo_t todo;
static unsigned bound_port;  // 0 while no server runs

// --- state -----------------------------------------------------------------------------

static void load(const theater_bytes_t *state) {
  memset(&todo, 0, sizeof todo);
  todo.next = 1;
  todo.port = 8080;
  if (!state) return;
  char *text = theater_cstr(state->ptr, state->len);
  if (text[0] == '{') {  // the initial JSON document
    const char *p = strstr(text, "\"port\"");
    if (p && (p = strchr(p, ':'))) todo.port = (unsigned)strtoul(p + 1, NULL, 10);
  } else {
    char *line = strtok(text, "\n");
    if (line) sscanf(line, "port=%u next=%u", &todo.port, &todo.next);
    while ((line = strtok(NULL, "\n")) && todo.count < MAX_ITEMS) {
      item_t *it = &todo.items[todo.count];
      int offset = 0;
      if (sscanf(line, "%u %d %n", &it->id, &it->done, &offset) >= 2 && offset > 0) {
        snprintf(it->title, sizeof it->title, "%s", line + offset);
        ++todo.count;
      }
    }
  }
  free(text);
}

static theater_state_t save(void) {
  size_t cap = 64 + todo.count * (MAX_TITLE + 32);
  char *out = malloc(cap);
  size_t n = (size_t)snprintf(out, cap, "port=%u next=%u\n", todo.port, todo.next);
  for (unsigned i = 0; i < todo.count; ++i)
    n += (size_t)snprintf(out + n, cap - n, "%u %d %s\n", todo.items[i].id, todo.items[i].done, todo.items[i].title);
  theater_state_t s = {true, {(uint8_t *)out, n}};
  return s;
}

// --- the server ------------------------------------------------------------------------

static char *serve(void) {
  theater_string_t e;
  uint64_t server, handler, route;
  uint16_t port;
  static char why[300];
  theater_simple_http_types_server_config_t config;
  memset(&config, 0, sizeof config);
  config.port.is_some = true;
  config.port.val = (uint16_t)todo.port;
  theater_string_t name = theater_str("api");
  if (!theater_simple_http_framework_create_server(&config, &server, &e) ||
      !theater_simple_http_framework_register_handler(&name, &handler, &e))
    goto fail;
  const char *routes[][2] = {{"GET", "/health"},      {"GET", "/items"},        {"POST", "/items"},
                             {"GET", "/items/{id}"}, {"PUT", "/items/{id}"}, {"DELETE", "/items/{id}"}};
  for (size_t i = 0; i < sizeof routes / sizeof routes[0]; ++i) {
    theater_string_t method = theater_str(routes[i][0]), path = theater_str(routes[i][1]);
    if (!theater_simple_http_framework_add_route(server, &path, &method, handler, &route, &e)) goto fail;
  }
  if (!theater_simple_http_framework_start_server(server, &port, &e)) goto fail;
  bound_port = port;
  theater_log("http-api listening on http://127.0.0.1:%u", port);
  return NULL;
fail:
  snprintf(why, sizeof why, "%.*s", (int)e.len, (const char *)e.ptr);
  http_actor_string_free(&e);
  theater_log("http-api could not start its server: %s", why);
  return why;
}

// --- JSON ------------------------------------------------------------------------------

// The raw content of the string value of "key" in a JSON object (escapes kept), in `out`.
// 0: found and acceptable; otherwise why not.
static const char *json_string(const char *body, const char *key, char *out, size_t cap) {
  char quoted[32];
  snprintf(quoted, sizeof quoted, "\"%s\"", key);
  const char *p = strstr(body, quoted);
  if (!p) return "missing";
  p += strlen(quoted);
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') ++p;
  if (*p++ != ':') return "not a string";
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') ++p;
  if (*p++ != '"') return "not a string";
  size_t n = 0;
  for (; *p && *p != '"'; ++p) {
    if ((unsigned char)*p < 0x20) return "has a control character";
    if (n + 2 >= cap) return "too long";
    if (*p == '\\') {
      out[n++] = *p++;
      if (!*p) return "not a string";
    }
    out[n++] = *p;
  }
  if (*p != '"') return "not a string";
  out[n] = 0;
  return NULL;
}

// true/false of "key", or -1.
static int json_bool(const char *body, const char *key) {
  char quoted[32];
  snprintf(quoted, sizeof quoted, "\"%s\"", key);
  const char *p = strstr(body, quoted);
  if (!p || !(p = strchr(p + strlen(quoted), ':'))) return -1;
  while (*++p == ' ') {
  }
  if (strncmp(p, "true", 4) == 0) return 1;
  if (strncmp(p, "false", 5) == 0) return 0;
  return -1;
}

static char *item_json(const item_t *it) {
  char *out = malloc(MAX_TITLE + 64);
  snprintf(out, MAX_TITLE + 64, "{\"id\":%u,\"title\":\"%s\",\"done\":%s}", it->id, it->title,
           it->done ? "true" : "false");
  return out;
}

static theater_http_response_t json_error(uint16_t status, const char *why) {
  char body[256];
  snprintf(body, sizeof body, "{\"error\":\"%s\"}", why);
  return theater_http_json(status, body);
}

static item_t *find(const char *path) {
  unsigned id = (unsigned)strtoul(path + strlen("/items/"), NULL, 10);
  for (unsigned i = 0; i < todo.count; ++i)
    if (todo.items[i].id == id) return &todo.items[i];
  return NULL;
}

static theater_http_response_t handle(const char *method, const char *path, const char *body, int *changed) {
  if (strcmp(path, "/health") == 0) {
    char out[64];
    snprintf(out, sizeof out, "{\"status\":\"ok\",\"items\":%u}", todo.count);
    return theater_http_json(200, out);
  }
  if (strcmp(path, "/items") == 0 && strcmp(method, "GET") == 0) {
    size_t cap = 32 + todo.count * (MAX_TITLE + 64), n = 0;
    char *out = malloc(cap);
    n += (size_t)snprintf(out + n, cap - n, "{\"items\":[");
    for (unsigned i = 0; i < todo.count; ++i) {
      char *it = item_json(&todo.items[i]);
      n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? "," : "", it);
      free(it);
    }
    snprintf(out + n, cap - n, "]}");
    theater_http_response_t r = theater_http_json(200, out);
    free(out);
    return r;
  }
  if (strcmp(path, "/items") == 0) {  // POST
    char title[MAX_TITLE + 1];
    const char *why = json_string(body, "title", title, sizeof title);
    if (why) {
      char msg[96];
      snprintf(msg, sizeof msg, "the body needs a \\\"title\\\" string: it is %s", why);
      return json_error(400, msg);
    }
    if (todo.count == MAX_ITEMS) return json_error(409, "the list is full");
    item_t *it = &todo.items[todo.count++];
    it->id = todo.next++;
    it->done = 0;
    snprintf(it->title, sizeof it->title, "%s", title);
    *changed = 1;
    char *out = item_json(it);
    theater_http_response_t r = theater_http_json(201, out);
    char location[32];
    snprintf(location, sizeof location, "/items/%u", it->id);
    theater_http_add_header(&r, "Location", location);
    free(out);
    return r;
  }
  item_t *it = find(path);
  if (!it) return json_error(404, "no such item");
  if (strcmp(method, "PUT") == 0) {
    int done = json_bool(body, "done");
    if (done < 0) return json_error(400, "the body needs \\\"done\\\": true or false");
    it->done = done;
    *changed = 1;
  } else if (strcmp(method, "DELETE") == 0) {
    char out[48];
    snprintf(out, sizeof out, "{\"deleted\":%u}", it->id);
    *it = todo.items[--todo.count];
    *changed = 1;
    return theater_http_json(200, out);
  }
  char *out = item_json(it);
  theater_http_response_t r = theater_http_json(200, out);
  free(out);
  return r;
}

// --- exports ---------------------------------------------------------------------------

bool exports_theater_simple_actor_init(theater_bytes_t *state, http_actor_tuple1_string_t *params,
                                       http_actor_tuple1_option_list_u8_t *ret, theater_string_t *err) {
  load(state);
  http_actor_tuple1_string_free(params);
  if (state) http_actor_list_u8_free(state);
  const char *why = serve();
  if (why) {  // a port in use, say: the actor fails with the reason
    http_actor_string_dup(err, why);
    return false;
  }
  ret->f0 = save();
  return true;
}

bool exports_theater_simple_message_server_client_handle_request(
    theater_bytes_t *state, http_actor_tuple2_string_list_u8_t *params,
    http_actor_tuple2_option_list_u8_tuple1_option_list_u8_t *ret, theater_string_t *err) {
  char out[320];
  load(state);
  if (params->f1.len == 4 && memcmp(params->f1.ptr, "port", 4) == 0) {
    snprintf(out, sizeof out, "%u", bound_port);
  } else if (params->f1.len == 5 && memcmp(params->f1.ptr, "serve", 5) == 0) {
    const char *why = bound_port ? NULL : serve();
    snprintf(out, sizeof out, "%s", why ? why : "serving");
  } else {
    snprintf(out, sizeof out, "requests: port, serve");
  }
  ret->f0 = theater_keep_state(state);
  ret->f1.f0.is_some = true;
  ret->f1.f0.val = theater_text(out);
  http_actor_tuple2_string_list_u8_free(params);
  return true;
}

bool exports_theater_simple_http_handlers_handle_request(
    theater_bytes_t *state, exports_theater_simple_http_handlers_tuple2_handler_id_http_request_t *params,
    exports_theater_simple_http_handlers_tuple2_option_list_u8_tuple1_http_response_t *ret, theater_string_t *err) {
  load(state);
  char *method = theater_http_method(&params->f1), *path = theater_http_path(&params->f1);
  char *body = theater_http_body(&params->f1);
  int changed = 0;
  ret->f1.f0 = handle(method, path, body, &changed);
  if (changed) {
    if (state) http_actor_list_u8_free(state);
    ret->f0 = save();
  } else {
    ret->f0 = theater_keep_state(state);
  }
  free(method);
  free(path);
  free(body);
  exports_theater_simple_http_handlers_tuple2_handler_id_http_request_free(params);
  return true;
}

// The API uses no middleware and no WebSocket: these are never called.
bool exports_theater_simple_http_handlers_handle_middleware(
    theater_bytes_t *state, exports_theater_simple_http_handlers_tuple2_handler_id_http_request_t *params,
    exports_theater_simple_http_handlers_tuple2_option_list_u8_tuple1_middleware_result_t *ret, theater_string_t *err) {
  ret->f0 = theater_keep_state(state);
  ret->f1.f0.proceed = true;
  ret->f1.f0.request = params->f1;
  return true;
}

bool exports_theater_simple_http_handlers_handle_websocket_connect(
    theater_bytes_t *state, exports_theater_simple_http_handlers_tuple4_handler_id_u64_string_option_string_t *params,
    http_actor_tuple1_option_list_u8_t *ret, theater_string_t *err) {
  ret->f0 = theater_keep_state(state);
  exports_theater_simple_http_handlers_tuple4_handler_id_u64_string_option_string_free(params);
  return true;
}

bool exports_theater_simple_http_handlers_handle_websocket_message(
    theater_bytes_t *state, exports_theater_simple_http_handlers_tuple3_handler_id_u64_websocket_message_t *params,
    exports_theater_simple_http_handlers_tuple2_option_list_u8_tuple1_list_websocket_message_t *ret,
    theater_string_t *err) {
  ret->f0 = theater_keep_state(state);
  ret->f1.f0.ptr = NULL;
  ret->f1.f0.len = 0;
  exports_theater_simple_http_handlers_tuple3_handler_id_u64_websocket_message_free(params);
  return true;
}

bool exports_theater_simple_http_handlers_handle_websocket_disconnect(
    theater_bytes_t *state, exports_theater_simple_http_handlers_tuple2_handler_id_u64_t *params,
    http_actor_tuple1_option_list_u8_t *ret, theater_string_t *err) {
  ret->f0 = theater_keep_state(state);
  return true;
}
