// dice: a test actor for theater:simple/timing and /random. Requests:
//   "now" -> the time   "sleep MS" -> "slept" or the error   "deadline UNIX-MS"
//   "bytes N" -> hex    "range MIN MAX" -> a number or the error   "float"   "uuid"
//   "roll" -> three dice, and the state becomes the sum so far
#include "theater_actor.h"

static char *hex(const uint8_t *p, size_t n) {
  char *s = malloc(2 * n + 1);
  for (size_t i = 0; i < n; ++i) sprintf(s + 2 * i, "%02x", p[i]);
  s[2 * n] = 0;
  return s;
}

static char *errtext(theater_string_t *e) {
  char *s = malloc(e->len + 6);
  snprintf(s, e->len + 6, "err: %.*s", (int)e->len, (const char *)e->ptr);
  full_actor_string_free(e);
  return s;
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
  char out[128] = "";
  char *owned = NULL;
  unsigned long long a = 0, b = 0;
  theater_string_t e;
  ret->f0 = theater_keep_state(state);
  if (strcmp(cmd, "now") == 0) {
    snprintf(out, sizeof out, "%llu", (unsigned long long)theater_simple_timing_now());
  } else if (sscanf(cmd, "sleep %llu", &a) == 1) {
    owned = theater_simple_timing_sleep(a, &e) ? NULL : errtext(&e);
    if (!owned) snprintf(out, sizeof out, "slept");
  } else if (sscanf(cmd, "deadline %llu", &a) == 1) {
    owned = theater_simple_timing_deadline(a, &e) ? NULL : errtext(&e);
    if (!owned) snprintf(out, sizeof out, "reached");
  } else if (sscanf(cmd, "bytes %llu", &a) == 1) {
    theater_bytes_t bytes;
    if (theater_simple_random_random_bytes((uint32_t)a, &bytes, &e)) {
      owned = hex(bytes.ptr, bytes.len);
      full_actor_list_u8_free(&bytes);
    } else {
      owned = errtext(&e);
    }
  } else if (sscanf(cmd, "range %llu %llu", &a, &b) == 2) {
    uint64_t v;
    if (theater_simple_random_random_range(a, b, &v, &e)) snprintf(out, sizeof out, "%llu", (unsigned long long)v);
    else owned = errtext(&e);
  } else if (strcmp(cmd, "float") == 0) {
    double v;
    if (theater_simple_random_random_float(&v, &e)) snprintf(out, sizeof out, "%.17g", v);
    else owned = errtext(&e);
  } else if (strcmp(cmd, "uuid") == 0) {
    theater_string_t id;
    if (theater_simple_random_generate_uuid(&id, &e)) {
      owned = theater_cstr(id.ptr, id.len);
      full_actor_string_free(&id);
    } else {
      owned = errtext(&e);
    }
  } else if (strcmp(cmd, "roll") == 0) {
    uint64_t sum = 0, v;
    for (int i = 0; i < 3; ++i)
      if (theater_simple_random_random_range(1, 7, &v, &e)) sum += v;
      else full_actor_string_free(&e);
    char *before = ret->f0.is_some ? theater_cstr(ret->f0.val.ptr, ret->f0.val.len) : NULL;
    unsigned long long total = (before ? strtoull(before, NULL, 10) : 0) + sum;
    free(before);
    full_actor_option_list_u8_free(&ret->f0);
    char text[32];
    snprintf(text, sizeof text, "%llu", total);
    ret->f0 = theater_state_text(text);
    snprintf(out, sizeof out, "%llu", (unsigned long long)sum);
  } else {
    snprintf(out, sizeof out, "unknown command");
  }
  ret->f1.f0.is_some = true;
  ret->f1.f0.val = owned ? (theater_bytes_t){(uint8_t *)owned, strlen(owned)} : theater_text(out);
  free(cmd);
  full_actor_tuple2_string_list_u8_free(params);
  return true;
}
