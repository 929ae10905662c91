#include "runtime/restart_policy.h"

#include <algorithm>
#include <cmath>

namespace theater {

RestartPolicy RestartPolicy::FromSettings(const nlohmann::json& s) {
  RestartPolicy p;
  std::string strategy = s.value("strategy", "one-for-one");
  p.strategy = strategy == "one-for-all"    ? Strategy::kOneForAll
               : strategy == "rest-for-one" ? Strategy::kRestForOne
                                            : Strategy::kOneForOne;
  p.max_restarts = s.value("max_restarts", p.max_restarts);
  p.window = std::chrono::milliseconds(s.value("restart_window_ms", static_cast<int64_t>(p.window.count())));
  p.backoff_initial =
      std::chrono::milliseconds(s.value("backoff_initial_ms", static_cast<int64_t>(p.backoff_initial.count())));
  p.backoff_max = std::chrono::milliseconds(s.value("backoff_max_ms", static_cast<int64_t>(p.backoff_max.count())));
  p.backoff_factor = s.value("backoff_factor", p.backoff_factor);
  p.restart_with_last_good_state = s.value("restart_state", "init") == "last-good";
  p.max_children = s.value("max_children", p.max_children);
  return p;
}

std::chrono::milliseconds RestartPolicy::Backoff(size_t earlier) const {
  if (earlier == 0) return std::chrono::milliseconds(0);
  double ms = backoff_initial.count() * std::pow(backoff_factor, static_cast<double>(earlier - 1));
  return std::chrono::milliseconds(static_cast<int64_t>(std::min(ms, static_cast<double>(backoff_max.count()))));
}

}  // namespace theater
