// How a supervisor's children are restarted when they fail: the settings of its
// `[[handler]] type = "supervisor"` table (see the README for the table of settings).
#pragma once

#include <chrono>
#include <cstdint>

#include <nlohmann/json.hpp>

namespace theater {

struct RestartPolicy {
  enum class Strategy {
    kOneForOne,   // restart the child that failed
    kOneForAll,   // stop every other child, then restart them all
    kRestForOne,  // stop the children started after it, then restart it and them
  };
  Strategy strategy = Strategy::kOneForOne;
  // Intensity: more than `max_restarts` restarts within `window` and the supervisor itself
  // fails (its own supervisor then decides).
  uint32_t max_restarts = 3;
  std::chrono::milliseconds window{5000};
  // Backoff: the first restart in the window is immediate, the n-th waits
  // initial * factor^(n-1), at most `backoff_max`.
  std::chrono::milliseconds backoff_initial{100};
  std::chrono::milliseconds backoff_max{5000};
  double backoff_factor = 2.0;
  // A restarted child starts from its initial state, or from the last state it reached
  // before the failing call.
  bool restart_with_last_good_state = false;
  size_t max_children = 100;

  static RestartPolicy FromSettings(const nlohmann::json& settings);
  // The wait before the restart that follows `earlier` restarts in the window.
  std::chrono::milliseconds Backoff(size_t earlier) const;
};

}  // namespace theater
