// http_probe: a test actor for theater:simple/http-framework. Requests (text in, text out):
//   "serve"             a server on 127.0.0.1 (any port) with the routes below -> "SERVER PORT"
//   "create [HOST]"     a server, not started -> its id or "err: ..."
//   "create-tls CERT KEY"  a server with tls-config -> its id or "err: ..."
//   "start ID" -> port  "stop ID"  "destroy ID"  "info ID"
//   "route ID METHOD PATH" -> route id   "unroute RID"   "mw ID PATH" -> middleware id   "unmw MID"
//   "ws ID PATH"        WebSocket on PATH   "send ID CONN TEXT"   "close ID CONN"
//   "handler NAME"      register-handler    "events" -> what the WebSocket handlers saw
// HTTP (handle-request), by path:
//   /hello -> "hello"  /echo -> the body  /headers -> the x-added header  /count -> requests so far
//   /spin -> answers slowly  /trap -> traps  /bad-status -> status 700  /bad-header -> a header with CR LF  else -> the URI
// Middleware: /private needs "x-token: secret"; /old/... is rewritten to /headers with x-added.
// WebSocket: "bye" -> the connection is closed; any other text -> "echo: TEXT".
#include "theater_actor.h"
#include "theater_http.h"

static uint64_t api, mw, ws_connect, ws_message, ws_disconnect;
static unsigned connects, messages, disconnects;
static uint64_t last_connection;

static char *errtext(theater_string_t *e) {
  char *s = malloc(e->len + 6);
  snprintf(s, e->len + 6, "err: %.*s", (int)e->len, (const char *)e->ptr);
  http_actor_string_free(e);
  return s;
}

static char *dupf(const char *format, unsigned long long a, unsigned long long b) {
  char *s = malloc(64);
  snprintf(s, 64, format, a, b);
  return s;
}

static void ensure_handlers(void) {
  if (api) return;
  theater_string_t e;
  const char *names[] = {"api", "mw", "ws-connect", "ws-message", "ws-disconnect"};
  uint64_t *ids[] = {&api, &mw, &ws_connect, &ws_message, &ws_disconnect};
  for (int i = 0; i < 5; ++i) {
    theater_string_t name = theater_str(names[i]);
    if (!theater_simple_http_framework_register_handler(&name, ids[i], &e)) http_actor_string_free(&e);
  }
}

static char *create(const char *host, const char *cert, const char *key, uint64_t *id) {
  theater_simple_http_types_server_config_t config;
  memset(&config, 0, sizeof config);
  if (host) {
    config.host.is_some = true;
    config.host.val = theater_str(host);
  }
  if (cert) {
    config.tls_config.is_some = true;
    config.tls_config.val.cert_path = theater_str(cert);
    config.tls_config.val.key_path = theater_str(key);
  }
  theater_string_t e;
  return theater_simple_http_framework_create_server(&config, id, &e) ? NULL : errtext(&e);
}

static char *route(uint64_t server, const char *method, const char *path, uint64_t *id) {
  theater_string_t m = theater_str(method), p = theater_str(path), e;
  return theater_simple_http_framework_add_route(server, &p, &m, api, id, &e) ? NULL : errtext(&e);
}

static char *serve(void) {
  ensure_handlers();
  uint64_t server, id;
  uint16_t port;
  char *err = create(NULL, NULL, NULL, &server);
  if (err) return err;
  const char *routes[][2] = {{"GET", "/hello"},         {"POST", "/echo"},     {"GET", "/items/{id}"},
                             {"GET", "/static/*"},      {"GET", "/trap"},      {"GET", "/bad-status"},
                             {"GET", "/bad-header"},    {"GET", "/headers"},   {"*", "/any"},
                             {"GET", "/count"},         {"GET", "/private/data"}, {"GET", "/spin"}};
  for (size_t i = 0; i < sizeof routes / sizeof routes[0]; ++i)
    if ((err = route(server, routes[i][0], routes[i][1], &id))) return err;
  theater_string_t e;
  const char *prefixes[] = {"/private", "/old"};
  for (int i = 0; i < 2; ++i) {
    theater_string_t p = theater_str(prefixes[i]);
    if (!theater_simple_http_framework_add_middleware(server, &p, mw, &id, &e)) return errtext(&e);
  }
  theater_string_t ws = theater_str("/ws");
  if (!theater_simple_http_framework_enable_websocket(server, &ws, &ws_connect, ws_message, &ws_disconnect, &e))
    return errtext(&e);
  if (!theater_simple_http_framework_start_server(server, &port, &e)) return errtext(&e);
  return dupf("%llu %llu", server, port);
}

