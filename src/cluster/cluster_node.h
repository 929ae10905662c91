// One `theater server` node of a cluster over NATS (docs/cluster.md). It is the actor
// system's RemoteRouter: a message to an actor this node does not run is sent to the node
// that runs it, found by NATS itself (each node subscribes to the subjects of its actors).
// It also keeps the cluster's membership (heartbeats; a node unheard of for node_timeout
// is lost) and answers other nodes' questions about its actors.
//
// Subjects, under `theater.`:
//   actor.<id>   reserve (request/reply), query (request/reply): to the node running <id>
//   node.<name>  commit, release, answer, recorded, ping, spawn, start: to one node
//   actor.<id>   also child (a child's end, to its parent) and control (to a child)
//   hb           heartbeats of every node
//   list         every node answers with its actors
// Every message is sealed (cluster/sealed_message.h); the others are dropped and counted.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "cluster/nats_client.h"
#include "cluster/sealed_message.h"
#include "runtime/actor_system.h"
#include "runtime/router.h"

namespace theater::cluster {

struct ClusterOptions {
  std::string url;     // nats://HOST:PORT (empty: no cluster)
  std::string node;    // this node's name: letters, digits, '-' and '_', at most 64
  std::string secret;  // the cluster token: seals node traffic, and is the NATS token
  std::chrono::milliseconds heartbeat{500};
  std::chrono::milliseconds node_timeout{3000};      // unheard of this long: lost
  std::chrono::milliseconds remote_timeout{2000};    // a reserve or query to another node
  std::chrono::milliseconds reservation_ttl{30000};  // a place held for a message that does not come
  std::function<void(const std::string&)> log;
};

struct NodeInfo {
  std::string name;
  bool alive = false;
  int64_t last_seen_ms = 0;  // wall clock, 0: never
  uint64_t actors = 0;       // as its last heartbeat said
};

class ClusterNode : public RemoteRouter, public std::enable_shared_from_this<ClusterNode> {
 public:
  // What the server answers for its own actors.
  struct Handlers {
    // Runs a protocol command (as JSON) for an actor of this node; returns the response.
    // Called on the node's worker thread; it may wait (a stop).
    std::function<json(const std::string& actor_id, const json& command)> query;
    // This node's actors, as ListActors summaries.
    std::function<json()> list;
    // Starts a top-level actor here for another node's client (StartActor with a node).
    std::function<json(const json& command)> start;
  };

  static Result<std::shared_ptr<ClusterNode>> Start(ClusterOptions options, ActorSystem& system, Handlers handlers);
  ~ClusterNode() override;
  // Leaves the cluster: no more messages in or out. Called before the actor system goes.
  void Stop();

  // RemoteRouter.
  const std::string& node_name() const override { return options_.node; }
  Result<std::unique_ptr<RemoteSlot>> Reserve(const std::string& to, size_t message_bytes) override;
  Result<std::string> SpawnChild(const std::string& node, const std::string& parent, const Manifest& manifest,
                                 const Permissions& permissions, std::optional<Bytes> state, bool call_init) override;
  void ChildFinished(const std::string& parent, const ChildNotice& notice) override;
  void Control(const std::string& parent, const std::string& child, ChildControl what) override;
  Result<std::optional<Bytes>> StateOf(const std::string& child) override;
  // Runs StartActor (protocol JSON) on node `node`: its response.
  Result<json> StartOn(const std::string& node, const json& command);

  // An actor of this node started: messages and questions for it reach this node.
  void Host(const std::string& actor_id);
  // Runs `command` (protocol JSON with an "id") on the node that runs that actor: its
  // response, or an error ("no actor with id ..." when no node runs it).
  Result<json> AskActor(const std::string& actor_id, const json& command, std::chrono::milliseconds timeout);
  // Every live node's actors: [{"node": name, "actors": [...]}], this node's included.
  std::vector<json> ListAll();
  std::vector<NodeInfo> Nodes();
  const std::string& name() const { return options_.node; }
  const std::string& url() const { return options_.url; }
  uint64_t refused() const { return refused_.load(); }  // messages dropped: not sealed by the cluster
  // Requests, channel opens and durable sends waiting for another node's answer.
  size_t waiting();
  // Places held in other nodes' mailboxes, not used yet (credits).
  size_t credits();
  // Whether this node's NATS connection is up (as libnats last said).
  bool connected();

