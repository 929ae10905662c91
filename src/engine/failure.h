// Why a call into an actor failed, classified for people.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace theater {

enum class FailureKind {
  kOutOfFuel,         // used up its fuel for the call
  kDeadlineExceeded,  // ran past the call's wall-clock deadline
  kOutOfMemory,       // tried to grow memory or a table past its limit
  kStackOverflow,     // wasm call stack exhausted
  kTrap,              // any other trap (unreachable, out-of-bounds access, ...)
  kGuestError,        // the export returned err(...)
  kMissingExport,     // the component does not export the function
  kTypeMismatch,      // the export's signature is not the contract's
  kHostError,         // a host function failed (the call was aborted)
  kInstantiation,     // the component could not be instantiated
  kTerminated,        // stopped from outside while it ran
  kRestartIntensity,  // a supervisor whose children failed too often gave up
  kLimitExceeded,     // went past one of its limits (log bytes per turn, chain size)
};

// "out-of-fuel", "deadline-exceeded", ... (stable names, used in JSON and the chain).
std::string_view FailureKindName(FailureKind kind);

struct Failure {
  FailureKind kind = FailureKind::kTrap;
  std::string function;                // "theater:simple/actor#init"
  std::string message;                 // one line: the trap message or the guest's error
  std::vector<std::string> backtrace;  // wasm frames, innermost first ("module!function")

  // "out-of-fuel in theater:simple/actor#init: all fuel consumed by WebAssembly"
  std::string Describe() const;
};

}  // namespace theater
