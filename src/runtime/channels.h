// Open channels and their participants. A channel is opened by one actor towards another;
// it exists (and messages flow) once the target has accepted it.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace theater {

class ChannelTable {
 public:
  struct Channel {
    std::string id;
    std::vector<std::string> participants;  // actor ids; the opener first
    bool open = false;                       // accepted by the target
  };

  // Records a channel being opened (not usable until Accept).
  void Propose(const std::string& id, const std::string& opener, const std::string& target);
  void Accept(const std::string& id);
  // Forgets a channel; returns it as it was.
  std::optional<Channel> Remove(const std::string& id);
  std::optional<Channel> Get(const std::string& id);
  // The channels `actor` takes part in.
  std::vector<std::string> ChannelsOf(const std::string& actor);
  size_t size();

 private:
  std::mutex mu_;
  std::map<std::string, Channel> channels_;
};

}  // namespace theater
