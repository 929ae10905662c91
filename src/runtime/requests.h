// Requests in flight: from the moment a request is sent until it is answered, cancelled,
// timed out, or its receiver stops. A timer thread ends requests whose time is up.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/bytes.h"
#include "runtime/envelope.h"

namespace theater {

// How a request ended: a response, or why there is none.
struct RequestResult {
  bool ok = false;
  Bytes response;
  std::string error;
  std::optional<Cause> cause;  // the responder's event, when there is one

  static RequestResult Response(Bytes b, std::optional<Cause> cause) { return {true, std::move(b), "", std::move(cause)}; }
  static RequestResult Error(std::string why, std::optional<Cause> cause = std::nullopt) {
    return {false, {}, std::move(why), std::move(cause)};
  }
};

class RequestTable {
 public:
  using Completion = std::function<void(RequestResult)>;

  RequestTable();
  ~RequestTable();

  // Registers a request from `from` ("" for outside callers) to `to`; `done` is called
  // exactly once, on whatever thread ends the request. A timeout of 0 means none.
  void Add(const std::string& id, const std::string& from, const std::string& to,
           std::chrono::milliseconds timeout, Completion done);
  // Ends a request; false if it had already ended.
  bool Complete(const std::string& id, RequestResult result);
  // The receiver has begun handling it (it may answer it from then on) ...
  void MarkHandling(const std::string& id);
  // ... and returned without answering: the request is parked until answered or cancelled.
  void MarkParked(const std::string& id);
  // True when `to` may answer or cancel the request (it is handling or has parked it).
  bool IsHeldBy(const std::string& id, const std::string& to);
  // The requests `to` has parked.
  std::vector<std::string> ParkedAt(const std::string& to);
  // True while the request has not ended.
  bool Has(const std::string& id);
  // The timeout a request was added with (0: none, or it has ended).
  std::chrono::milliseconds TimeoutOf(const std::string& id);
  // Ends every request to `actor` with `why`, and forgets the ones from it.
  void EndAllOf(const std::string& actor, const std::string& why);
  size_t size();

 private:
  struct Entry {
    std::string from, to;
    Completion done;
    enum class Stage { kQueued, kHandling, kParked } stage = Stage::kQueued;
  };
  void TimerLoop(std::stop_token stop);

  std::mutex mu_;
  std::condition_variable_any cv_;
  std::map<std::string, Entry> entries_;
  using Deadline = std::pair<std::chrono::steady_clock::time_point, std::string>;
  std::priority_queue<Deadline, std::vector<Deadline>, std::greater<>> deadlines_;
  std::map<std::string, std::chrono::milliseconds> timeouts_;
  std::jthread timer_;
};

}  // namespace theater
