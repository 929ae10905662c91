// Which actor waits on which (an actor that made a request waits on its target until the
// answer comes): a request that would close a cycle of waiting actors is refused, since
// none of them could ever answer. In a cluster each request also carries its wait path
// (Envelope::wait_path), which finds cycles through other nodes. Thread-safe.
#pragma once

#include <mutex>
#include <string>
#include <unordered_map>

#include "common/status.h"

namespace theater {

class WaitGraph {
 public:
  // Records that `from` waits on `to`; an error naming the cycle if that closes one.
  Status Enter(const std::string& from, const std::string& to);
  void Leave(const std::string& from);

 private:
  std::mutex mu_;
  std::unordered_map<std::string, std::string> waiting_on_;  // requester -> the actor it waits on
};

}  // namespace theater