static char *command(const char *cmd, theater_state_t *state) {
  unsigned long long a = 0, b = 0;
  char s1[64] = "", s2[512] = "";
  theater_string_t e;
  uint64_t id;
  uint16_t port;
  if (strcmp(cmd, "serve") == 0) return serve();
  if (sscanf(cmd, "create-tls %63s %511s", s1, s2) == 2) {
    ensure_handlers();
    char *err = create(NULL, s1, s2, &id);
    return err ? err : dupf("%llu", id, 0);
  }
  if (strncmp(cmd, "create", 6) == 0) {
    ensure_handlers();
    char *err = create(cmd[6] == ' ' ? cmd + 7 : NULL, NULL, NULL, &id);
    return err ? err : dupf("%llu", id, 0);
  }
  if (sscanf(cmd, "start %llu", &a) == 1)
    return theater_simple_http_framework_start_server(a, &port, &e) ? dupf("%llu", port, 0) : errtext(&e);
  if (sscanf(cmd, "stop %llu", &a) == 1)
    return theater_simple_http_framework_stop_server(a, &e) ? dupf("ok", 0, 0) : errtext(&e);
  if (sscanf(cmd, "destroy %llu", &a) == 1)
    return theater_simple_http_framework_destroy_server(a, &e) ? dupf("ok", 0, 0) : errtext(&e);
  if (sscanf(cmd, "info %llu", &a) == 1) {
    theater_simple_http_types_server_info_t info;
    if (!theater_simple_http_framework_get_server_info(a, &info, &e)) return errtext(&e);
    char *out = malloc(256);
    snprintf(out, 256, "id=%llu port=%u host=%.*s running=%d routes=%u middleware=%u websocket=%d",
             (unsigned long long)info.id, info.port, (int)info.host.len, (const char *)info.host.ptr, info.running,
             info.routes_count, info.middleware_count, info.websocket_enabled);
    theater_simple_http_types_server_info_free(&info);
    return out;
  }
  if (sscanf(cmd, "route %llu %63s %511s", &a, s1, s2) == 3) {
    char *err = route(a, s1, s2, &id);
    return err ? err : dupf("%llu", id, 0);
  }
  if (sscanf(cmd, "unroute %llu", &a) == 1)
    return theater_simple_http_framework_remove_route(a, &e) ? dupf("ok", 0, 0) : errtext(&e);
  if (sscanf(cmd, "mw %llu %511s", &a, s2) == 2) {
    theater_string_t p = theater_str(s2);
    return theater_simple_http_framework_add_middleware(a, &p, mw, &id, &e) ? dupf("%llu", id, 0) : errtext(&e);
  }
  if (sscanf(cmd, "unmw %llu", &a) == 1)
    return theater_simple_http_framework_remove_middleware(a, &e) ? dupf("ok", 0, 0) : errtext(&e);
  if (sscanf(cmd, "ws %llu %511s", &a, s2) == 2) {
    theater_string_t p = theater_str(s2);
    return theater_simple_http_framework_enable_websocket(a, &p, &ws_connect, ws_message, &ws_disconnect, &e)
               ? dupf("ok", 0, 0)
               : errtext(&e);
  }
  if (sscanf(cmd, "send %llu %llu %511[^\n]", &a, &b, s2) == 3) {
    theater_ws_message_t m = theater_ws_text(s2);
    bool ok = theater_simple_http_framework_send_websocket_message(a, b, &m, &e);
    theater_simple_websocket_types_websocket_message_free(&m);
    return ok ? dupf("ok", 0, 0) : errtext(&e);
  }
  if (sscanf(cmd, "close %llu %llu", &a, &b) == 2)
    return theater_simple_http_framework_close_websocket(a, b, &e) ? dupf("ok", 0, 0) : errtext(&e);
  if (sscanf(cmd, "handler %511s", s2) == 1) {
    theater_string_t name = theater_str(s2);
    return theater_simple_http_framework_register_handler(&name, &id, &e) ? dupf("%llu", id, 0) : errtext(&e);
  }
  if (strcmp(cmd, "events") == 0) {
    char *out = malloc(96);
    snprintf(out, 96, "connects=%u messages=%u disconnects=%u last=%llu", connects, messages, disconnects,
             (unsigned long long)last_connection);
    return out;
  }
  return dupf("unknown command", 0, 0);
}

