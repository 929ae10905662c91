#include "runtime/requests.h"

namespace theater {

RequestTable::RequestTable() {
  timer_ = std::jthread([this](std::stop_token stop) { TimerLoop(stop); });
}

RequestTable::~RequestTable() {
  timer_.request_stop();
  cv_.notify_all();
  timer_.join();
  EndAllOf("", "the actor system is shutting down");
  std::map<std::string, Entry> left;
  {
    std::lock_guard lock(mu_);
    left.swap(entries_);
  }
  for (auto& [id, e] : left) e.done(RequestResult::Error("the actor system is shutting down"));
}

void RequestTable::Add(const std::string& id, const std::string& from, const std::string& to,
                       std::chrono::milliseconds timeout, Completion done) {
  bool earliest = false;
  {
    std::lock_guard lock(mu_);
    entries_[id] = Entry{from, to, std::move(done)};
    if (timeout.count() > 0) {
      auto deadline = std::chrono::steady_clock::now() + timeout;
      earliest = deadlines_.empty() || deadline < deadlines_.top().first;
      deadlines_.push({deadline, id});
      timeouts_[id] = timeout;
    }
  }
  // The timer sleeps until the earliest deadline: wake it only when that changes.
  if (earliest) cv_.notify_all();
}

bool RequestTable::Has(const std::string& id) {
  std::lock_guard lock(mu_);
  return entries_.count(id) > 0;
}

std::chrono::milliseconds RequestTable::TimeoutOf(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = timeouts_.find(id);
  return it == timeouts_.end() ? std::chrono::milliseconds(0) : it->second;
}

bool RequestTable::Complete(const std::string& id, RequestResult result) {
  Completion done;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(id);
    if (it == entries_.end()) return false;
    done = std::move(it->second.done);
    entries_.erase(it);
    timeouts_.erase(id);
  }
  done(std::move(result));
  return true;
}

void RequestTable::MarkHandling(const std::string& id) {
  std::lock_guard lock(mu_);
  if (auto it = entries_.find(id); it != entries_.end()) it->second.stage = Entry::Stage::kHandling;
}

void RequestTable::MarkParked(const std::string& id) {
  std::lock_guard lock(mu_);
  if (auto it = entries_.find(id); it != entries_.end()) it->second.stage = Entry::Stage::kParked;
}

bool RequestTable::IsHeldBy(const std::string& id, const std::string& to) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  return it != entries_.end() && it->second.to == to && it->second.stage != Entry::Stage::kQueued;
}

std::vector<std::string> RequestTable::ParkedAt(const std::string& to) {
  std::lock_guard lock(mu_);
  std::vector<std::string> ids;
  for (const auto& [id, e] : entries_)
    if (e.to == to && e.stage == Entry::Stage::kParked) ids.push_back(id);
  return ids;
}

void RequestTable::EndAllOf(const std::string& actor, const std::string& why) {
  std::vector<Completion> ended;
  {
    std::lock_guard lock(mu_);
    for (auto it = entries_.begin(); it != entries_.end();) {
      if (!actor.empty() && it->second.to == actor) {
        ended.push_back(std::move(it->second.done));
        timeouts_.erase(it->first);
        it = entries_.erase(it);
      } else if (!actor.empty() && it->second.from == actor) {
        // Nobody is left to hear the answer.
        timeouts_.erase(it->first);
        it = entries_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& done : ended) done(RequestResult::Error(why));
}

size_t RequestTable::size() {
  std::lock_guard lock(mu_);
  return entries_.size();
}

void RequestTable::TimerLoop(std::stop_token stop) {
  std::unique_lock lock(mu_);
  while (!stop.stop_requested()) {
    if (deadlines_.empty()) {
      cv_.wait(lock, stop, [this] { return !deadlines_.empty(); });
      continue;
    }
    auto next = deadlines_.top().first;
    if (std::chrono::steady_clock::now() < next) {
      cv_.wait_until(lock, stop, next, [&] { return !deadlines_.empty() && deadlines_.top().first < next; });
      continue;
    }
    std::string id = deadlines_.top().second;
    deadlines_.pop();
    auto it = entries_.find(id);
    if (it == entries_.end()) continue;  // already ended
    Completion done = std::move(it->second.done);
    std::string to = it->second.to;
    auto timeout = timeouts_[id];
    entries_.erase(it);
    timeouts_.erase(id);
    lock.unlock();
    done(RequestResult::Error("request to " + to + " timed out after " + std::to_string(timeout.count()) + " ms"));
    lock.lock();
  }
}

}  // namespace theater
