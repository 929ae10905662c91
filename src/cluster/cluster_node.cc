#include "cluster/cluster_node.h"

#include "cluster/envelope_wire.h"
#include "cluster/manifest_wire.h"
#include "common/base64.h"
#include "common/uuid.h"

namespace theater::cluster {
namespace {

using Clock = std::chrono::steady_clock;

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Actor ids are UUIDs (common/uuid.h); anything else is no actor, and never reaches a NATS
// subject (where a '.', '*' or '>' would mean something else).
bool IsActorId(const std::string& id) { return IsUuid(id); }

json BytesWire(const Bytes& b) { return json::binary_t(std::vector<uint8_t>(b.begin(), b.end())); }
Bytes WireBytes(const json& j) {
  const auto& b = j.get_binary();
  return Bytes(b.begin(), b.end());
}

// A refusal as it travels, with its code: an actor gone from its node is NotFound there
// (ActorNotFound to a client), as it would be here.
json Refusal(const Status& s) { return {{"err", s.message()}, {"code", static_cast<int>(s.code())}}; }
Status RefusalStatus(const json& body) {
  int code = body.value("code", static_cast<int>(StatusCode::kError));
  bool known = code == static_cast<int>(StatusCode::kLimitExceeded) || code == static_cast<int>(StatusCode::kNotFound);
  return Status::Error(body.value("err", "refused"), known ? static_cast<StatusCode>(code) : StatusCode::kError);
}

// Credits: how many places one reserve asks for, and how long an unused one is kept. A
// stream of sends to one actor then pays one round trip per kCredits messages. Held
// places count against the target's mailbox as a message would, so it stays bounded;
// other senders may find it full up to kCreditLife (plus a tick) earlier than they
// would on one node.
constexpr size_t kCredits = 16;
constexpr std::chrono::milliseconds kCreditLife{500};

// Room in a NATS message for everything but the payload (ids, the wait path, the seal).
constexpr size_t kEnvelopeOverhead = 16 << 10;

}  // namespace

// A place held on another node, for one message.
class ClusterNode::Slot : public RemoteSlot {
 public:
  Slot(std::weak_ptr<ClusterNode> node, std::string target_node, std::string reservation, std::string to)
      : node_(std::move(node)), target_node_(std::move(target_node)), reservation_(std::move(reservation)),
        to_(std::move(to)) {}
  ~Slot() override {
    if (!committed_)
      if (auto node = node_.lock()) node->Release(target_node_, reservation_);
  }
  void Commit(Envelope envelope) override {
    committed_ = true;
    if (auto node = node_.lock()) node->Commit(target_node_, reservation_, to_, std::move(envelope));
  }

