// @NAME@: a Theater actor in C++, made by `theater new`, written with the C++ SDK
// (theater/sdk/theater.hpp). It answers each request with a greeting and counts the
// requests in its state (the count as decimal text).
//   handle-request  "TEXT" -> "Hello from @NAME@: TEXT (request N)"
//   handle-send     "TEXT" -> logged, no answer
#include <cstdlib>
#include <string>

#include "theater.hpp"

namespace {

long CountIn(const theater::State& state) {
  return state ? std::strtol(theater::ToString(*state).c_str(), nullptr, 10) : 0;
}

class Actor : public theater::Actor {
 public:
  theater::Status Init(theater::State& state, const std::string& self_id) override {
    theater::Log("@NAME@ started as " + self_id);
    state = theater::ToBytes(std::to_string(CountIn(state)));
    return {};
  }

  theater::Status HandleSend(theater::State& state, const theater::Bytes& message) override {
    theater::Log("note: " + theater::ToString(message));
    return {};
  }

  theater::Status HandleRequest(theater::State& state, const std::string& request_id, const theater::Bytes& message,
                                theater::Response& response) override {
    long count = CountIn(state) + 1;
    state = theater::ToBytes(std::to_string(count));
    response = theater::ToBytes("Hello from @NAME@: " + theater::ToString(message) + " (request " +
                                std::to_string(count) + ")");
    return {};
  }
};

}  // namespace

THEATER_ACTOR(Actor)
