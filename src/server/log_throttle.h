// The server's log of what actors say (runtime.log): every line escaped and cut to a
// readable length, and at most so many lines and bytes per actor per second. The chain
// keeps every line; the server's log is for its operator, and one actor must not be able
// to flood it (or the disk under it). What is held back is counted and said once the
// actor's next second begins.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

namespace theater::server {

class LogThrottle {
 public:
  struct Limits {
    size_t lines_per_second = 200;
    size_t bytes_per_second = 256 << 10;
    size_t max_line_bytes = 4096;  // longer lines are cut (the chain has them whole)
  };
  using Clock = std::chrono::steady_clock;

  explicit LogThrottle(std::function<void(const std::string&)> write) : LogThrottle(Limits{}, std::move(write)) {}
  LogThrottle(Limits limits, std::function<void(const std::string&)> write);

  // A line logged by `actor_id`; written through `write` as "[ID] text", or held back.
  void Line(const std::string& actor_id, const std::string& text, Clock::time_point now = Clock::now());

 private:
  struct Window {
    Clock::time_point start;
    size_t lines = 0, bytes = 0;
    size_t held_lines = 0, held_bytes = 0;
  };
  void Forget(Clock::time_point now);  // drops windows that ended long ago

  Limits limits_;
  std::function<void(const std::string&)> write_;
  std::mutex mu_;
  std::unordered_map<std::string, Window> windows_;
  Clock::time_point last_sweep_{};
};

}  // namespace theater::server
