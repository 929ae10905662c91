// A connection's streams: subscriptions to actors' chains, the watch of every actor's
// lifecycle, channels it opened, and the notices that say what a slow client missed.
#include "chain/event_data.h"
#include "runtime/value_json.h"
#include "server/channel_registry.h"
#include "server/connection.h"
#include "server/server.h"
#include "server/views.h"

namespace theater::server {

void Connection::SendLagNotices() {
  for (auto& [id, s] : subscriptions_) {
    if (s.dropped == 0) continue;
    PushLocked(Frame(DumpJson(Response(
        "SubscriptionLagged",
        {{"id", s.actor_id}, {"subscription_id", s.id}, {"dropped", s.dropped},
         {"message", "this client fell behind; " + std::to_string(s.dropped) +
                         " events were not sent (GetActorEvents has them all)"}}))));
    s.dropped = 0;
  }
  if (watch_dropped_) {
    PushLocked(Frame(DumpJson(Response(
        "WatchLagged", {{"dropped", watch_dropped_},
                        {"message", "this client fell behind; " + std::to_string(watch_dropped_) +
                                        " actor changes were not sent (ListActors has them all)"}}))));
    watch_dropped_ = 0;
  }
}

// --- Subscriptions and channels ----------------------------------------------------------------

namespace {

// How the actor ended, from its theater/actor-stopped event, for a client that started it
// as its parent; nullopt for any other event.
std::optional<json> EndNotice(const std::string& actor_id, const ChainEvent& e) {
  if (e.type != "theater/actor-stopped") return std::nullopt;
  auto data = DecodeEventData(e.data);
  if (data.is_discarded()) return std::nullopt;
  if (data.contains("failure")) return Response("ActorError", {{"id", actor_id}, {"error", data["failure"]}});
  if (data.value("reason", "") == "shutdown")
    return Response("ActorExit", {{"id", actor_id},
                                  {"data", data.contains("shutdown_data") ? ReadableJson(data["shutdown_data"]) : json(nullptr)}});
  return Response("ActorFinished", {{"id", actor_id}, {"reason", data.value("reason", "")}});
}

std::string EventBody(const std::string& actor_id, const std::string& sid, const ChainEvent& e) {
  return DumpJson(Response("ActorEvent", {{"id", actor_id}, {"subscription_id", sid}, {"event", EventToJson(e)}}));
}

}  // namespace

Status Connection::Subscribe(const std::string& actor_id, bool events, bool lifecycle, std::optional<uint64_t> from,
                             json response, const char* tag) {
  std::string sid;
  {
    std::lock_guard lock(out_mu_);
    if (closed_) return Status::Error("connection closed");
    sid = "sub-" + std::to_string(next_subscription_++);
    Subscription& s = subscriptions_[sid];
    s.id = sid;
    s.actor_id = actor_id;
    s.events = events;
    s.lifecycle = lifecycle;
    s.catching_up = true;  // until what was recorded before Observe is accounted for
  }
  std::weak_ptr<Connection> weak = weak_from_this();
  auto token = server_.system().Observe(actor_id, [weak, sid](const std::string&, const ChainEvent& e) {
    if (auto self = weak.lock()) self->OnObserved(sid, e);
  });
  if (!token.ok()) {
    std::lock_guard lock(out_mu_);
    subscriptions_.erase(sid);
    return token.status();
  }
  // The chain so far: its events from `from` are sent (within the stream budget), and a
  // parent hears of an end that came before it subscribed.
  std::vector<ChainEvent> history;
  if (from || lifecycle) {
    auto all = server_.system().Events(actor_id);
    if (all.ok()) history = std::move(*all);
  }
  uint64_t first = from.value_or(history.size());
  std::vector<std::string> frames;
  uint64_t next = history.size(), dropped = 0;
  size_t budget = server_.options().stream_buffer_bytes, bytes = 0;
  std::optional<json> notice;
  for (const ChainEvent& e : history) {
    if (lifecycle && e.seq + 1 == history.size()) notice = EndNotice(actor_id, e);
    if (!events || e.seq < first) continue;
    if (bytes >= budget) {
      ++dropped;
      continue;
    }
    frames.push_back(Frame(EventBody(actor_id, sid, e)));
    bytes += frames.back().size();
  }
  bool gone = false;
  {
    std::lock_guard lock(out_mu_);
    auto it = subscriptions_.find(sid);
    if (closed_ || it == subscriptions_.end()) {
      gone = true;
    } else {
      Subscription& s = it->second;
      s.token = *token;
      response[tag]["subscription_id"] = sid;
      PushLocked(Frame(DumpJson(response)));
      for (std::string& f : frames) PushLocked(std::move(f));
      s.dropped += dropped;
      if (s.dropped) SendLagNotices();
      if (notice) PushLocked(Frame(DumpJson(*notice)));
      // Events recorded while the history was read: those not in it go out now.
      std::vector<ChainEvent> waiting = std::move(s.waiting);
      s.catching_up = false;
      for (const ChainEvent& e : waiting) {
        if (e.seq < next) continue;
        RouteLocked(s, e);
      }
    }
  }
  if (gone) server_.system().StopObserving(*token);
  return Status::Ok();
}

void Connection::OnObserved(const std::string& sid, const ChainEvent& e) {
  std::lock_guard lock(out_mu_);
  auto it = subscriptions_.find(sid);
  if (closed_ || it == subscriptions_.end()) return;
  Subscription& s = it->second;
  if (s.catching_up) return s.waiting.push_back(e);
  RouteLocked(s, e);
}

void Connection::RouteLocked(Subscription& s, const ChainEvent& e) {
  if (s.events) {
    if (out_bytes_ >= server_.options().stream_buffer_bytes) {
      ++s.dropped;
    } else {
      if (s.dropped) SendLagNotices();
      PushLocked(Frame(EventBody(s.actor_id, s.id, e)));
    }
  }
  // How the actor ended always goes out (within the hard budget): a parent must hear it.
  if (s.lifecycle)
    if (auto notice = EndNotice(s.actor_id, e)) PushLocked(Frame(DumpJson(*notice)));
}

Status Connection::Unsubscribe(const std::string& actor_id, const std::string& subscription_id) {
  uint64_t token;
  {
    std::lock_guard lock(out_mu_);
    auto it = subscriptions_.find(subscription_id);
    if (it == subscriptions_.end() || it->second.actor_id != actor_id)
      return Status::Error("no subscription " + subscription_id + " to actor " + actor_id + " on this connection");
    token = it->second.token;
    subscriptions_.erase(it);
  }
  server_.system().StopObserving(token);
  return Status::Ok();
}

void Connection::AdoptChannel(const std::string& channel_id, const std::string& endpoint_id) {
  bool adopted = false;
  {
    std::lock_guard lock(out_mu_);
    if (!closed_) {
      channels_[channel_id] = endpoint_id;
      adopted = true;
    }
  }
  if (!adopted) server_.channels().Drop(endpoint_id);
}

void Connection::Watch() {
  std::lock_guard lock(out_mu_);
  watching_ = true;
}

void Connection::OnActorChanged(const json& summary) {
  std::lock_guard lock(out_mu_);
  if (closed_ || !watching_) return;
  if (out_bytes_ >= server_.options().stream_buffer_bytes) {
    ++watch_dropped_;
    return;
  }
  if (watch_dropped_) SendLagNotices();
  PushLocked(Frame(DumpJson(Response("ActorChanged", summary))));
}

}  // namespace theater::server
