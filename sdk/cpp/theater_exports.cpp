// The component's exports for a C++ actor (sdk/cpp/theater.hpp): each turns the bindings'
// arguments into C++ values, calls the actor's handler and hands the results back.
// Exports this file does not define come from sdk/c/theater_defaults.c.
#include "theater.hpp"

namespace {

using namespace theater;

// A handler's error becomes the call's error (the runtime keeps the state from before).
bool Finish(const Status& s, theater_string_t* err) {
  if (s.ok()) return true;
  *err = detail::GiveString(s.message());
  return false;
}

}  // namespace

extern "C" {

bool exports_theater_simple_actor_init(theater_bytes_t* maybe_state, TW(tuple1_string_t) * params,
                                       TW(tuple1_option_list_u8_t) * ret, theater_string_t* err) {
  State state = detail::TakeState(maybe_state);
  std::string self = detail::TakeString(params->f0);
  Status s = detail::TheActor().Init(state, self);
  if (s.ok()) ret->f0 = detail::GiveState(state);
  return Finish(s, err);
}

#ifdef THEATER_EXPORTS_MESSAGE_CLIENT
bool exports_theater_simple_message_server_client_handle_send(theater_bytes_t* maybe_state,
                                                              TW(tuple1_list_u8_t) * params,
                                                              TW(tuple1_option_list_u8_t) * ret, theater_string_t* err) {
  State state = detail::TakeState(maybe_state);
  Bytes message = detail::Take(params->f0);
  Status s = detail::TheActor().HandleSend(state, message);
  if (s.ok()) ret->f0 = detail::GiveState(state);
  return Finish(s, err);
}

bool exports_theater_simple_message_server_client_handle_request(
    theater_bytes_t* maybe_state, TW(tuple2_string_list_u8_t) * params,
    TW(tuple2_option_list_u8_tuple1_option_list_u8_t) * ret, theater_string_t* err) {
  State state = detail::TakeState(maybe_state);
  std::string request_id = detail::TakeString(params->f0);
  Bytes message = detail::Take(params->f1);
  Response response;
  Status s = detail::TheActor().HandleRequest(state, request_id, message, response);
  if (s.ok()) {
    ret->f0 = detail::GiveState(state);
    ret->f1.f0 = detail::GiveState(response);
  }
  return Finish(s, err);
}

bool exports_theater_simple_message_server_client_handle_channel_open(
    theater_bytes_t* maybe_state, TW(tuple2_string_list_u8_t) * params,
    exports_theater_simple_message_server_client_tuple2_option_list_u8_tuple1_channel_accept_t* ret,
    theater_string_t* err) {
  State state = detail::TakeState(maybe_state);
  std::string channel = detail::TakeString(params->f0);
  Bytes message = detail::Take(params->f1);
  ChannelAccept accept;
  Status s = detail::TheActor().HandleChannelOpen(state, channel, message, accept);
  if (s.ok()) {
    ret->f0 = detail::GiveState(state);
    ret->f1.f0.accepted = accept.accepted;
    ret->f1.f0.message = detail::GiveState(accept.message);
  }
  return Finish(s, err);
}

bool exports_theater_simple_message_server_client_handle_channel_message(
    theater_bytes_t* maybe_state, exports_theater_simple_message_server_client_tuple2_channel_id_list_u8_t* params,
    TW(tuple1_option_list_u8_t) * ret, theater_string_t* err) {
  State state = detail::TakeState(maybe_state);
  std::string channel = detail::TakeString(params->f0);
  Bytes message = detail::Take(params->f1);
  Status s = detail::TheActor().HandleChannelMessage(state, channel, message);
  if (s.ok()) ret->f0 = detail::GiveState(state);
  return Finish(s, err);
}

bool exports_theater_simple_message_server_client_handle_channel_close(
    theater_bytes_t* maybe_state, exports_theater_simple_message_server_client_tuple1_channel_id_t* params,
    TW(tuple1_option_list_u8_t) * ret, theater_string_t* err) {
  State state = detail::TakeState(maybe_state);
  std::string channel = detail::TakeString(params->f0);
  Status s = detail::TheActor().HandleChannelClose(state, channel);
  if (s.ok()) ret->f0 = detail::GiveState(state);
  return Finish(s, err);
}
#endif

}  // extern "C"
