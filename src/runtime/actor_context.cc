#include "runtime/actor_context.h"

#include <chrono>

namespace theater {

uint64_t NowMs() {
  using namespace std::chrono;
  return static_cast<uint64_t>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

Status ActorContext::Record(std::string type, const ordered_json& data) {
  auto appended = chain_.Append(std::move(type), ordered_json::to_cbor(data), NowMs());
  return appended.ok() ? Status::Ok() : appended.status();
}

}  // namespace theater
