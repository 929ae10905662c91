#include "server/channel_registry.h"

#include "server/connection.h"

namespace theater::server {
namespace {

// Hands what the actor sends on the channel to the connection that opened it.
class ClientParticipant : public OutsideEndpoint {
 public:
  ClientParticipant(std::weak_ptr<Connection> owner, ChannelRegistry* registry)
      : owner_(std::move(owner)), registry_(registry) {}

  void Deliver(Envelope envelope) override {
    auto owner = owner_.lock();
    if (envelope.kind == Envelope::Kind::kChannelClose) {
      registry_->Closed(envelope.id);
      if (owner) owner->Send(Response("ChannelClosed", {{"channel_id", envelope.id}, {"by", "actor"}}));
      return;
    }
    if (envelope.kind != Envelope::Kind::kChannelMessage || !owner) return;
    owner->Send(Response("ChannelMessage", {{"channel_id", envelope.id}, {"message", owner->BytesJson(envelope.payload)}}));
  }

 private:
  std::weak_ptr<Connection> owner_;
  ChannelRegistry* registry_;
};

}  // namespace

std::string ChannelRegistry::NewParticipant(const std::shared_ptr<Connection>& owner) {
  return system_.AddEndpoint(std::make_shared<ClientParticipant>(owner, this));
}

void ChannelRegistry::Opened(const std::string& channel_id, const std::string& endpoint_id,
                             std::weak_ptr<Connection> owner) {
  std::lock_guard lock(mu_);
  endpoints_[channel_id] = Participant{endpoint_id, std::move(owner)};
}

std::optional<ChannelRegistry::Participant> ChannelRegistry::ParticipantOf(const std::string& channel_id) {
  std::lock_guard lock(mu_);
  auto it = endpoints_.find(channel_id);
  if (it == endpoints_.end()) return std::nullopt;
  return it->second;
}

void ChannelRegistry::Closed(const std::string& channel_id) {
  std::string endpoint_id;
  {
    std::lock_guard lock(mu_);
    auto it = endpoints_.find(channel_id);
    if (it == endpoints_.end()) return;
    endpoint_id = it->second.endpoint_id;
    endpoints_.erase(it);
  }
  system_.RemoveEndpoint(endpoint_id);  // one participant per channel: it has nothing left
}

void ChannelRegistry::Drop(const std::string& endpoint_id) {
  {
    std::lock_guard lock(mu_);
    for (auto it = endpoints_.begin(); it != endpoints_.end();)
      it = it->second.endpoint_id == endpoint_id ? endpoints_.erase(it) : std::next(it);
  }
  system_.RemoveEndpoint(endpoint_id);
}

}  // namespace theater::server
