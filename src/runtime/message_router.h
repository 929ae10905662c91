// How an actor's messages find their way: a place in the target's mailbox (MailboxSlot),
// who waits on whom, the tables of requests and channels. messaging.cc (the
// message-server-host functions) sees only this; ActorSystem implements it, and asks its
// RemoteRouter (router.h) for actors that run on other nodes.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>

#include "common/status.h"
#include "runtime/actor.h"
#include "runtime/channels.h"
#include "runtime/envelope.h"
#include "runtime/outside.h"
#include "runtime/requests.h"
#include "runtime/router.h"

namespace theater {

// A reserved place in an actor's mailbox (released unless committed), or a delivery to a
// channel participant outside the system.
class MailboxSlot {
 public:
  explicit MailboxSlot(std::shared_ptr<Actor> target) : target_(std::move(target)) {}
  explicit MailboxSlot(std::shared_ptr<OutsideEndpoint> endpoint) : endpoint_(std::move(endpoint)) {}
  explicit MailboxSlot(std::unique_ptr<RemoteSlot> remote) : remote_(std::move(remote)) {}
  MailboxSlot(MailboxSlot&& other) noexcept = default;
  MailboxSlot& operator=(MailboxSlot&&) = delete;
  ~MailboxSlot() { if (target_) target_->Unreserve(); }
  void Commit(Envelope envelope) {
    if (endpoint_) return std::exchange(endpoint_, nullptr)->Deliver(std::move(envelope));
    if (remote_) return std::exchange(remote_, nullptr)->Commit(std::move(envelope));
    std::exchange(target_, nullptr)->Commit(std::move(envelope));
  }

 private:
  std::shared_ptr<Actor> target_;
  std::shared_ptr<OutsideEndpoint> endpoint_;
  std::unique_ptr<RemoteSlot> remote_;  // an actor on another node
};

class MessageRouter {
 public:
  virtual ~MessageRouter() = default;
  // Checks size, target and room, and holds a place in the target's mailbox (here, or on
  // the node that runs it).
  virtual Result<MailboxSlot> Reserve(const std::string& to, size_t message_bytes) = 0;
  // Like Reserve, for a channel participant: an actor, or an outside endpoint.
  virtual Result<MailboxSlot> ReserveParticipant(const std::string& participant, size_t message_bytes) = 0;
  // Records that `from` waits on `to`; an error if that closes a cycle of waiting actors.
  virtual Status EnterWait(const std::string& from, const std::string& to) = 0;
  virtual void LeaveWait(const std::string& from) = 0;
  virtual RequestTable& requests() = 0;
  virtual ChannelTable& channels() = 0;
  virtual std::chrono::milliseconds request_timeout() const = 0;
  // True when other nodes exist: a request then carries its wait path (Envelope::wait_path).
  virtual bool spans_nodes() const = 0;
};

}  // namespace theater
