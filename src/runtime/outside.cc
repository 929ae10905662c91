// ActorSystem's outside: channel participants that are not actors, and chain observers.
#include <algorithm>

#include "common/uuid.h"
#include "runtime/actor_system.h"

namespace theater {

std::string ActorSystem::AddEndpoint(std::shared_ptr<OutsideEndpoint> endpoint) {
  std::string id = std::string(kOutsidePrefix) + NewUuidV4();
  endpoints_.Add(id, std::move(endpoint));
  return id;
}

void ActorSystem::LeaveChannels(const std::string& participant_id) {
  for (const std::string& channel_id : channels_.ChannelsOf(participant_id)) {
    auto channel = channels_.Remove(channel_id);
    if (!channel || !channel->open) continue;
    for (const std::string& participant : channel->participants) {
      if (participant == participant_id) continue;
      if (auto slot = ReserveParticipant(participant, 0); slot.ok())
        slot->Commit(Envelope{Envelope::Kind::kChannelClose, {}, channel_id, std::nullopt});
    }
  }
}

void ActorSystem::RemoveEndpoint(const std::string& endpoint_id) {
  LeaveChannels(endpoint_id);
  endpoints_.Remove(endpoint_id);
}

Result<MailboxSlot> ActorSystem::ReserveParticipant(const std::string& participant, size_t message_bytes) {
  if (!IsOutsideId(participant)) return Reserve(participant, message_bytes);
  if (message_bytes > options_.max_message_bytes)
    return Status::Error("message of " + std::to_string(message_bytes) + " bytes is larger than the limit of " +
                         std::to_string(options_.max_message_bytes) + " bytes");
  auto endpoint = endpoints_.Find(participant);
  if (!endpoint) return Status::Error("no participant " + participant);
  return MailboxSlot(std::move(endpoint));
}

Status ActorSystem::CallExport(const std::string& to, std::shared_ptr<ExportCall> call) {
  auto actor = Find(to);
  if (!actor) return NoSuchActor(to);
  if (!actor->Exports(call->interface))
    return Status::Error("actor " + to + " does not export " + call->interface);
  Envelope envelope{Envelope::Kind::kExport, {}, "", std::nullopt};
  envelope.export_call = std::move(call);
  return actor->Enqueue(std::move(envelope), options_.mailbox_capacity);
}

void ActorSystem::OpenChannelFrom(const std::string& endpoint_id, const std::string& target, Bytes initial_message,
                                  RequestTable::Completion done) {
  if (!endpoints_.Contains(endpoint_id)) return done(RequestResult::Error("no participant " + endpoint_id));
  auto slot = Reserve(target, initial_message.size());
  if (!slot.ok()) return done(RequestResult::Error(slot.error()));
  std::string channel_id = NewUuidV4();
  channels_.Propose(channel_id, endpoint_id, target);
  requests_->Add(channel_id, "", target, options_.request_timeout,
                 [this, channel_id, done = std::move(done)](RequestResult r) {
                   if (!r.ok) channels_.Remove(channel_id);
                   done(std::move(r));
                 });
  slot->Commit(Envelope{Envelope::Kind::kChannelOpen, std::move(initial_message), channel_id, std::nullopt});
}

Status ActorSystem::SendOnChannelFrom(const std::string& endpoint_id, const std::string& channel_id, Bytes message) {
  auto channel = channels_.Get(channel_id);
  if (!channel || !channel->open) return Status::Error("no open channel " + channel_id);
  if (std::find(channel->participants.begin(), channel->participants.end(), endpoint_id) == channel->participants.end())
    return Status::Error("not a participant of channel " + channel_id);
  std::vector<MailboxSlot> slots;
  for (const auto& p : channel->participants) {
    if (p == endpoint_id) continue;
    auto slot = ReserveParticipant(p, message.size());
    if (!slot.ok()) return slot.status();
    slots.push_back(std::move(*slot));
  }
  for (auto& slot : slots) slot.Commit(Envelope{Envelope::Kind::kChannelMessage, message, channel_id, std::nullopt});
  return Status::Ok();
}

Status ActorSystem::CloseChannelFrom(const std::string& endpoint_id, const std::string& channel_id) {
  auto channel = channels_.Get(channel_id);
  if (!channel || !channel->open ||
      std::find(channel->participants.begin(), channel->participants.end(), endpoint_id) == channel->participants.end())
    return Status::Error("no open channel " + channel_id + " of this participant");
  channels_.Remove(channel_id);
  for (const auto& p : channel->participants) {
    if (p == endpoint_id) continue;
    if (auto slot = ReserveParticipant(p, 0); slot.ok())
      slot->Commit(Envelope{Envelope::Kind::kChannelClose, {}, channel_id, std::nullopt});
  }
  return Status::Ok();
}

Status ActorSystem::Restart(const std::string& id) {
  auto actor = Find(id);
  if (!actor) return NoSuchActor(id);
  if (shutting_down_) return Status::Error("the actor system is shutting down");
  RestartNow(actor, "restarted from outside");
  return Status::Ok();
}

Result<uint64_t> ActorSystem::Observe(const std::string& actor_id, EventObserver observer) {
  if (!Find(actor_id)) return NoSuchActor(actor_id);
  return observers_.Add(actor_id, std::move(observer));
}

void ActorSystem::StopObserving(uint64_t token) { observers_.Remove(token); }

}  // namespace theater