 private:
  std::weak_ptr<ClusterNode> node_;
  std::string target_node_, reservation_, to_;
  bool committed_ = false;
};

ClusterNode::ClusterNode(ClusterOptions options, ActorSystem& system, Handlers handlers)
    : options_(std::move(options)), system_(system), handlers_(std::move(handlers)), seal_(options_.secret),
      incarnation_(NewUuidV4()) {}

Result<std::shared_ptr<ClusterNode>> ClusterNode::Start(ClusterOptions options, ActorSystem& system, Handlers handlers) {
  THEATER_RETURN_IF_ERROR(CheckNodeName(options.node));
  if (options.url.rfind("nats://", 0) != 0)
    return Status::Error("--cluster `" + options.url + "`: give a NATS address, nats://HOST:PORT");
  if (options.secret.empty())
    return Status::Error("a cluster needs a token (--cluster-token-file or THEATER_CLUSTER_TOKEN): it authenticates "
                         "node-to-node traffic");
  std::shared_ptr<ClusterNode> node(new ClusterNode(std::move(options), system, std::move(handlers)));
  THEATER_RETURN_IF_ERROR(node->Connect());
  return node;
}

std::string ClusterNode::Subject(const std::string& kind, const std::string& name) const {
  return "theater." + kind + (name.empty() ? "" : "." + name);
}

Status ClusterNode::Connect() {
  NatsOptions o;
  o.url = options_.url;
  // A URL with its own credentials (nats://user:pass@ or nats://token@) keeps them.
  if (options_.url.find('@') == std::string::npos) o.token = options_.secret;
  o.name = "theater-" + options_.node;
  std::weak_ptr<ClusterNode> weak = weak_from_this();
  o.on_connection = [weak](bool up) {
    auto self = weak.lock();
    if (!self) return;
    std::lock_guard lock(self->mu_);
    if (up && !self->connected_) {
      self->connected_since_ = Clock::now();
      // Nobody was heard while this node was away: everyone gets a fresh node_timeout.
      for (auto& [name, peer] : self->peers_) peer.last_seen = Clock::now();
      // Away longer than node_timeout, this node was judged lost by the others: the
      // supervisors of its children elsewhere were told they failed (node-lost), and may
      // have started others in their place. Those children end here.
      if (Clock::now() - self->disconnected_at_ > self->options_.node_timeout && !self->remote_parents_.empty()) {
        std::vector<std::string> orphans;
        for (const auto& [child, node] : self->remote_parents_) orphans.push_back(child);
        self->remote_parents_.clear();
        self->RunOnWorker([self, orphans] {
          for (const auto& child : orphans) {
            self->Log("cluster: ending actor " + child + ": this node was cut off longer than the node timeout, and "
                      "its supervisor on another node was told it is lost");
            (void)self->system_.Terminate(child);
          }
        });
      }
    }
    if (!up && self->connected_) self->disconnected_at_ = Clock::now();
    self->connected_ = up;
    if (self->options_.log) self->options_.log(up ? "cluster: connected to " + self->options_.url
                                                  : "cluster: lost the connection to " + self->options_.url);
  };
  auto client = NatsClient::Connect(std::move(o));
  if (!client.ok()) return client.status();
  nats_ = std::move(*client);
  {
    std::lock_guard lock(mu_);
    if (nats_->connected()) {
      connected_ = true;
      connected_since_ = Clock::now();
    }
  }
  // Two nodes with one name would take each other's messages.
  if (nats_->connected()) {
    auto ping = nats_->Request(Subject("node", options_.node), seal_.Seal(Subject("node", options_.node), {{"t", "ping"}}),
                               std::chrono::milliseconds(500));
    if (ping.error == NatsClient::RequestError::kNone || ping.error == NatsClient::RequestError::kTimeout)
      return Status::Error("node name `" + options_.node + "` is taken by a running node of this cluster");
  }
  auto self = shared_from_this();
  auto subscribe = [&](const std::string& subject, void (ClusterNode::*handler)(NatsMessage)) -> Status {
    auto sub = nats_->Subscribe(subject, [weak, handler](NatsMessage m) {
      if (auto s = weak.lock(); s && !s->stopping_.load()) ((*s).*handler)(std::move(m));
    });
    if (!sub.ok()) return sub.status();
    std::lock_guard lock(mu_);
    subscriptions_.push_back(std::move(*sub));
    return Status::Ok();
  };
  THEATER_RETURN_IF_ERROR(subscribe(Subject("node", options_.node), &ClusterNode::OnNodeMessage));
  THEATER_RETURN_IF_ERROR(subscribe(Subject("hb"), &ClusterNode::OnHeartbeat));
  THEATER_RETURN_IF_ERROR(subscribe(Subject("list"), &ClusterNode::OnList));
  for (int i = 0; i < 2; ++i)
    workers_.emplace_back([this](std::stop_token stop) {
      while (true) {
        std::function<void()> work;
        {
          std::unique_lock lock(work_mu_);
          work_cv_.wait(lock, [&] { return stop.stop_requested() || !work_.empty(); });
          if (work_.empty()) return;
          work = std::move(work_.front());
          work_.erase(work_.begin());
        }
        work();
      }
    });
  ticker_ = std::jthread([this](std::stop_token stop) {
    std::mutex m;
    std::condition_variable_any cv;
    while (!stop.stop_requested()) {
      Tick();
      std::unique_lock lock(m);
      cv.wait_for(lock, stop, options_.heartbeat, [] { return false; });
    }
  });
  Heartbeat(true);
  Log("cluster: node " + options_.node + " joined through " + options_.url);
  return Status::Ok();
}

ClusterNode::~ClusterNode() { Stop(); }

void ClusterNode::Stop() {
  if (stopping_.exchange(true)) return;
  ticker_ = {};
  for (auto& w : workers_) w.request_stop();
  work_cv_.notify_all();
  workers_.clear();
  std::vector<std::unique_ptr<NatsSubscription>> subs;
  {
    std::lock_guard lock(mu_);
    subs.swap(subscriptions_);
    reservations_.clear();
  }
  subs.clear();
  nats_.reset();
}

void ClusterNode::Log(const std::string& line) {
  if (options_.log) options_.log(line);
}

void ClusterNode::RunOnWorker(std::function<void()> work) {
  {
    std::lock_guard lock(work_mu_);
    work_.push_back(std::move(work));
  }
  work_cv_.notify_one();
}

Status ClusterNode::PublishTo(const std::string& subject, json body) {
  if (!nats_) return Status::Error("the cluster connection is closed");
  body["from"] = options_.node;
  return nats_->Publish(subject, seal_.Seal(subject, std::move(body)));
}

void ClusterNode::Respond(const NatsMessage& msg, json body) {
  if (msg.reply.empty() || !nats_) return;
  body["from"] = options_.node;
  (void)nats_->Publish(msg.reply, seal_.Seal(kReplySubject, std::move(body)));
}

std::optional<json> ClusterNode::Open(const NatsMessage& msg, const std::string& sealed_for) {
  auto body = seal_.Open(sealed_for, msg.data);
  if (body.ok()) return std::move(*body);
  refused_.fetch_add(1);
  std::lock_guard lock(mu_);
  if (Clock::now() - last_refusal_log_ > std::chrono::seconds(10)) {
    last_refusal_log_ = Clock::now();
    Log("cluster: refused a message on " + msg.subject + ": " + body.error() + " (" + std::to_string(refused_.load()) +
        " refused so far)");
  }
  return std::nullopt;
}

// --- Sending to another node ------------------------------------------------------------

NatsClient::Reply ClusterNode::RequestWithRetry(const std::string& subject, json body, std::chrono::milliseconds timeout) {
  body["from"] = options_.node;
  auto reply = nats_->Request(subject, seal_.Seal(subject, body), timeout);
  // An actor that has just started on a node behind another NATS server of a NATS cluster
  // is not known here for a few milliseconds (its subscription is on its way): ask again
  // once before saying there is no such actor.
  if (reply.error == NatsClient::RequestError::kNoResponders) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    reply = nats_->Request(subject, seal_.Seal(subject, body), timeout);
  }
  return reply;
}

