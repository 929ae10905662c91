// The contract's calling convention for actor exports (contract/theater-simple.md):
//   f(state: option<list<u8>>, params: tuple<P...>) -> result<tuple<option<list<u8>>[, tuple<R...>]>, string>
// CallWithState passes the state and the parameters, and unpacks the new state, the results
// and a guest `err(...)` (reported as a guest-error failure).
#pragma once

#include <optional>
#include <string_view>
#include <variant>

#include "common/bytes.h"
#include "engine/instance.h"

namespace theater {

struct StateCallResult {
  std::optional<Bytes> state;  // the new state (none clears it)
  ValueList results;           // the items of the results tuple (empty when there is none)
};

class StateCallOutcome {
 public:
  StateCallOutcome(StateCallResult r) : v_(std::move(r)) {}  // NOLINT
  StateCallOutcome(Failure f) : v_(std::move(f)) {}          // NOLINT
  bool ok() const { return v_.index() == 0; }
  StateCallResult& value() { return std::get<0>(v_); }
  const Failure& failure() const { return std::get<1>(v_); }

 private:
  std::variant<StateCallResult, Failure> v_;
};

// The arguments of such a call. `params` are the items of the params tuple; nullopt when
// the export takes the state only (the later shape of `actor.init`).
ValueList StateCallArgs(const std::optional<Bytes>& state, std::optional<ValueList> params);
// Unpacks the return value of `function` (or passes its failure on).
StateCallOutcome UnpackStateResult(const std::string& function, CallOutcome out);

// StateCallArgs + a blocking Instance::Call + UnpackStateResult.
StateCallOutcome CallWithState(Instance& instance, std::string_view interface, std::string_view function,
                               std::string_view expected_signature, const std::optional<Bytes>& state,
                               std::optional<ValueList> params);

}  // namespace theater
