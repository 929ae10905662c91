#include "engine/state_call.h"

namespace theater {

ValueList StateCallArgs(const std::optional<Bytes>& state, std::optional<ValueList> params) {
  ValueList args;
  args.push_back(Value::OptionalBytes(state));
  if (params) args.push_back(Value::Tuple(std::move(*params)));
  return args;
}

StateCallOutcome CallWithState(Instance& instance, std::string_view interface, std::string_view function,
                               std::string_view expected_signature, const std::optional<Bytes>& state,
                               std::optional<ValueList> params) {
  ValueList args = StateCallArgs(state, std::move(params));
  return UnpackStateResult(std::string(interface) + "#" + std::string(function),
                           instance.Call(interface, function, args, expected_signature));
}

StateCallOutcome UnpackStateResult(const std::string& name, CallOutcome out) {
  if (!out.ok()) return out.failure();
  auto malformed = [&](const char* what) {
    return Failure{FailureKind::kTypeMismatch, name, std::string("unexpected return value: ") + what, {}};
  };
  // The signature was checked, so the shape holds; stay defensive all the same.
  if (!out.value() || !out.value()->is(Value::Kind::kResult)) return malformed("not a result");
  Value& result = *out.value();
  if (!result.is_ok()) {
    std::string message = result.has_payload() && result.payload().is(Value::Kind::kString)
                              ? result.payload().as_string()
                              : std::string("(no message)");
    return Failure{FailureKind::kGuestError, name, message, {}};
  }
  if (!result.has_payload() || !result.payload().is(Value::Kind::kTuple)) return malformed("ok without a tuple");
  ValueList& items = result.payload().items();
  if (items.empty() || !items[0].is(Value::Kind::kOption)) return malformed("no state in the tuple");

  StateCallResult r;
  if (items[0].has_payload()) r.state = std::move(items[0].payload().as_bytes());
  if (items.size() > 1 && items[1].is(Value::Kind::kTuple)) r.results = std::move(items[1].items());
  return r;
}

}  // namespace theater
