// Channels that clients of the server take part in. Each channel opened by a client gets
// its own outside participant (runtime/outside.h); what the actor sends on it goes to the
// connection that opened it, and any authenticated client may send on it or close it by
// its id. When the opening connection goes, its channels close.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "runtime/actor_system.h"

namespace theater::server {

class Connection;

class ChannelRegistry {
 public:
  explicit ChannelRegistry(ActorSystem& system) : system_(system) {}

  // A participant for a channel that `owner` is opening; returns its endpoint id.
  std::string NewParticipant(const std::shared_ptr<Connection>& owner);
  void Opened(const std::string& channel_id, const std::string& endpoint_id, std::weak_ptr<Connection> owner);
  struct Participant {
    std::string endpoint_id;
    std::weak_ptr<Connection> owner;  // the connection that opened the channel
  };
  // The participant of an open channel, if a client has one.
  std::optional<Participant> ParticipantOf(const std::string& channel_id);
  // The channel closed (from either side): forget it.
  void Closed(const std::string& channel_id);
  // The participant goes (its connection closed, or its open failed): its channels close.
  void Drop(const std::string& endpoint_id);

 private:
  ActorSystem& system_;
  std::mutex mu_;
  std::map<std::string, Participant> endpoints_;  // channel id -> its client participant
};

}  // namespace theater::server
