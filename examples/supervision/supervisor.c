// supervisor: starts two workers (worker.toml) and hands out jobs to them in turn. When a
// worker crashes on a job, the caller gets an error, the supervisor hears of it
// (handle-child-error) and the runtime restarts the worker, as supervisor.toml says.
// The state is the workers' ids and the index of the next one: "ID1 ID2 NEXT".
#include "theater_actor.h"

#define WORKERS 2

typedef struct {
  char ids[WORKERS][40];
  int next;
} crew_t;

static crew_t load(const theater_bytes_t *state) {
  crew_t crew;
  memset(&crew, 0, sizeof crew);
  if (state) {
    char *text = theater_cstr(state->ptr, state->len);
    sscanf(text, "%39s %39s %d", crew.ids[0], crew.ids[1], &crew.next);
    free(text);
  }
  return crew;
}

static theater_state_t save(const crew_t *crew) {
  char text[128];
  snprintf(text, sizeof text, "%s %s %d", crew->ids[0], crew->ids[1], crew->next);
  return theater_state_text(text);
}

bool exports_theater_simple_actor_init(theater_bytes_t *state, supervisor_actor_tuple1_string_t *params,
                                       supervisor_actor_tuple1_option_list_u8_t *ret, theater_string_t *err) {
  crew_t crew = load(state);
  for (int i = 0; i < WORKERS; ++i) {
    theater_string_t manifest = theater_str("worker.toml"), id, error;
    if (!theater_simple_supervisor_spawn(&manifest, NULL, &id, &error)) {
      *err = error;  // without workers there is nothing to supervise: fail to start
      if (state) supervisor_actor_list_u8_free(state);
      supervisor_actor_tuple1_string_free(params);
      return false;
    }
    snprintf(crew.ids[i], sizeof crew.ids[i], "%.*s", (int)id.len, (const char *)id.ptr);
    supervisor_actor_string_free(&id);
  }
  theater_log("supervisor started %d workers", WORKERS);
  ret->f0 = save(&crew);
  if (state) supervisor_actor_list_u8_free(state);
  supervisor_actor_tuple1_string_free(params);
  return true;
}

bool exports_theater_simple_message_server_client_handle_request(
    theater_bytes_t *state, supervisor_actor_tuple2_string_list_u8_t *params,
    supervisor_actor_tuple2_option_list_u8_tuple1_option_list_u8_t *ret, theater_string_t *err) {
  crew_t crew = load(state);
  const char *worker = crew.ids[crew.next];
  crew.next = (crew.next + 1) % WORKERS;
  theater_string_t to = theater_str(worker), error;
  theater_bytes_t reply;
  char answer[256];
  if (theater_simple_message_server_host_request(&to, &params->f1, &reply, &error)) {
    snprintf(answer, sizeof answer, "worker %.8s: %.*s", worker, (int)reply.len, (const char *)reply.ptr);
    supervisor_actor_list_u8_free(&reply);
  } else {
    snprintf(answer, sizeof answer, "worker %.8s could not do it: %.*s", worker, (int)error.len, (const char *)error.ptr);
    supervisor_actor_string_free(&error);
  }
  ret->f0 = save(&crew);
  ret->f1.f0.is_some = true;
  ret->f1.f0.val = theater_text(answer);
  if (state) supervisor_actor_list_u8_free(state);
  supervisor_actor_tuple2_string_list_u8_free(params);
  return true;
}

static const char *kErrorTypes[] = {"operation-timeout", "channel-closed", "shutting-down", "function-not-found",
                                    "type-mismatch", "internal", "serialization-error", "update-component-error",
                                    "paused"};

bool exports_theater_simple_supervisor_handlers_handle_child_error(
    theater_bytes_t *state, exports_theater_simple_supervisor_handlers_tuple2_string_wit_actor_error_t *params,
    supervisor_actor_tuple1_option_list_u8_t *ret, theater_string_t *err) {
  theater_simple_types_wit_actor_error_t *e = &params->f1;
  theater_log("worker %.8s failed (%s: %.*s); the runtime restarts it", (const char *)params->f0.ptr,
              kErrorTypes[e->error_type], e->data.is_some ? (int)e->data.val.len : 0,
              e->data.is_some ? (const char *)e->data.val.ptr : "");
  ret->f0 = theater_keep_state(state);
  exports_theater_simple_supervisor_handlers_tuple2_string_wit_actor_error_free(params);
  return true;
}
