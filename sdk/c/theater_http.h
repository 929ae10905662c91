// Helpers for C actors that serve HTTP through theater:simple/http-framework (worlds that
// import http-types, e.g. http-actor). Include after theater_actor.h. Everything handed
// back is malloc'd: the bindings free it after the call returns.
#ifndef THEATER_HTTP_H
#define THEATER_HTTP_H

#include <ctype.h>
#include <strings.h>

#include "theater_actor.h"

typedef theater_simple_http_types_http_request_t theater_http_request_t;
typedef theater_simple_http_types_http_response_t theater_http_response_t;
typedef theater_simple_websocket_types_websocket_message_t theater_ws_message_t;

// A malloc'd copy of a C string as a string value.
static inline theater_string_t theater_string_dup(const char *s) {
  theater_bytes_t b = theater_text(s);
  theater_string_t out = {b.ptr, b.len};
  return out;
}

// A response with `status`, a Content-Type (if not NULL) and a copy of `len` bytes of
// `body` (no body if `body` is NULL).
static inline theater_http_response_t theater_http_response(uint16_t status, const char *content_type,
                                                            const void *body, size_t len) {
  theater_http_response_t r;
  memset(&r, 0, sizeof r);
  r.status = status;
  if (content_type) {
    r.headers.ptr = (TW(tuple2_string_string_t) *)malloc(sizeof *r.headers.ptr);
    r.headers.len = 1;
    r.headers.ptr[0].f0 = theater_string_dup("Content-Type");
    r.headers.ptr[0].f1 = theater_string_dup(content_type);
  }
  if (body) {
    r.body.is_some = true;
    theater_bytes_t b = theater_bytes(body, len);
    r.body.val.ptr = b.ptr;
    r.body.val.len = b.len;
  }
  return r;
}

static inline theater_http_response_t theater_http_text(uint16_t status, const char *text) {
  return theater_http_response(status, "text/plain; charset=utf-8", text, strlen(text));
}

static inline theater_http_response_t theater_http_json(uint16_t status, const char *json) {
  return theater_http_response(status, "application/json", json, strlen(json));
}

// Adds a header to a response (copies both).
static inline void theater_http_add_header(theater_http_response_t *r, const char *name, const char *value) {
  r->headers.ptr = (TW(tuple2_string_string_t) *)realloc(r->headers.ptr, (r->headers.len + 1) * sizeof *r->headers.ptr);
  r->headers.ptr[r->headers.len].f0 = theater_string_dup(name);
  r->headers.ptr[r->headers.len].f1 = theater_string_dup(value);
  r->headers.len++;
}

// The request's path (the URI before `?`), malloc'd and zero-terminated.
static inline char *theater_http_path(const theater_http_request_t *req) {
  size_t n = 0;
  while (n < req->uri.len && req->uri.ptr[n] != '?' && req->uri.ptr[n] != '#') ++n;
  return theater_cstr(req->uri.ptr, n);
}

// The method, malloc'd and zero-terminated.
static inline char *theater_http_method(const theater_http_request_t *req) {
  return theater_cstr(req->method.ptr, req->method.len);
}

// The value of header `name` (case-insensitive), malloc'd; NULL if it is not there.
static inline char *theater_http_header(const theater_http_request_t *req, const char *name) {
  size_t want = strlen(name);
  for (size_t i = 0; i < req->headers.len; ++i) {
    const theater_string_t *k = &req->headers.ptr[i].f0;
    if (k->len == want && strncasecmp((const char *)k->ptr, name, want) == 0)
      return theater_cstr(req->headers.ptr[i].f1.ptr, req->headers.ptr[i].f1.len);
  }
  return NULL;
}

// The body, malloc'd and zero-terminated ("" when there is none).
static inline char *theater_http_body(const theater_http_request_t *req) {
  return req->body.is_some ? theater_cstr(req->body.val.ptr, req->body.val.len) : theater_cstr(NULL, 0);
}

// A text WebSocket message (copies `text`).
static inline theater_ws_message_t theater_ws_text(const char *text) {
  theater_ws_message_t m;
  memset(&m, 0, sizeof m);
  m.ty.tag = THEATER_SIMPLE_WEBSOCKET_TYPES_MESSAGE_TYPE_TEXT;
  m.text.is_some = true;
  m.text.val = theater_string_dup(text);
  return m;
}

#endif
