// store-probe: a test actor that calls each theater:simple/store function on request.
// Requests (words split at spaces; TEXT is the rest of the line):
//   "new" -> id                          "store ID TEXT" -> ref
//   "get ID REF" -> text                 "exists ID REF" -> true|false
//   "label ID LABEL REF" -> ok           "get-by-label ID LABEL" -> ref|none
//   "remove-label ID LABEL" -> ok        "remove-from-label ID LABEL REF" -> ok
//   "store-at-label ID LABEL TEXT" -> ref
//   "replace-content-at-label ID LABEL TEXT" -> ref
//   "replace-at-label ID LABEL REF" -> ok
//   "list-labels ID" -> a,b,c            "list-all-content ID" -> ref,ref
//   "size ID" -> bytes                   "big ID N" -> ref of N bytes of 'x'
// Errors come back as "err: why".
#include "theater_actor.h"

typedef theater_simple_store_content_ref_t ref_t;

static char *errtext(theater_string_t *e) {
  char *s = malloc(e->len + 6);
  snprintf(s, e->len + 6, "err: %.*s", (int)e->len, (const char *)e->ptr);
  full_actor_string_free(e);
  return s;
}

static char *ref_text(ref_t *r) {
  char *s = theater_cstr(r->hash.ptr, r->hash.len);
  theater_simple_store_content_ref_free(r);
  return s;
}

static char *dup(const char *s) { return theater_cstr((const uint8_t *)s, strlen(s)); }

// The next space-separated word of *p (empty at the end); *p moves past it.
static char *word(char **p) {
  char *start = *p, *space = strchr(start, ' ');
  if (space) {
    *space = 0;
    *p = space + 1;
  } else {
    *p = start + strlen(start);
  }
  return start;
}

static ref_t ref_arg(char *s) {
  ref_t r = {theater_str(s)};
  return r;
}

static char *run(char *line) {
  char *cmd = word(&line);
  theater_string_t e;
  if (strcmp(cmd, "new") == 0) {
    theater_string_t id;
    if (!theater_simple_store_new(&id, &e)) return errtext(&e);
    char *s = theater_cstr(id.ptr, id.len);
    full_actor_string_free(&id);
    return s;
  }
  theater_string_t id = theater_str(word(&line));
  ref_t out;
  if (strcmp(cmd, "store") == 0) {
    theater_bytes_t content = {(uint8_t *)line, strlen(line)};
    return theater_simple_store_store(&id, &content, &out, &e) ? ref_text(&out) : errtext(&e);
  }
  if (strcmp(cmd, "big") == 0) {
    size_t n = strtoull(line, NULL, 10);
    theater_bytes_t content = {(uint8_t *)malloc(n ? n : 1), n};
    memset(content.ptr, 'x', n);
    bool ok = theater_simple_store_store(&id, &content, &out, &e);
    free(content.ptr);
    return ok ? ref_text(&out) : errtext(&e);
  }
  if (strcmp(cmd, "get") == 0) {
    ref_t r = ref_arg(word(&line));
    theater_bytes_t bytes;
    if (!theater_simple_store_get(&id, &r, &bytes, &e)) return errtext(&e);
    char *s = theater_cstr(bytes.ptr, bytes.len);
    full_actor_list_u8_free(&bytes);
    return s;
  }
  if (strcmp(cmd, "exists") == 0) {
    ref_t r = ref_arg(word(&line));
    bool yes;
    return theater_simple_store_exists(&id, &r, &yes, &e) ? dup(yes ? "true" : "false") : errtext(&e);
  }
  if (strcmp(cmd, "size") == 0) {
    uint64_t n;
    if (!theater_simple_store_calculate_total_size(&id, &n, &e)) return errtext(&e);
    char s[32];
    snprintf(s, sizeof s, "%llu", (unsigned long long)n);
    return dup(s);
  }
  if (strcmp(cmd, "list-labels") == 0) {
    full_actor_list_string_t labels;
    if (!theater_simple_store_list_labels(&id, &labels, &e)) return errtext(&e);
    size_t total = 1;
    for (size_t i = 0; i < labels.len; ++i) total += labels.ptr[i].len + 1;
    char *s = calloc(total, 1);
    for (size_t i = 0; i < labels.len; ++i) {
      if (i) strcat(s, ",");
      strncat(s, (const char *)labels.ptr[i].ptr, labels.ptr[i].len);
    }
    full_actor_list_string_free(&labels);
    return s;
  }
  if (strcmp(cmd, "list-all-content") == 0) {
    theater_simple_store_list_content_ref_t refs;
    if (!theater_simple_store_list_all_content(&id, &refs, &e)) return errtext(&e);
    char *s = calloc(refs.len * 65 + 1, 1);
    for (size_t i = 0; i < refs.len; ++i) {
      if (i) strcat(s, ",");
      strncat(s, (const char *)refs.ptr[i].hash.ptr, refs.ptr[i].hash.len);
    }
    theater_simple_store_list_content_ref_free(&refs);
    return s;
  }
  theater_string_t label = theater_str(word(&line));
  if (strcmp(cmd, "get-by-label") == 0) {
    theater_simple_store_option_content_ref_t found;
    if (!theater_simple_store_get_by_label(&id, &label, &found, &e)) return errtext(&e);
    return found.is_some ? ref_text(&found.val) : dup("none");
  }
  if (strcmp(cmd, "remove-label") == 0)
    return theater_simple_store_remove_label(&id, &label, &e) ? dup("ok") : errtext(&e);
  if (strcmp(cmd, "store-at-label") == 0 || strcmp(cmd, "replace-content-at-label") == 0) {
    theater_bytes_t content = {(uint8_t *)line, strlen(line)};
    bool ok = strcmp(cmd, "store-at-label") == 0
                  ? theater_simple_store_store_at_label(&id, &label, &content, &out, &e)
                  : theater_simple_store_replace_content_at_label(&id, &label, &content, &out, &e);
    return ok ? ref_text(&out) : errtext(&e);
  }
  ref_t r = ref_arg(word(&line));
  if (strcmp(cmd, "label") == 0) return theater_simple_store_label(&id, &label, &r, &e) ? dup("ok") : errtext(&e);
  if (strcmp(cmd, "remove-from-label") == 0)
    return theater_simple_store_remove_from_label(&id, &label, &r, &e) ? dup("ok") : errtext(&e);
  if (strcmp(cmd, "replace-at-label") == 0)
    return theater_simple_store_replace_at_label(&id, &label, &r, &e) ? dup("ok") : errtext(&e);
  return dup("unknown command");
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
  char *line = theater_cstr(params->f1.ptr, params->f1.len);
  char *out = run(line);
  ret->f0 = theater_keep_state(state);
  ret->f1.f0.is_some = true;
  ret->f1.f0.val = (theater_bytes_t){(uint8_t *)out, strlen(out)};
  free(line);
  full_actor_tuple2_string_list_u8_free(params);
  return true;
}