bool exports_theater_simple_actor_init(theater_bytes_t *state, http_actor_tuple1_string_t *params,
                                       http_actor_tuple1_option_list_u8_t *ret, theater_string_t *err) {
  ret->f0 = theater_keep_state(state);
  http_actor_tuple1_string_free(params);
  return true;
}

bool exports_theater_simple_message_server_client_handle_request(
    theater_bytes_t *state, http_actor_tuple2_string_list_u8_t *params,
    http_actor_tuple2_option_list_u8_tuple1_option_list_u8_t *ret, theater_string_t *err) {
  char *cmd = theater_cstr(params->f1.ptr, params->f1.len);
  ret->f0 = theater_keep_state(state);
  char *out = command(cmd, &ret->f0);
  ret->f1.f0.is_some = true;
  ret->f1.f0.val = (theater_bytes_t){(uint8_t *)out, strlen(out)};
  free(cmd);
  http_actor_tuple2_string_list_u8_free(params);
  return true;
}

bool exports_theater_simple_http_handlers_handle_request(
    theater_bytes_t *state, exports_theater_simple_http_handlers_tuple2_handler_id_http_request_t *params,
    exports_theater_simple_http_handlers_tuple2_option_list_u8_tuple1_http_response_t *ret, theater_string_t *err) {
  theater_http_request_t *req = &params->f1;
  char *path = theater_http_path(req);
  ret->f0 = theater_keep_state(state);
  theater_http_response_t *res = &ret->f1.f0;
  if (strcmp(path, "/hello") == 0) {
    *res = theater_http_text(200, "hello");
  } else if (strcmp(path, "/echo") == 0) {
    *res = theater_http_response(200, "application/octet-stream", req->body.is_some ? req->body.val.ptr : (uint8_t *)"",
                                 req->body.is_some ? req->body.val.len : 0);
    char *method = theater_http_method(req);
    theater_http_add_header(res, "X-Method", method);
    free(method);
  } else if (strcmp(path, "/headers") == 0) {
    char *added = theater_http_header(req, "x-added");
    *res = theater_http_text(200, added ? added : "(none)");
    free(added);
  } else if (strcmp(path, "/count") == 0) {
    char *before = ret->f0.is_some ? theater_cstr(ret->f0.val.ptr, ret->f0.val.len) : NULL;
    unsigned long long n = (before ? strtoull(before, NULL, 10) : 0) + 1;
    free(before);
    http_actor_option_list_u8_free(&ret->f0);
    char text[32];
    snprintf(text, sizeof text, "%llu", n);
    ret->f0 = theater_state_text(text);
    *res = theater_http_text(200, text);
  } else if (strcmp(path, "/spin") == 0) {
    volatile unsigned long long n = 0;  // a slow answer (tens of ms)
    for (unsigned long long i = 0; i < 200000000ull; ++i) n += i;
    *res = theater_http_text(200, "spun");
  } else if (strcmp(path, "/trap") == 0) {
    __builtin_trap();
  } else if (strcmp(path, "/bad-status") == 0) {
    *res = theater_http_text(700, "no such status");
  } else if (strcmp(path, "/bad-header") == 0) {
    *res = theater_http_text(200, "split");
    theater_http_add_header(res, "X-Split", "a\r\nInjected: yes");
  } else {
    char *uri = theater_cstr(req->uri.ptr, req->uri.len);
    *res = theater_http_text(200, uri);
    free(uri);
  }
  free(path);
  exports_theater_simple_http_handlers_tuple2_handler_id_http_request_free(params);
  return true;
}

