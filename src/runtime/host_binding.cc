#include "runtime/host_binding.h"

#include "runtime/contract.h"

namespace theater {
namespace {

// Every host call is checked against the caller's permissions (an actor's imports were
// checked when it started; this holds even if that check is ever bypassed). A denied call
// is recorded, and the actor gets err(...) where the signature has room for it, else the
// call fails.
class Guard {
 public:
  Guard(const std::string& interface, const std::string& function, const std::string& signature)
      : event_type_(interface + "/" + function) {
    auto handler = contract::HandlerForInterface(interface);
    handler_ = handler ? *handler : "";
    constexpr std::string_view kErrorString = ", string>";
    returns_error_ = signature.find("-> result<") != std::string::npos && signature.size() > kErrorString.size() &&
                     signature.compare(signature.size() - kErrorString.size(), kErrorString.size(), kErrorString) == 0;
  }

  // The answer to a denied call, or nullopt when the call may go ahead.
  std::optional<Result<std::optional<Value>>> Check(ActorContext& actor, const std::vector<Value>& args) const {
    if (handler_.empty() || actor.permissions().Allows(handler_)) return std::nullopt;
    std::string why = "permission denied: this actor has no `" + handler_ + "` handler";
    actor.Record(event_type_, {{"args", ValuesToJson(args)}, {"denied", why}});
    if (returns_error_) return Result<std::optional<Value>>(std::optional<Value>(Value::Err(Value::String(why))));
    return Result<std::optional<Value>>(Status::Error(why));
  }

  const std::string& event_type() const { return event_type_; }

 private:
  std::string event_type_;
  std::string handler_;
  bool returns_error_ = false;
};

}  // namespace

uint64_t ArgsBytes(const std::vector<Value>& args) {
  Bytes encoded;
  CborWriter w(encoded);
  WriteValues(w, args);
  return encoded.size();
}

Status DefineActorFunction(Engine& engine, const std::string& interface, const std::string& function,
                           const std::string& signature, ActorFunction fn, ResultSummary summary,
                           ArgsCheck check) {
  Guard guard(interface, function, signature);
  return engine.DefineFunction(
      interface, function, signature,
      [fn = std::move(fn), summary = std::move(summary), check = std::move(check), guard](
          void* host_data, std::vector<Value>& args) -> Result<std::optional<Value>> {
        ActorContext& actor = *static_cast<ActorContext*>(host_data);
        if (auto denied = guard.Check(actor, args)) return std::move(*denied);
        if (check) {
          if (Status s = check(actor, args); !s.ok()) {
            actor.Record(guard.event_type(), {{"args_bytes", ArgsBytes(args)}, {"error", s.message()}});
            return s;
          }
        }
        actor.TakeDenial();
        auto result = fn(actor, args);
        auto denied = actor.TakeDenial();
        // {"args", ["denied"], "error" | "result"}, written without a JSON tree: arguments
        // and results may be large (file contents, payloads).
        EventWriter event;  // large byte strings by reference, into `args` and `result`
        CborWriter& w = event.w;
        w.Map(denied ? 3 : 2);
        w.Key("args");
        WriteValues(w, args);
        if (denied) {
          w.Key("denied");
          w.Text(*denied);
        }
        if (!result.ok()) {
          w.Key("error");
          w.Text(result.error());
        } else if (summary) {
          w.Key("result");
          w.Raw(ordered_json::to_cbor(summary(*result)));
        } else {
          w.Key("result");
          if (*result) WriteValue(w, **result);
          else w.Null();
        }
        auto recorded = actor.RecordRaw(guard.event_type(), std::move(event.data), event.refs);
        if (!recorded.ok()) return Status::Error("could not record the call: " + recorded.error());
        actor.ReleaseEffectsIfMany();
        return result;
      });
}

Status DefineSelfRecordingFunction(Engine& engine, const std::string& interface, const std::string& function,
                                   const std::string& signature, ActorFunction fn) {
  Guard guard(interface, function, signature);
  return engine.DefineFunction(interface, function, signature,
                               [fn = std::move(fn), guard](void* host_data, std::vector<Value>& args) {
                                 ActorContext& actor = *static_cast<ActorContext*>(host_data);
                                 if (auto denied = guard.Check(actor, args)) return std::move(*denied);
                                 auto result = fn(actor, args);
                                 actor.ReleaseEffectsIfMany();
                                 return result;
                               });
}

Status DefineAsyncActorFunction(Engine& engine, const std::string& interface, const std::string& function,
                                const std::string& signature, AsyncActorFunction fn) {
  Guard guard(interface, function, signature);
  return engine.DefineAsyncFunction(
      interface, function, signature,
      [fn = std::move(fn), guard](void* host_data, std::vector<Value>& args) -> Result<HostReturn> {
        ActorContext& actor = *static_cast<ActorContext*>(host_data);
        if (auto denied = guard.Check(actor, args)) {
          if (!denied->ok()) return denied->status();
          return HostReturn::Now(std::move(**denied));
        }
        auto result = fn(actor, args);
        actor.ReleaseEffectsIfMany();
        return result;
      });
}

}  // namespace theater
