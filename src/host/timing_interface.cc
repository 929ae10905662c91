#include "host/timing_interface.h"

#include "runtime/host_services.h"
#include "runtime/timer_queue.h"
#include "runtime/host_binding.h"

namespace theater::host {
namespace {

constexpr char kTiming[] = "theater:simple/timing";
constexpr uint64_t kDefaultMaxSleepMs = 3'600'000;  // an hour

using Args = std::vector<Value>;

Value Err(const std::string& why) { return Value::Err(Value::String(why)); }

// Waits `ms` without holding a thread: the call resumes when the system's timer fires.
Result<HostReturn> SleepFor(ActorContext& actor, const char* function, uint64_t ms, ordered_json args) {
  const nlohmann::json* settings = actor.permissions().Settings("timing");
  uint64_t max = settings ? settings->value("max_sleep_duration", kDefaultMaxSleepMs) : kDefaultMaxSleepMs;
  uint64_t min = settings ? settings->value("min_sleep_duration", uint64_t{0}) : 0;
  std::string type = std::string(kTiming) + "/" + function;
  auto refuse = [&](const std::string& why) {
    actor.Record(type, {{"args", args}, {"result", {{"err", why}}}});
    return HostReturn::Now(Err(why));
  };
  if (ms > max) return refuse("sleeping " + std::to_string(ms) + " ms is longer than max_sleep_duration (" + std::to_string(max) + " ms)");
  if (ms < min) return refuse("sleeping " + std::to_string(ms) + " ms is shorter than min_sleep_duration (" + std::to_string(min) + " ms)");
  auto call = std::make_shared<AwaitedCall>(type, ordered_json{{"ms", ms}});
  actor.Record(type, {{"args", args}});
  actor.ReleaseEffects();  // the actor waits now: what it has done so far goes out
  actor.Await(call);
  actor.services().timers().After(std::chrono::milliseconds(ms),
                                [call] { call->Complete(Value::Ok(), {{"ok", nullptr}}, std::nullopt); });
  return HostReturn::Later(call->op());
}

}  // namespace

Status DefineTimingInterface(Engine& engine) {
  THEATER_RETURN_IF_ERROR(DefineActorFunction(engine, kTiming, "now", "func() -> u64",
                                              [](ActorContext&, Args&) -> Result<std::optional<Value>> {
                                                return std::optional<Value>(Value::U64(NowMs()));
                                              }));
  THEATER_RETURN_IF_ERROR(DefineAsyncActorFunction(
      engine, kTiming, "sleep", "func(u64) -> result<_, string>", [](ActorContext& a, Args& args) {
        uint64_t ms = args.at(0).as_unsigned();
        return SleepFor(a, "sleep", ms, ordered_json::array({ms}));
      }));
  return DefineAsyncActorFunction(
      engine, kTiming, "deadline", "func(u64) -> result<_, string>", [](ActorContext& a, Args& args) {
        uint64_t until = args.at(0).as_unsigned(), now = NowMs();
        // The time it was asked at is a host input too: it decides how long the wait is.
        return SleepFor(a, "deadline", until > now ? until - now : 0, ordered_json::array({until}));
      });
}

}  // namespace theater::host