bool exports_theater_simple_http_handlers_handle_middleware(
    theater_bytes_t *state, exports_theater_simple_http_handlers_tuple2_handler_id_http_request_t *params,
    exports_theater_simple_http_handlers_tuple2_option_list_u8_tuple1_middleware_result_t *ret, theater_string_t *err) {
  theater_http_request_t *req = &params->f1;
  char *path = theater_http_path(req);
  ret->f0 = theater_keep_state(state);
  theater_simple_http_types_middleware_result_t *out = &ret->f1.f0;
  out->proceed = true;
  if (strncmp(path, "/private", 8) == 0) {
    char *token = theater_http_header(req, "x-token");
    out->proceed = token && strcmp(token, "secret") == 0;
    free(token);
  } else if (strncmp(path, "/old", 4) == 0) {
    // Rewritten: the route for /headers answers, and sees the header added here.
    http_actor_string_free(&req->uri);
    req->uri = theater_string_dup("/headers");
    req->headers.ptr = realloc(req->headers.ptr, (req->headers.len + 1) * sizeof *req->headers.ptr);
    req->headers.ptr[req->headers.len].f0 = theater_string_dup("x-added");
    req->headers.ptr[req->headers.len].f1 = theater_string_dup("by-middleware");
    req->headers.len++;
  }
  free(path);
  out->request = *req;  // ownership moves to the result
  memset(req, 0, sizeof *req);
  return true;
}

bool exports_theater_simple_http_handlers_handle_websocket_connect(
    theater_bytes_t *state, exports_theater_simple_http_handlers_tuple4_handler_id_u64_string_option_string_t *params,
    http_actor_tuple1_option_list_u8_t *ret, theater_string_t *err) {
  ret->f0 = theater_keep_state(state);
  ++connects;
  last_connection = params->f1;
  exports_theater_simple_http_handlers_tuple4_handler_id_u64_string_option_string_free(params);
  return true;
}

bool exports_theater_simple_http_handlers_handle_websocket_message(
    theater_bytes_t *state, exports_theater_simple_http_handlers_tuple3_handler_id_u64_websocket_message_t *params,
    exports_theater_simple_http_handlers_tuple2_option_list_u8_tuple1_list_websocket_message_t *ret,
    theater_string_t *err) {
  ret->f0 = theater_keep_state(state);
  ++messages;
  theater_ws_message_t *in = &params->f2;
  ret->f1.f0.ptr = malloc(sizeof(theater_ws_message_t));
  ret->f1.f0.len = 1;
  if (in->text.is_some && in->text.val.len == 3 && memcmp(in->text.val.ptr, "bye", 3) == 0) {
    memset(ret->f1.f0.ptr, 0, sizeof(theater_ws_message_t));
    ret->f1.f0.ptr[0].ty.tag = THEATER_SIMPLE_WEBSOCKET_TYPES_MESSAGE_TYPE_CLOSE;
  } else {
    char *text = in->text.is_some ? theater_cstr(in->text.val.ptr, in->text.val.len) : theater_cstr(NULL, 0);
    char *reply = malloc(strlen(text) + 8);
    sprintf(reply, "echo: %s", text);
    ret->f1.f0.ptr[0] = theater_ws_text(reply);
    free(text);
    free(reply);
  }
  exports_theater_simple_http_handlers_tuple3_handler_id_u64_websocket_message_free(params);
  return true;
}

bool exports_theater_simple_http_handlers_handle_websocket_disconnect(
    theater_bytes_t *state, exports_theater_simple_http_handlers_tuple2_handler_id_u64_t *params,
    http_actor_tuple1_option_list_u8_t *ret, theater_string_t *err) {
  ret->f0 = theater_keep_state(state);
  ++disconnects;
  return true;
}
