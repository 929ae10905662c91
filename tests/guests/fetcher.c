// fetcher: a test actor for theater:simple/http-client. Requests:
//   "METHOD URL [BODY]" -> "STATUS\n" + "name: value\n" per header + "\n" + body, or "err: why"
//   "crlf URL" -> sends a header value with CR/LF in it (must be refused)
// Every request carries the header "X-Test: yes".
#include "theater_actor.h"

bool exports_theater_simple_actor_init(theater_bytes_t *state, full_actor_tuple1_string_t *params,
                                       full_actor_tuple1_option_list_u8_t *ret, theater_string_t *err) {
  ret->f0 = theater_keep_state(state);
  full_actor_tuple1_string_free(params);
  return true;
}

static char *fetch(const char *method, const char *url, const char *body, const char *header_value) {
  theater_simple_http_client_http_request_t req;
  req.method = theater_str(method);
  req.uri = theater_str(url);
  req.headers.len = 1;
  req.headers.ptr = malloc(sizeof(full_actor_tuple2_string_string_t));
  req.headers.ptr[0].f0 = theater_str("X-Test");
  req.headers.ptr[0].f1 = theater_str(header_value);
  req.body.is_some = body != NULL;
  if (body) {
    theater_bytes_t b = theater_text(body);
    req.body.val.ptr = b.ptr;
    req.body.val.len = b.len;
  }
  theater_simple_http_client_http_response_t resp;
  theater_string_t e;
  bool ok = theater_simple_http_client_send_http(&req, &resp, &e);
  free(req.headers.ptr);  // the strings are borrowed (theater_str)
  if (body) free(req.body.val.ptr);
  if (!ok) {
    char *s = malloc(e.len + 6);
    snprintf(s, e.len + 6, "err: %.*s", (int)e.len, (const char *)e.ptr);
    full_actor_string_free(&e);
    return s;
  }
  size_t cap = 64 + (resp.body.is_some ? resp.body.val.len : 0);
  for (size_t i = 0; i < resp.headers.len; ++i) cap += resp.headers.ptr[i].f0.len + resp.headers.ptr[i].f1.len + 4;
  char *out = malloc(cap);
  size_t n = snprintf(out, cap, "%u\n", (unsigned)resp.status);
  for (size_t i = 0; i < resp.headers.len; ++i)
    n += snprintf(out + n, cap - n, "%.*s: %.*s\n", (int)resp.headers.ptr[i].f0.len, (const char *)resp.headers.ptr[i].f0.ptr,
                  (int)resp.headers.ptr[i].f1.len, (const char *)resp.headers.ptr[i].f1.ptr);
  n += snprintf(out + n, cap - n, "\n");
  if (resp.body.is_some) {
    memcpy(out + n, resp.body.val.ptr, resp.body.val.len);
    n += resp.body.val.len;
  }
  out[n] = 0;
  theater_simple_http_client_http_response_free(&resp);
  return out;
}

bool exports_theater_simple_message_server_client_handle_request(
    theater_bytes_t *state, full_actor_tuple2_string_list_u8_t *params,
    full_actor_tuple2_option_list_u8_tuple1_option_list_u8_t *ret, theater_string_t *err) {
  char *cmd = theater_cstr(params->f1.ptr, params->f1.len);
  ret->f0 = theater_keep_state(state);
  char method[32] = "", url[1024] = "";
  int used = 0;
  char *out;
  if (sscanf(cmd, "crlf %1023s", url) == 1) {
    out = fetch("GET", url, NULL, "a\r\nInjected: 1");
  } else if (sscanf(cmd, "%31s %1023s %n", method, url, &used) >= 2) {
    out = fetch(method, url, used && cmd[used] ? cmd + used : NULL, "yes");
  } else {
    out = strdup("unknown command");
  }
  ret->f1.f0.is_some = true;
  ret->f1.f0.val = (theater_bytes_t){(uint8_t *)out, strlen(out)};
  free(cmd);
  full_actor_tuple2_string_list_u8_free(params);
  return true;
}