Result<std::unique_ptr<RemoteSlot>> ClusterNode::Reserve(const std::string& to, size_t message_bytes) {
  if (!IsActorId(to)) return NoSuchActor(to);
  if (!nats_ || stopping_.load()) return Status::Error("actor " + to + ": this node has left the cluster");
  if (size_t max = nats_->max_payload(); max && message_bytes + kEnvelopeOverhead > max)
    return Status::Error("message of " + std::to_string(message_bytes) + " bytes is larger than the cluster's NATS server takes (" +
                         std::to_string(max) + " bytes with " + std::to_string(kEnvelopeOverhead) + " of overhead)");
  // A place already held (a credit) goes at once: the target checks the size on commit.
  // Not while NATS is away: the message would wait in libnats's buffer, the sender
  // believing it sent; the reserve below fails with a clear error instead.
  std::vector<Credit> stale;
  std::optional<Credit> credit;
  if (nats_->connected()) {
    std::lock_guard lock(mu_);
    if (auto it = credits_.find(to); it != credits_.end()) {
      auto& held = it->second;
      DropStaleCredits(held, Clock::now(), stale);
      if (!held.empty()) {
        credit = std::move(held.front());
        held.pop_front();
      }
      if (held.empty()) credits_.erase(it);
    }
  }
  for (const auto& c : stale) Release(c.node, c.reservation);
  if (credit) return std::unique_ptr<RemoteSlot>(new Slot(weak_from_this(), credit->node, credit->reservation, to));
  std::string subject = Subject("actor", to);
  auto reply = RequestWithRetry(subject, {{"t", "reserve"}, {"to", to}, {"n", message_bytes}, {"k", kCredits}},
                                options_.remote_timeout);
  switch (reply.error) {
    case NatsClient::RequestError::kNone: break;
    case NatsClient::RequestError::kNoResponders: return NoSuchActor(to);
    case NatsClient::RequestError::kTimeout:
      return Status::Error("actor " + to + ": its node did not answer within " +
                           std::to_string(options_.remote_timeout.count()) + " ms");
    default: return Status::Error("actor " + to + ": cluster: " + reply.why);
  }
  auto body = seal_.Open(kReplySubject, reply.data);
  if (!body.ok()) return Status::Error("actor " + to + ": a reply not sealed by the cluster: " + body.error());
  if (body->contains("err")) return RefusalStatus(*body);
  std::string node = body->value("from", "");
  if (const auto& more = body->value("more", json::array()); more.is_array() && !more.empty()) {
    auto now = Clock::now();
    std::lock_guard lock(mu_);
    auto& held = credits_[to];
    for (const auto& r : more)
      if (r.is_string() && held.size() < kCredits) held.push_back(Credit{node, r.get<std::string>(), now});
  }
  return std::unique_ptr<RemoteSlot>(new Slot(weak_from_this(), node, body->value("r", ""), to));
}

void ClusterNode::Commit(const std::string& node, const std::string& reservation, const std::string& to,
                         Envelope envelope) {
  if (!Travels(envelope.kind)) return Log("cluster: a message of kind " + std::to_string(int(envelope.kind)) + " cannot go to another node");
  json body = {{"t", "commit"}, {"r", reservation}, {"to", to}, {"e", EnvelopeToWire(envelope)}};
  bool asks = envelope.kind == Envelope::Kind::kRequest || envelope.kind == Envelope::Kind::kChannelOpen;
  if (asks) {
    body["timeout"] = system_.requests().TimeoutOf(envelope.id).count();
    if (envelope.kind == Envelope::Kind::kChannelOpen)
      if (auto channel = system_.channels().Get(envelope.id)) body["opener"] = channel->participants.front();
    std::lock_guard lock(mu_);
    pending_[envelope.id] = Pending{node, envelope.kind};
  }
  std::string ack;
  if (envelope.recorded) {
    ack = NewUuidV4();
    body["ack"] = ack;
    std::lock_guard lock(mu_);
    acks_[ack] = {node, envelope.recorded};
  }
  Status sent = PublishTo(Subject("node", node), std::move(body));
  if (sent.ok()) return;
  std::string why = "actor " + to + ": " + sent.message();
  {
    std::lock_guard lock(mu_);
    pending_.erase(envelope.id);
    acks_.erase(ack);
  }
  if (asks) system_.requests().Complete(envelope.id, RequestResult::Error(why));
  if (envelope.recorded) envelope.recorded->Tell(Status::Error(why));
}

