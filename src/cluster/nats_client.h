// A connection to a NATS server (libnats, Debian's libnats-dev), with RAII owners for its
// handles. Only src/cluster/ talks to libnats. The connection reconnects by itself, for
// ever, and brings its subscriptions back; while it is down, publishes are buffered by the
// library (up to a bound) and requests fail with "not connected".
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"

struct __natsConnection;
struct __natsSubscription;

namespace theater::cluster {

struct NatsOptions {
  std::string url;    // nats://[TOKEN@]HOST:PORT
  std::string token;  // the server's authorization token (if not in the URL)
  std::string name;   // shown by the NATS server for this client
  // Called (on a library thread) when the connection goes down and when it is back.
  std::function<void(bool connected)> on_connection;
};

// A message as a subscriber gets it.
struct NatsMessage {
  std::string subject;
  std::string reply;  // where an answer goes ("" for none)
  Bytes data;
};

class NatsSubscription;

class NatsClient {
 public:
  // Connects, or keeps trying in the background when the server is not up yet (the
  // connection then comes up by itself: see `on_connection`).
  static Result<std::unique_ptr<NatsClient>> Connect(NatsOptions options);
  ~NatsClient();  // closes the connection; subscriptions must be gone first
  NatsClient(const NatsClient&) = delete;
  NatsClient& operator=(const NatsClient&) = delete;

  Status Publish(const std::string& subject, const Bytes& data, const std::string& reply = "");
  // One answer, or why not: "no responders" (nobody subscribes to `subject`), a timeout, or
  // the connection being down.
  enum class RequestError { kNone, kNoResponders, kTimeout, kOther };
  struct Reply {
    RequestError error = RequestError::kNone;
    std::string why;
    Bytes data;
  };
  Reply Request(const std::string& subject, const Bytes& data, std::chrono::milliseconds timeout);
  // Publishes to `subject` with a fresh inbox as the reply subject, and gathers answers
  // until `enough` of them came or `timeout` passed.
  std::vector<Bytes> Gather(const std::string& subject, const Bytes& data, size_t enough,
                            std::chrono::milliseconds timeout);
  // Calls `handler` (on the library's delivery thread, one message at a time across all
  // subscriptions: they must be quick) for each message on `subject`.
  Result<std::unique_ptr<NatsSubscription>> Subscribe(const std::string& subject,
                                                      std::function<void(NatsMessage)> handler);
  bool connected();
  // The largest message the server takes (its max_payload), or 0 while not connected.
  size_t max_payload();

  struct Callbacks;  // what libnats's callbacks reach (defined in nats_client.cc)

 private:
  NatsClient() = default;
  __natsConnection* connection_ = nullptr;
  std::unique_ptr<Callbacks> callbacks_;
};

// Unsubscribes when destroyed.
class NatsSubscription {
 public:
  ~NatsSubscription();
  NatsSubscription(const NatsSubscription&) = delete;
  NatsSubscription& operator=(const NatsSubscription&) = delete;

 private:
  friend class NatsClient;
  NatsSubscription() = default;
  __natsSubscription* subscription_ = nullptr;
};

}  // namespace theater::cluster
