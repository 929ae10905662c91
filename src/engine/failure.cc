#include "engine/failure.h"

namespace theater {

std::string_view FailureKindName(FailureKind kind) {
  switch (kind) {
    case FailureKind::kOutOfFuel: return "out-of-fuel";
    case FailureKind::kDeadlineExceeded: return "deadline-exceeded";
    case FailureKind::kOutOfMemory: return "out-of-memory";
    case FailureKind::kStackOverflow: return "stack-overflow";
    case FailureKind::kTrap: return "trap";
    case FailureKind::kGuestError: return "guest-error";
    case FailureKind::kMissingExport: return "missing-export";
    case FailureKind::kTypeMismatch: return "type-mismatch";
    case FailureKind::kHostError: return "host-error";
    case FailureKind::kInstantiation: return "instantiation-failed";
    case FailureKind::kTerminated: return "terminated";
    case FailureKind::kRestartIntensity: return "restart-intensity-exceeded";
    case FailureKind::kLimitExceeded: return "limit-exceeded";
  }
  return "unknown";
}

std::string Failure::Describe() const {
  std::string out(FailureKindName(kind));
  if (!function.empty()) out += " in " + function;
  if (!message.empty()) out += ": " + message;
  return out;
}

}  // namespace theater