void ClusterNode::Release(const std::string& node, const std::string& reservation) {
  (void)PublishTo(Subject("node", node), {{"t", "release"}, {"r", reservation}});
}

void ClusterNode::Host(const std::string& actor_id) {
  if (!IsActorId(actor_id) || !nats_) return;
  std::weak_ptr<ClusterNode> weak = weak_from_this();
  auto sub = nats_->Subscribe(Subject("actor", actor_id), [weak](NatsMessage m) {
    if (auto s = weak.lock(); s && !s->stopping_.load()) s->OnActorMessage(std::move(m));
  });
  if (!sub.ok()) return Log("cluster: actor " + actor_id + " cannot be reached from other nodes: " + sub.error());
  std::lock_guard lock(mu_);
  subscriptions_.push_back(std::move(*sub));
}

// --- Messages from other nodes ------------------------------------------------------------

void ClusterNode::OnActorMessage(NatsMessage msg) {
  auto body = Open(msg, msg.subject);
  if (!body) return;
  std::string type = body->value("t", "");
  std::string to = msg.subject.substr(Subject("actor").size() + 1);
  if (type == "reserve") {
    size_t bytes = body->value("n", size_t{0});
    auto slot = system_.ReserveLocal(to, bytes);
    if (!slot.ok()) return Respond(msg, Refusal(slot.status()));
    // The place asked for, and as many more as the sender asks (credits) while the
    // mailbox has room for them.
    std::vector<MailboxSlot> slots;
    slots.push_back(std::move(*slot));
    size_t wanted = std::min<size_t>(body->value("k", size_t{1}), kCredits);
    while (slots.size() < wanted) {
      auto more = system_.ReserveLocal(to, 0);
      if (!more.ok()) break;
      slots.push_back(std::move(*more));
    }
    std::string origin = body->value("from", "");
    json ids = json::array();
    {
      std::lock_guard lock(mu_);
      for (auto& s : slots) {
        std::string id = NewUuidV4();
        reservations_[id] = std::make_unique<Reservation>(Reservation{std::move(s), origin, Clock::now()});
        ids.push_back(id);
      }
    }
    json reply = {{"r", ids[0]}};
    if (ids.size() > 1) reply["more"] = json(ids.begin() + 1, ids.end());
    return Respond(msg, std::move(reply));
  }
  if (type == "child") {  // to a parent: how its child on another node finished
    ChildNotice n;
    try {
      n.child = body->at("child").get<std::string>();
      n.failed = body->value("failed", false);
      n.error_type = body->value("error_type", "");
      n.data = WireBytes(body->at("data"));
      n.shutdown = body->value("shutdown", false);
      n.has_payload = body->value("has_payload", false);
      n.external_stop = body->value("external", false);
      n.parent_stopping = body->value("parent_stopping", false);
    } catch (const json::exception& e) {
      return Log("cluster: a malformed child notice from node " + body->value("from", "") + ": " + e.what());
    }
    if (!n.failed) {
      std::lock_guard lock(mu_);
      remote_children_.erase(n.child);
    }
    return system_.OnRemoteChildFinished(to, n);
  }
  if (type == "control") {  // to a child: from its parent on another node
    std::string op = body->value("op", "");
    ChildControl what = op == "restart" ? ChildControl::kRestart : op == "terminate" ? ChildControl::kTerminate : ChildControl::kStop;
    Status s = system_.ControlForRemoteParent(body->value("parent", ""), to, what);
    if (!s.ok()) Log("cluster: " + op + " from node " + body->value("from", "") + ": " + s.message());
    return;
  }
  if (type == "query" && handlers_.query) {
    json command = body->value("command", json::object());
    return RunOnWorker([self = shared_from_this(), msg = std::move(msg), to, command = std::move(command)] {
      self->Respond(msg, {{"response", self->handlers_.query(to, command)}});
    });
  }
}

