#include "server/log_throttle.h"

#include <vector>

#include "common/bytes.h"

namespace theater::server {

LogThrottle::LogThrottle(Limits limits, std::function<void(const std::string&)> write)
    : limits_(limits), write_(std::move(write)) {}

void LogThrottle::Line(const std::string& actor_id, const std::string& text, Clock::time_point now) {
  std::vector<std::string> out;
  {
    std::lock_guard lock(mu_);
    Forget(now);
    Window& w = windows_[actor_id];
    if (now - w.start >= std::chrono::seconds(1)) {
      if (w.held_lines > 0)
        out.push_back("[" + actor_id + "] \u2026 " + std::to_string(w.held_lines) + " log lines (" +
                      std::to_string(w.held_bytes) + " bytes) not shown here; its chain has them");
      w = Window{now};
    }
    if (w.lines + 1 > limits_.lines_per_second || w.bytes + text.size() > limits_.bytes_per_second) {
      ++w.held_lines;
      w.held_bytes += text.size();
    } else {
      ++w.lines;
      w.bytes += text.size();
      out.push_back("[" + actor_id + "] " + EscapeForLog(text, limits_.max_line_bytes));
    }
  }
  for (const auto& line : out) write_(line);
}

void LogThrottle::Forget(Clock::time_point now) {
  // At most once a minute, windows idle for a minute go: the map stays as small as the
  // set of actors that logged lately.
  if (now - last_sweep_ < std::chrono::minutes(1)) return;
  last_sweep_ = now;
  for (auto it = windows_.begin(); it != windows_.end();) {
    if (now - it->second.start >= std::chrono::minutes(1) && it->second.held_lines == 0) it = windows_.erase(it);
    else ++it;
  }
}

}  // namespace theater::server