 private:
  class Slot;
  struct Reservation {
    MailboxSlot slot;
    std::string origin;
    std::chrono::steady_clock::time_point made;
  };
  struct Pending {  // a request or channel open this node sent to another
    std::string node;
    Envelope::Kind kind;
  };
  struct Peer {
    std::string incarnation;
    std::chrono::steady_clock::time_point last_seen;
    int64_t last_seen_ms = 0;
    uint64_t actors = 0;
    bool alive = true;
  };

  ClusterNode(ClusterOptions options, ActorSystem& system, Handlers handlers);
  Status Connect();
  std::string Subject(const std::string& kind, const std::string& name = "") const;
  Status PublishTo(const std::string& subject, json body);
  // A NATS request from this node (sealed), asked twice if nobody answers at first.
  NatsClient::Reply RequestWithRetry(const std::string& subject, json body, std::chrono::milliseconds timeout);
  void Heartbeat(bool hello);
  void Respond(const NatsMessage& msg, json body);
  // Gives back the credits unused for kCreditLife (on each tick).
  void ReleaseStaleCredits();
  // Sends `sealed` to node `node` and waits (up to 60 s: a spawn compiles first) for its
  // answer, opened; the error names the node.
  Result<json> AskNode(const std::string& node, const Bytes& sealed);
  // Opens a message: its body, or nothing (it is counted and, now and then, logged).
  std::optional<json> Open(const NatsMessage& msg, const std::string& sealed_for);
  void OnActorMessage(NatsMessage msg);
  void OnNodeMessage(NatsMessage msg);
  void OnHeartbeat(NatsMessage msg);
  void OnList(NatsMessage msg);
  void Commit(const std::string& node, const std::string& reservation, const std::string& to, Envelope envelope);
  void Release(const std::string& node, const std::string& reservation);
  void OnCommit(const json& body);
  void OnSpawn(NatsMessage msg, json body);
  void OnAnswer(const json& body);
  void Tick();  // heartbeat, lost nodes, expired reservations
  void NodeLost(const std::string& node);
  void Log(const std::string& line);
  void RunOnWorker(std::function<void()> work);

  ClusterOptions options_;
  ActorSystem& system_;
  Handlers handlers_;
  MessageSeal seal_;
  std::string incarnation_;
  std::unique_ptr<NatsClient> nats_;
  std::vector<std::unique_ptr<NatsSubscription>> subscriptions_;  // guarded by mu_
  std::mutex mu_;
  std::unordered_map<std::string, std::unique_ptr<Reservation>> reservations_;  // id -> held place
  // Credits: places in an actor's mailbox on another node, reserved in one round trip with
  // the place a message needed (up to kCredits), for the messages that follow it to the
  // same actor. Unused, they are given back within about a second.
  struct Credit {
    std::string node, reservation;
    std::chrono::steady_clock::time_point got;
  };
  std::unordered_map<std::string, std::deque<Credit>> credits_;  // target actor -> places held there
  // Moves `held`'s credits older than kCreditLife to `to_release` (those of a lost node
  // are dropped). Called with mu_ held.
  void DropStaleCredits(std::deque<Credit>& held, std::chrono::steady_clock::time_point now,
                        std::vector<Credit>& to_release);
  std::unordered_map<std::string, Pending> pending_;                            // request id -> where
  std::unordered_map<std::string, std::pair<std::string, std::shared_ptr<RecordedAck>>> acks_;  // id -> node, ack
  std::map<std::string, Peer> peers_;
  // Supervision across nodes: children of this node's actors that other nodes run
  // (child -> its node), and children this node runs for parents elsewhere (child -> the
  // parent's node). A lost node's children are reported to their parents here; a lost
  // node's parents' children here are ended.
  std::unordered_map<std::string, std::pair<std::string, std::string>> remote_children_;  // child -> node, parent
  std::unordered_map<std::string, std::string> remote_parents_;                          // child -> parent's node
  std::chrono::steady_clock::time_point disconnected_at_;
  std::chrono::steady_clock::time_point connected_since_;
  bool connected_ = false;
  std::atomic<uint64_t> refused_{0};
  std::chrono::steady_clock::time_point last_refusal_log_{};
  std::atomic<bool> stopping_{false};
  // The worker runs queries (they may wait) off the NATS delivery thread.
  std::mutex work_mu_;
  std::condition_variable work_cv_;
  std::vector<std::function<void()>> work_;
  std::vector<std::jthread> workers_;
  std::jthread ticker_;
};

}  // namespace theater::cluster