void ClusterNode::OnNodeMessage(NatsMessage msg) {
  auto body = Open(msg, msg.subject);
  if (!body) return;
  std::string type = body->value("t", "");
  if (type == "commit") return OnCommit(*body);
  if (type == "answer") return OnAnswer(*body);
  if (type == "ping") return Respond(msg, {{"t", "pong"}});
  if (type == "spawn") return RunOnWorker([self = shared_from_this(), msg, body = std::move(*body)]() mutable {
    self->OnSpawn(std::move(msg), std::move(body));
  });
  if (type == "start" && handlers_.start)
    return RunOnWorker([self = shared_from_this(), msg, command = body->value("command", json::object())] {
      self->Respond(msg, {{"response", self->handlers_.start(command)}});
    });
  if (type == "release") {
    std::unique_ptr<Reservation> gone;
    std::lock_guard lock(mu_);
    if (auto it = reservations_.find(body->value("r", "")); it != reservations_.end()) {
      gone = std::move(it->second);
      reservations_.erase(it);
    }
    return;
  }
  if (type == "recorded") {
    std::shared_ptr<RecordedAck> ack;
    {
      std::lock_guard lock(mu_);
      auto it = acks_.find(body->value("ack", ""));
      if (it == acks_.end()) return;
      ack = std::move(it->second.second);
      acks_.erase(it);
    }
    ack->Tell(body->value("ok", false) ? Status::Ok() : Status::Error(body->value("err", "not recorded")));
  }
}

void ClusterNode::OnCommit(const json& body) {
  std::string origin = body.value("from", "");
  if (!CheckNodeName(origin).ok()) return Log("cluster: a message with no valid sender node");
  std::unique_ptr<Reservation> reservation;
  {
    std::lock_guard lock(mu_);
    auto it = reservations_.find(body.value("r", ""));
    if (it != reservations_.end()) {
      reservation = std::move(it->second);
      reservations_.erase(it);
    }
  }
  auto envelope = EnvelopeFromWire(body.value("e", json::object()));
  if (!envelope.ok()) return Log("cluster: a message from node " + origin + " is malformed: " + envelope.error());
  std::string to = body.value("to", "");
  std::string reply_to = Subject("node", origin);
  std::weak_ptr<ClusterNode> weak = weak_from_this();
  auto answer = [weak, reply_to, id = envelope->id](RequestResult r) {
    auto self = weak.lock();
    if (!self) return;
    json a = {{"t", "answer"}, {"id", id}, {"ok", r.ok}};
    if (r.ok) a["p"] = BytesWire(r.response);
    else a["err"] = r.error;
    if (r.cause) a["c"] = {{"a", r.cause->actor_id}, {"e", json::binary_t(std::vector<uint8_t>(r.cause->event.begin(), r.cause->event.end()))}};
    (void)self->PublishTo(reply_to, std::move(a));
  };
  bool asks = envelope->kind == Envelope::Kind::kRequest || envelope->kind == Envelope::Kind::kChannelOpen;
  // A place that expired (or was held by this node before it restarted) is taken again if
  // the mailbox has room now. A message that came on a credit was not measured when its
  // place was reserved: ReserveLocal measures it.
  std::optional<MailboxSlot> slot;
  Status refused;
  if (reservation && envelope->payload.size() <= system_.options().max_message_bytes) {
    slot.emplace(std::move(reservation->slot));
  } else {
    auto fresh = system_.ReserveLocal(to, envelope->payload.size());
    if (fresh.ok()) slot.emplace(std::move(*fresh));
    else refused = fresh.status();
  }
  if (!slot) {
    std::string why = refused.message();
    if (asks) answer(RequestResult::Error(why));
    if (body.contains("ack"))
      (void)PublishTo(reply_to, {{"t", "recorded"}, {"ack", body["ack"]}, {"ok", false}, {"err", why}});
    return;
  }
  switch (envelope->kind) {
    case Envelope::Kind::kChannelOpen:
      system_.channels().Propose(envelope->id, body.value("opener", envelope->cause ? envelope->cause->actor_id : ""), to);
      [[fallthrough]];
    case Envelope::Kind::kRequest:
      system_.requests().Add(envelope->id, envelope->cause ? envelope->cause->actor_id : "", to,
                             std::chrono::milliseconds(body.value("timeout", int64_t{0})), answer);
      break;
    case Envelope::Kind::kChannelClose: system_.channels().Remove(envelope->id); break;
    default: break;
  }
  if (body.contains("ack")) {
    std::string ack = body["ack"];
    envelope->recorded = std::make_shared<RecordedAck>([weak, reply_to, ack](Status s) {
      if (auto self = weak.lock())
        (void)self->PublishTo(reply_to, {{"t", "recorded"}, {"ack", ack}, {"ok", s.ok()}, {"err", s.message()}});
    });
  }
  slot->Commit(std::move(*envelope));
}

