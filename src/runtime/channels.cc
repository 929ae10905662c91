#include "runtime/channels.h"

#include <algorithm>

namespace theater {

void ChannelTable::Propose(const std::string& id, const std::string& opener, const std::string& target) {
  std::lock_guard lock(mu_);
  channels_[id] = Channel{id, {opener, target}, false};
}

void ChannelTable::Accept(const std::string& id) {
  std::lock_guard lock(mu_);
  if (auto it = channels_.find(id); it != channels_.end()) it->second.open = true;
}

std::optional<ChannelTable::Channel> ChannelTable::Remove(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = channels_.find(id);
  if (it == channels_.end()) return std::nullopt;
  Channel c = std::move(it->second);
  channels_.erase(it);
  return c;
}

std::optional<ChannelTable::Channel> ChannelTable::Get(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = channels_.find(id);
  if (it == channels_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> ChannelTable::ChannelsOf(const std::string& actor) {
  std::lock_guard lock(mu_);
  std::vector<std::string> ids;
  for (const auto& [id, c] : channels_)
    if (std::find(c.participants.begin(), c.participants.end(), actor) != c.participants.end()) ids.push_back(id);
  return ids;
}

size_t ChannelTable::size() {
  std::lock_guard lock(mu_);
  return channels_.size();
}

}  // namespace theater
