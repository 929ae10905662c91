#include "runtime/messaging.h"

#include "common/uuid.h"
#include "runtime/message_router.h"
#include "runtime/contract.h"

namespace theater::messaging {
namespace {

std::string EventType(const char* function) { return std::string(contract::kMessageHost) + "/" + function; }

Value OkValue() { return Value::Ok(); }

// Delivers `envelope` once the turn's events are written (ActorContext::ReleaseEffects).
void Defer(ActorContext& from, MailboxSlot slot, Envelope envelope) {
  auto held = std::make_shared<MailboxSlot>(std::move(slot));
  from.Defer([held, envelope = std::move(envelope)]() mutable { held->Commit(std::move(envelope)); });
}
Value ErrValue(const std::string& why) { return Value::Err(Value::String(why)); }

// Records the call with its outcome and returns the WIT value for it.
Value Finish(ActorContext& from, const char* function, ordered_json args, const Status& outcome) {
  ordered_json data = {{"args", std::move(args)}};
  data["result"] = outcome.ok() ? ordered_json{{"ok", nullptr}} : ordered_json{{"err", outcome.message()}};
  from.Record(EventType(function), data);
  return outcome.ok() ? OkValue() : ErrValue(outcome.message());
}

}  // namespace

Value Send(ActorContext& from, const std::string& to, Bytes message) {
  auto slot = from.router().Reserve(to, message.size());
  if (!slot.ok()) return Finish(from, "send", ordered_json{to, BytesToJson(message)}, slot.status());
  // {"args": [to, message], "result": {"ok": null}}, written without a JSON tree.
  EventWriter event;  // a large message by reference
  CborWriter& w = event.w;
  w.Map(2);
  w.Key("args");
  w.Array(2);
  w.Text(to);
  w.ByteString(message);
  w.Key("result");
  w.Map(1);
  w.Key("ok");
  w.Null();
  auto recorded = from.RecordRaw(EventType("send"), std::move(event.data), event.refs);
  if (!recorded.ok()) return ErrValue(recorded.error());
  Defer(from, std::move(*slot), Envelope{Envelope::Kind::kSend, std::move(message), "", Cause{from.id(), *recorded}});
  return OkValue();
}

HostReturn Request(ActorContext& from, const std::string& to, Bytes message) {
  MessageRouter& router = from.router();
  ordered_json args = {to, BytesToJson(message)};
  auto refuse = [&](const Status& why) {
    ordered_json data = {{"args", args}, {"result", {{"err", why.message()}}}};
    from.Record(EventType("request"), data);
    return HostReturn::Now(ErrValue(why.message()));
  };
  // In a cluster: this actor and those that wait on it. A request to any of them would
  // wait on itself. (On one node the local waits-for graph, EnterWait, sees the same.)
  WaitPath wait_path;
  if (router.spans_nodes()) {
    wait_path = std::make_shared<const WaitLink>(WaitLink{from.id(), from.wait_path()});
    std::vector<const std::string*> waiting;  // from the newest: this actor, ...
    for (const WaitLink* link = wait_path.get(); link; link = link->next.get()) {
      if (link->actor != to) {
        waiting.push_back(&link->actor);
        continue;
      }
      std::string cycle = "request cycle: " + from.id() + " -> " + to;  // as EnterWait says it
      for (auto it = waiting.rbegin(); it != waiting.rend(); ++it) cycle += " -> " + **it;
      return refuse(Status::Error(cycle));
    }
  }
  auto slot = router.Reserve(to, message.size());
  if (!slot.ok()) return refuse(slot.status());
  if (Status cycle = router.EnterWait(from.id(), to); !cycle.ok()) return refuse(cycle);

  std::string request_id = NewUuidV4();
  auto call = std::make_shared<AwaitedCall>(EventType("request"), ordered_json{{"request_id", request_id}});
  auto event = from.Record(EventType("request"), {{"args", args}, {"request_id", request_id}});
  if (!event.ok()) {
    router.LeaveWait(from.id());
    return HostReturn::Now(ErrValue(event.error()));
  }
  std::string requester = from.id();
  router.requests().Add(request_id, requester, to, router.request_timeout(),
                        [call, &router, requester](RequestResult r) {
                          router.LeaveWait(requester);
                          if (r.ok) {
                            ordered_json recorded = {{"ok", BytesToJson(r.response)}};
                            call->Complete(Value::Ok(Value::BytesValue(std::move(r.response))), recorded, r.cause);
                          } else {
                            call->Complete(ErrValue(r.error), {{"err", r.error}}, r.cause);
                          }
                        });
  Envelope envelope{Envelope::Kind::kRequest, std::move(message), request_id, Cause{from.id(), *event}};
  envelope.wait_path = std::move(wait_path);
  Defer(from, std::move(*slot), std::move(envelope));
  from.ReleaseEffects();  // the actor waits now: what it has done so far goes out
  from.Await(call);
  return HostReturn::Later(call->op());
}

HostReturn OpenChannel(ActorContext& from, const std::string& to, Bytes initial_message) {
  MessageRouter& router = from.router();
  ordered_json args = {to, BytesToJson(initial_message)};
  auto slot = router.Reserve(to, initial_message.size());
  if (!slot.ok()) {
    from.Record(EventType("open-channel"), {{"args", args}, {"result", {{"err", slot.error()}}}});
    return HostReturn::Now(ErrValue(slot.error()));
  }
  std::string channel_id = NewUuidV4();
  auto call = std::make_shared<AwaitedCall>(EventType("open-channel"), ordered_json{{"channel_id", channel_id}});
  auto event = from.Record(EventType("open-channel"), {{"args", args}, {"channel_id", channel_id}});
  if (!event.ok()) return HostReturn::Now(ErrValue(event.error()));
  router.channels().Propose(channel_id, from.id(), to);
  // The open is a request to the target: it ends when the target answers, times out, or stops.
  router.requests().Add(channel_id, from.id(), to, router.request_timeout(),
                        [call, &router, channel_id](RequestResult r) {
                          if (r.ok) {
                            call->Complete(Value::Ok(Value::String(channel_id)), {{"ok", channel_id}}, r.cause);
                          } else {
                            router.channels().Remove(channel_id);
                            call->Complete(ErrValue(r.error), {{"err", r.error}}, r.cause);
                          }
                        });
  Defer(from, std::move(*slot),
        Envelope{Envelope::Kind::kChannelOpen, std::move(initial_message), channel_id, Cause{from.id(), *event}});
  from.ReleaseEffects();
  from.Await(call);
  return HostReturn::Later(call->op());
}

Value SendOnChannel(ActorContext& from, const std::string& channel_id, Bytes message) {
  MessageRouter& router = from.router();
  ordered_json args = {channel_id, BytesToJson(message)};
  auto channel = router.channels().Get(channel_id);
  if (!channel || !channel->open) return Finish(from, "send-on-channel", args, Status::Error("no open channel " + channel_id));
  bool member = false;
  for (const auto& p : channel->participants) member |= p == from.id();
  if (!member)
    return Finish(from, "send-on-channel", args, Status::Error("this actor is not a participant of channel " + channel_id));
  std::vector<MailboxSlot> slots;
  for (const auto& p : channel->participants) {
    if (p == from.id()) continue;
    auto slot = router.ReserveParticipant(p, message.size());
    if (!slot.ok()) return Finish(from, "send-on-channel", args, slot.status());
    slots.push_back(std::move(*slot));
  }
  auto event = from.Record(EventType("send-on-channel"), {{"args", args}, {"result", {{"ok", nullptr}}}});
  if (!event.ok()) return ErrValue(event.error());
  for (auto& slot : slots)
    Defer(from, std::move(slot), Envelope{Envelope::Kind::kChannelMessage, message, channel_id, Cause{from.id(), *event}});
  return OkValue();
}

Value CloseChannel(ActorContext& from, const std::string& channel_id) {
  MessageRouter& router = from.router();
  ordered_json args = {channel_id};
  auto channel = router.channels().Get(channel_id);
  bool member = false;
  if (channel)
    for (const auto& p : channel->participants) member |= p == from.id();
  if (!channel || !channel->open || !member)
    return Finish(from, "close-channel", args, Status::Error("no open channel " + channel_id + " of this actor"));
  router.channels().Remove(channel_id);
  auto event = from.Record(EventType("close-channel"), {{"args", args}, {"result", {{"ok", nullptr}}}});
  if (!event.ok()) return ErrValue(event.error());
  for (const auto& p : channel->participants) {
    // A participant that has stopped has nothing left to close.
    if (auto slot = router.ReserveParticipant(p, 0); slot.ok())
      Defer(from, std::move(*slot), Envelope{Envelope::Kind::kChannelClose, {}, channel_id, Cause{from.id(), *event}});
  }
  return OkValue();
}

Value ListOutstandingRequests(ActorContext& from) {
  ValueList ids;
  for (auto& id : from.router().requests().ParkedAt(from.id())) ids.push_back(Value::String(id));
  Value result = Value::List(std::move(ids));
  from.Record(EventType("list-outstanding-requests"), {{"args", ordered_json::array()}, {"result", ValueToJson(result)}});
  return result;
}

Value RespondToRequest(ActorContext& from, const std::string& request_id, Bytes response) {
  ordered_json args = {request_id, BytesToJson(response)};
  RequestTable& requests = from.router().requests();
  if (!requests.IsHeldBy(request_id, from.id()))
    return Finish(from, "respond-to-request", args, Status::Error("no outstanding request " + request_id + " for this actor"));
  auto event = from.Record(EventType("respond-to-request"), {{"args", args}, {"result", {{"ok", nullptr}}}});
  if (!event.ok()) return ErrValue(event.error());
  Cause cause{from.id(), *event};
  from.Defer([&requests, request_id, response = std::move(response), cause]() mutable {
    requests.Complete(request_id, RequestResult::Response(std::move(response), cause));
  });
  return OkValue();
}

Value CancelRequest(ActorContext& from, const std::string& request_id) {
  ordered_json args = {request_id};
  RequestTable& requests = from.router().requests();
  if (!requests.IsHeldBy(request_id, from.id()))
    return Finish(from, "cancel-request", args, Status::Error("no outstanding request " + request_id + " for this actor"));
  auto event = from.Record(EventType("cancel-request"), {{"args", args}, {"result", {{"ok", nullptr}}}});
  if (!event.ok()) return ErrValue(event.error());
  Cause cause{from.id(), *event};
  std::string why = "request cancelled by " + from.id();
  from.Defer([&requests, request_id, why, cause] { requests.Complete(request_id, RequestResult::Error(why, cause)); });
  return OkValue();
}

}  // namespace theater::messaging