void ClusterNode::OnAnswer(const json& body) {
  std::string id = body.value("id", "");
  std::optional<Pending> pending;
  {
    std::lock_guard lock(mu_);
    auto it = pending_.find(id);
    if (it == pending_.end()) return;  // ended here already (a timeout, a lost node)
    pending = it->second;
    pending_.erase(it);
  }
  std::optional<Cause> cause;
  try {
    if (body.contains("c")) {
      Cause c;
      c.actor_id = body["c"].at("a").get<std::string>();
      const auto& e = body["c"].at("e").get_binary();
      if (e.size() == c.event.size()) {
        std::copy(e.begin(), e.end(), c.event.begin());
        cause = c;
      }
    }
    RequestResult r = body.value("ok", false) ? RequestResult::Response(WireBytes(body.at("p")), cause)
                                              : RequestResult::Error(body.value("err", "failed"), cause);
    if (r.ok && pending->kind == Envelope::Kind::kChannelOpen) system_.channels().Accept(id);
    system_.requests().Complete(id, std::move(r));
  } catch (const json::exception& ex) {
    system_.requests().Complete(id, RequestResult::Error(std::string("a malformed answer: ") + ex.what()));
  }
}

void ClusterNode::OnHeartbeat(NatsMessage msg) {
  auto body = Open(msg, msg.subject);
  if (!body) return;
  std::string name = body->value("from", "");
  std::string incarnation = body->value("inc", "");
  if (CheckNodeName(name).ok() == false) return;
  if (body->value("hello", false) && name != options_.node) RunOnWorker([self = shared_from_this()] { self->Heartbeat(false); });
  std::lock_guard lock(mu_);
  if (name == options_.node) {
    if (incarnation != incarnation_ && Clock::now() - last_refusal_log_ > std::chrono::seconds(10)) {
      last_refusal_log_ = Clock::now();
      Log("cluster: another node is also named " + name + ": give each node its own --node");
    }
    return;
  }
  bool known = peers_.count(name) > 0;
  Peer& peer = peers_[name];
  if (!known) Log("cluster: node " + name + " joined");
  else if (!peer.alive) Log("cluster: node " + name + " is back");
  else if (peer.incarnation != incarnation) Log("cluster: node " + name + " restarted");
  peer.alive = true;
  peer.incarnation = incarnation;
  peer.last_seen = Clock::now();
  peer.last_seen_ms = WallMs();
  peer.actors = body->value("actors", uint64_t{0});
}

void ClusterNode::OnList(NatsMessage msg) {
  if (!Open(msg, msg.subject) || !handlers_.list) return;
  RunOnWorker([self = shared_from_this(), msg = std::move(msg)] {
    self->Respond(msg, {{"node", self->options_.node}, {"actors", self->handlers_.list()}});
  });
}

// --- Membership ----------------------------------------------------------------------------

// A heartbeat; `hello` (a node that has just joined) asks the others for theirs at once,
// so that membership is known within milliseconds rather than a heartbeat period.
void ClusterNode::Heartbeat(bool hello) {
  uint64_t actors = system_.live_actors();
  (void)PublishTo(Subject("hb"), {{"t", "hb"}, {"inc", incarnation_}, {"actors", actors}, {"hello", hello}});
}

void ClusterNode::Tick() {
  Heartbeat(false);
  std::vector<std::string> lost;
  std::vector<std::unique_ptr<Reservation>> expired;
  {
    std::lock_guard lock(mu_);
    auto now = Clock::now();
    // A node that cannot reach NATS itself does not judge the others.
    if (connected_ && now - connected_since_ > options_.node_timeout) {
      for (auto& [name, peer] : peers_)
        if (peer.alive && now - peer.last_seen > options_.node_timeout) {
          peer.alive = false;
          lost.push_back(name);
        }
    }
    for (auto it = reservations_.begin(); it != reservations_.end();) {
      auto peer = peers_.find(it->second->origin);
      bool origin_lost = peer != peers_.end() && !peer->second.alive;
      if (origin_lost || now - it->second->made > options_.reservation_ttl) {
        expired.push_back(std::move(it->second));
        it = reservations_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const auto& name : lost) NodeLost(name);
  ReleaseStaleCredits();
  // Requests this node sent that ended here first (a timeout, a caller gone): their
  // answers will not be waited for.
  std::vector<std::string> sent;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, p] : pending_) sent.push_back(id);
  }
  for (const auto& id : sent)
    if (!system_.requests().Has(id)) {
      std::lock_guard lock(mu_);
      pending_.erase(id);
    }
}

