#include "runtime/host_binding.h"

namespace theater {

Status DefineActorFunction(Engine& engine, const std::string& interface, const std::string& function,
                           const std::string& signature, ActorFunction fn, ResultSummary summary) {
  std::string event_type = interface + "/" + function;
  return engine.DefineFunction(
      interface, function, signature,
      [fn = std::move(fn), summary = std::move(summary), event_type](
          void* host_data, std::vector<Value>& args) -> Result<std::optional<Value>> {
        ActorContext& actor = *static_cast<ActorContext*>(host_data);
        ordered_json data = {{"args", ValuesToJson(args)}};
        auto result = fn(actor, args);
        if (!result.ok()) {
          data["error"] = result.error();
        } else if (summary) {
          data["result"] = summary(*result);
        } else {
          data["result"] = *result ? ValueToJson(**result) : ordered_json(nullptr);
        }
        auto recorded = actor.Record(event_type, data);
        if (!recorded.ok()) return Status::Error("could not record the call: " + recorded.error());
        return result;
      });
}

Status DefineSelfRecordingFunction(Engine& engine, const std::string& interface, const std::string& function,
                                   const std::string& signature, ActorFunction fn) {
  return engine.DefineFunction(interface, function, signature,
                               [fn = std::move(fn)](void* host_data, std::vector<Value>& args) {
                                 return fn(*static_cast<ActorContext*>(host_data), args);
                               });
}

Status DefineAsyncActorFunction(Engine& engine, const std::string& interface, const std::string& function,
                                const std::string& signature, AsyncActorFunction fn) {
  return engine.DefineAsyncFunction(interface, function, signature,
                                    [fn = std::move(fn)](void* host_data, std::vector<Value>& args) {
                                      return fn(*static_cast<ActorContext*>(host_data), args);
                                    });
}

}  // namespace theater
