// The C++ SDK: actors as a class, with std::string / std::vector and no manual memory
// handling. A thin, header-only layer over the C SDK (sdk/c/theater_actor.h) and the
// bindings `wit-bindgen c` generates for a world of wit/worlds.wit; compile with
// -DTHEATER_WORLD=<world with _ for -> and link sdk/cpp/theater_exports.cpp beside your
// code (`theater build` and cmake/GuestActors.cmake do both).
//
//   #include "theater.hpp"
//   class Counter : public theater::Actor {
//     theater::Status HandleRequest(theater::State& state, const std::string& request_id,
//                                   const theater::Bytes& message, theater::Response& response) override {
//       ...; response = theater::ToBytes("ok"); return {};
//     }
//   };
//   THEATER_ACTOR(Counter)
//
// Guests are built with -fno-exceptions: errors are values (theater::Status). A handler
// that returns an error fails the call; the runtime keeps the state from before it.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

extern "C" {
#include "theater_actor.h"
}

namespace theater {

using Bytes = std::vector<uint8_t>;
using State = std::optional<Bytes>;     // the actor's state; nullopt: none
using Response = std::optional<Bytes>;  // a request's answer; nullopt: none (yet)

// Success, or an error with a message (errors are values: guests have no exceptions).
class Status {
 public:
  Status() = default;
  static Status Error(std::string message) { return Status(std::move(message)); }
  bool ok() const { return !error_; }
  const std::string& message() const { return *error_; }

 private:
  explicit Status(std::string message) : error_(std::move(message)) {}
  std::optional<std::string> error_;
};

// A value or an error.
template <class T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}
  Result(Status error) : status_(std::move(error)) {}
  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& operator*() { return *value_; }
  T* operator->() { return &*value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

inline Bytes ToBytes(std::string_view text) { return Bytes(text.begin(), text.end()); }
inline std::string ToString(const Bytes& bytes) { return std::string(bytes.begin(), bytes.end()); }

// How a channel open is answered.
struct ChannelAccept {
  bool accepted = false;
  std::optional<Bytes> message;  // sent back to the opener with the answer
};

namespace detail {

// From the bindings' types. `Take*` frees what it is given (the callee owns its arguments),
// with the bindings' own free functions: an empty list's pointer is not malloc's.
inline Bytes Take(theater_bytes_t& list) {
  Bytes out(list.ptr, list.ptr + list.len);
  TW(list_u8_free)(&list);
  list = {nullptr, 0};
  return out;
}
inline std::string TakeString(theater_string_t& s) {
  std::string out(reinterpret_cast<const char*>(s.ptr), s.len);
  TW(string_free)(&s);
  s = {nullptr, 0};
  return out;
}
inline State TakeState(theater_bytes_t* maybe) { return maybe ? State(Take(*maybe)) : std::nullopt; }

// To the bindings' types: malloc'd copies (the bindings free them after the call).
inline theater_bytes_t Give(const Bytes& b) { return theater_bytes(b.data(), b.size()); }
inline theater_string_t GiveString(std::string_view s) {
  theater_bytes_t b = theater_bytes(s.data(), s.size());
  return {b.ptr, b.len};
}
inline theater_state_t GiveState(const State& s) {
  theater_state_t out{};
  out.is_some = s.has_value();
  if (s) out.val = Give(*s);
  return out;
}
// A borrowed view for an argument the host only reads.
inline theater_string_t Borrow(std::string_view s) {
  return {reinterpret_cast<uint8_t*>(const_cast<char*>(s.data())), s.size()};
}
inline theater_bytes_t BorrowBytes(const Bytes& b) { return {const_cast<uint8_t*>(b.data()), b.size()}; }

}  // namespace detail

// --- Host functions ---------------------------------------------------------------------

// runtime.log: one line in the actor's log and its chain.
inline void Log(std::string_view line) {
  theater_string_t msg = detail::Borrow(line);
  theater_simple_runtime_log(&msg);
}

#ifdef THEATER_EXPORTS_MESSAGE_CLIENT
// message-server-host.send: a one-way message to another actor.
inline Status Send(std::string_view actor_id, const Bytes& message) {
  theater_string_t to = detail::Borrow(actor_id);
  theater_bytes_t msg = detail::BorrowBytes(message);
  theater_string_t err{};
  if (theater_simple_message_server_host_send(&to, &msg, &err)) return {};
  return Status::Error(detail::TakeString(err));
}

// message-server-host.request: asks another actor and waits for its answer.
inline Result<Bytes> Request(std::string_view actor_id, const Bytes& message) {
  theater_string_t to = detail::Borrow(actor_id);
  theater_bytes_t msg = detail::BorrowBytes(message);
  theater_bytes_t answer{};
  theater_string_t err{};
  if (theater_simple_message_server_host_request(&to, &msg, &answer, &err)) return detail::Take(answer);
  return Status::Error(detail::TakeString(err));
}

// message-server-host.send-on-channel.
inline Status SendOnChannel(std::string_view channel_id, const Bytes& message) {
  theater_string_t id = detail::Borrow(channel_id);
  theater_bytes_t msg = detail::BorrowBytes(message);
  theater_string_t err{};
  if (theater_simple_message_server_host_send_on_channel(&id, &msg, &err)) return {};
  return Status::Error(detail::TakeString(err));
}
#endif

// --- The actor --------------------------------------------------------------------------

// Override what the actor handles; the rest keep the state and do nothing (a request is
// left unanswered, a channel refused). Each handler may change `state`.
class Actor {
 public:
  virtual ~Actor() = default;
  // Once, when the actor starts (and after each restart); `self_id` is its own id.
  virtual Status Init(State& state, const std::string& self_id) { return {}; }
  virtual Status HandleSend(State& state, const Bytes& message) { return {}; }
  virtual Status HandleRequest(State& state, const std::string& request_id, const Bytes& message,
                               Response& response) {
    return {};
  }
  virtual Status HandleChannelOpen(State& state, const std::string& channel_id, const Bytes& message,
                                   ChannelAccept& accept) {
    return {};
  }
  virtual Status HandleChannelMessage(State& state, const std::string& channel_id, const Bytes& message) {
    return {};
  }
  virtual Status HandleChannelClose(State& state, const std::string& channel_id) { return {}; }
};

namespace detail {
Actor& TheActor();  // defined by THEATER_ACTOR
}  // namespace detail

}  // namespace theater

// Names the class that is this component's actor (once, in one source file, at namespace
// scope). The alias is looked up where the macro is used, so a class that is itself named
// `Actor` is not mistaken for theater::Actor inside the function.
#define THEATER_ACTOR(Class)                                                                   \
  using TheaterActorClass_ = Class;                                                            \
  static_assert(std::is_base_of_v<theater::Actor, TheaterActorClass_> &&                       \
                    !std::is_same_v<theater::Actor, TheaterActorClass_>,                       \
                "THEATER_ACTOR names a class derived from theater::Actor");                    \
  theater::Actor& theater::detail::TheActor() {                                                \
    static TheaterActorClass_ actor;                                                           \
    return actor;                                                                              \
  }