void ClusterNode::NodeLost(const std::string& node) {
  std::string why = "node-lost: node " + node + " was not heard from for " +
                    std::to_string(options_.node_timeout.count()) + " ms";
  Log("cluster: " + why);
  std::vector<std::string> requests;
  std::vector<std::shared_ptr<RecordedAck>> acks;
  {
    std::lock_guard lock(mu_);
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->second.node == node) {
        requests.push_back(it->first);
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
    for (auto it = acks_.begin(); it != acks_.end();) {
      if (it->second.first == node) {
        acks.push_back(std::move(it->second.second));
        it = acks_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const auto& id : requests) system_.requests().Complete(id, RequestResult::Error(why));
  for (const auto& ack : acks) ack->Tell(Status::Error(why));

  // Its children of this node's supervisors failed with it; this node's children of its
  // supervisors have nobody to report to, and end.
  std::vector<std::pair<std::string, std::string>> lost_children;  // child, parent
  std::vector<std::string> orphans;
  {
    std::lock_guard lock(mu_);
    for (auto it = remote_children_.begin(); it != remote_children_.end();) {
      if (it->second.first == node) {
        lost_children.emplace_back(it->first, it->second.second);
        it = remote_children_.erase(it);
      } else {
        ++it;
      }
    }
    for (auto it = remote_parents_.begin(); it != remote_parents_.end();) {
      if (it->second == node) {
        orphans.push_back(it->first);
        it = remote_parents_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const auto& [child, parent] : lost_children) {
    ChildNotice n;
    n.child = child;
    n.failed = true;
    n.error_type = "internal";
    n.node_lost = true;
    n.data = ToBytes(json({{"kind", "node-lost"}, {"function", ""}, {"message", why}}).dump());
    system_.OnRemoteChildFinished(parent, n);
  }
  for (const auto& child : orphans) {
    Log("cluster: ending actor " + child + ": its supervisor's node " + node + " is lost");
    (void)system_.Terminate(child);
  }
}

// --- Supervision across nodes ---------------------------------------------------------------

Result<std::string> ClusterNode::SpawnChild(const std::string& node, const std::string& parent, const Manifest& manifest,
                                            const Permissions& permissions, std::optional<Bytes> state, bool call_init) {
  if (!nats_) return Status::Error("this node has left the cluster");
  auto wire = ManifestToWire(manifest);
  if (!wire.ok()) return wire.status();
  json body = {{"t", "spawn"}, {"parent", parent}, {"manifest", std::move(*wire)},
               {"permissions", PermissionsToWire(permissions)}, {"init", call_init}};
  if (state) body["state"] = BytesWire(*state);
  std::string subject = Subject("node", node);
  body["from"] = options_.node;
  Bytes sealed = seal_.Seal(subject, std::move(body));
  if (size_t max = nats_->max_payload(); max && sealed.size() > max)
    return Status::Error(manifest.file.string() + ": the child's manifest, component and state take " +
                         std::to_string(sealed.size()) + " bytes, more than the cluster's NATS server takes (" +
                         std::to_string(max) + "; its max_payload)");
  // Its node compiles the component first: that may take a while.
  auto answer = AskNode(node, sealed);
  if (!answer.ok()) return answer.status();
  if (answer->contains("err")) return RefusalStatus(*answer);
  std::string id = answer->value("id", "");
  std::lock_guard lock(mu_);
  remote_children_[id] = {node, parent};
  return id;
}

void ClusterNode::OnSpawn(NatsMessage msg, json body) {
  auto manifest = ManifestFromWire(body.value("manifest", json::object()));
  if (!manifest.ok()) return Respond(msg, {{"err", manifest.error()}});
  auto permissions = PermissionsFromWire(body.value("permissions", json::object()));
  if (!permissions.ok()) return Respond(msg, {{"err", permissions.error()}});
  std::optional<Bytes> state;
  if (body.contains("state") && body["state"].is_binary()) state = WireBytes(body["state"]);
  std::string parent = body.value("parent", "");
  if (!IsActorId(parent)) return Respond(msg, {{"err", "spawn: no parent"}});
  if (!CheckNodeName(body.value("from", "")).ok()) return Respond(msg, {{"err", "spawn: no valid sender node"}});
  auto id = system_.SpawnForRemoteParent(parent, std::move(*manifest), std::move(*permissions), std::move(state),
                                         body.value("init", true));
  if (!id.ok()) return Respond(msg, {{"err", id.error()}});
  {
    std::lock_guard lock(mu_);
    remote_parents_[*id] = body.value("from", "");
  }
  Respond(msg, {{"id", *id}});
}

void ClusterNode::ChildFinished(const std::string& parent, const ChildNotice& n) {
  if (!IsActorId(parent)) return;
  if (!n.failed) {
    std::lock_guard lock(mu_);
    remote_parents_.erase(n.child);
  }
  (void)PublishTo(Subject("actor", parent), {{"t", "child"},
                                             {"child", n.child},
                                             {"failed", n.failed},
                                             {"error_type", n.error_type},
                                             {"data", BytesWire(n.data)},
                                             {"shutdown", n.shutdown},
                                             {"has_payload", n.has_payload},
                                             {"external", n.external_stop},
                                             {"parent_stopping", n.parent_stopping}});
}

void ClusterNode::Control(const std::string& parent, const std::string& child, ChildControl what) {
  if (!IsActorId(child)) return;
  const char* op = what == ChildControl::kRestart ? "restart" : what == ChildControl::kTerminate ? "terminate" : "stop";
  (void)PublishTo(Subject("actor", child), {{"t", "control"}, {"parent", parent}, {"op", op}});
}

Result<std::optional<Bytes>> ClusterNode::StateOf(const std::string& child) {
  auto response = AskActor(child, {{"GetActorState", {{"id", child}}}}, options_.remote_timeout);
  if (!response.ok()) return response.status();
  if (!response->contains("ActorState")) return Status::Error("actor " + child + ": " + response->dump());
  // Its node writes bytes as {"base64": "..."} (server/actor_queries.h).
  const json& state = (*response)["ActorState"]["state"];
  if (state.is_null()) return std::optional<Bytes>();
  std::optional<Bytes> bytes;
  if (state.is_object() && state.contains("base64") && state["base64"].is_string())
    bytes = Base64Decode(state["base64"].get<std::string>());
  if (!bytes) return Status::Error("actor " + child + ": its state came malformed");
  return std::optional<Bytes>(std::move(*bytes));
}

Result<json> ClusterNode::StartOn(const std::string& node, const json& command) {
  if (!nats_) return Status::Error("this node has left the cluster");
  std::string subject = Subject("node", node);
  auto body = AskNode(node, seal_.Seal(subject, {{"t", "start"}, {"command", command}, {"from", options_.node}}));
  if (!body.ok()) return body.status();
  return body->value("response", json::object());
}

Result<json> ClusterNode::AskNode(const std::string& node, const Bytes& sealed) {
  auto reply = nats_->Request(Subject("node", node), sealed, std::chrono::seconds(60));
  if (reply.error == NatsClient::RequestError::kNoResponders) return Status::NotFound("node `" + node + "` is not in the cluster");
  if (reply.error != NatsClient::RequestError::kNone) return Status::Error("node `" + node + "`: " + reply.why);
  auto answer = seal_.Open(kReplySubject, reply.data);
  if (!answer.ok()) return Status::Error("node `" + node + "`: a reply not sealed by the cluster");
  return std::move(*answer);
}

std::vector<NodeInfo> ClusterNode::Nodes() {
  std::vector<NodeInfo> nodes;
  nodes.push_back({options_.node, true, WallMs(), system_.live_actors()});
  std::lock_guard lock(mu_);
  for (const auto& [name, peer] : peers_) nodes.push_back({name, peer.alive, peer.last_seen_ms, peer.actors});
  return nodes;
}

void ClusterNode::DropStaleCredits(std::deque<Credit>& held, Clock::time_point now, std::vector<Credit>& to_release) {
  // Credits are got in order, so the stale ones are at the front.
  while (!held.empty() && now - held.front().got >= kCreditLife) {
    auto peer = peers_.find(held.front().node);
    // A lost node's places went with it.
    if (peer == peers_.end() || peer->second.alive) to_release.push_back(std::move(held.front()));
    held.pop_front();
  }
}

void ClusterNode::ReleaseStaleCredits() {
  std::vector<Credit> stale;
  {
    std::lock_guard lock(mu_);
    auto now = Clock::now();
    for (auto it = credits_.begin(); it != credits_.end();) {
      DropStaleCredits(it->second, now, stale);
      it = it->second.empty() ? credits_.erase(it) : std::next(it);
    }
  }
  for (const auto& c : stale) Release(c.node, c.reservation);
}

bool ClusterNode::connected() {
  std::lock_guard lock(mu_);
  return connected_;
}

size_t ClusterNode::credits() {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& [to, held] : credits_) n += held.size();
  return n;
}

size_t ClusterNode::waiting() {
  std::lock_guard lock(mu_);
  return pending_.size() + acks_.size();
}

// --- Questions to other nodes ---------------------------------------------------------------

Result<json> ClusterNode::AskActor(const std::string& actor_id, const json& command, std::chrono::milliseconds timeout) {
  if (!IsActorId(actor_id)) return NoSuchActor(actor_id);
  if (!nats_) return Status::Error("actor " + actor_id + ": this node has left the cluster");
  std::string subject = Subject("actor", actor_id);
  auto reply = RequestWithRetry(subject, {{"t", "query"}, {"command", command}}, timeout);
  if (reply.error == NatsClient::RequestError::kNoResponders) return NoSuchActor(actor_id);
  if (reply.error != NatsClient::RequestError::kNone) return Status::Error("actor " + actor_id + ": its node: " + reply.why);
  auto body = seal_.Open(kReplySubject, reply.data);
  if (!body.ok()) return Status::Error("actor " + actor_id + ": a reply not sealed by the cluster: " + body.error());
  return body->value("response", json::object());
}

std::vector<json> ClusterNode::ListAll() {
  size_t alive = 1;  // this node, and the others heard from (no count of actors needed)
  {
    std::lock_guard lock(mu_);
    for (const auto& [name, peer] : peers_) alive += peer.alive;
  }
  std::vector<json> lists;
  if (!nats_) return lists;
  std::string subject = Subject("list");
  for (const Bytes& answer :
       nats_->Gather(subject, seal_.Seal(subject, {{"t", "list"}, {"from", options_.node}}), alive,
                     options_.remote_timeout)) {
    auto body = seal_.Open(kReplySubject, answer);
    if (body.ok()) lists.push_back(std::move(*body));
  }
  return lists;
}

}  // namespace theater::cluster
