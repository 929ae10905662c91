#include "cluster/nats_client.h"

#include <condition_variable>
#include <mutex>

#include <nats/nats.h>

namespace theater::cluster {
namespace {

Status Failed(const char* what, natsStatus s) {
  return Status::Error(std::string("NATS: ") + what + ": " + natsStatus_GetText(s));
}

// Owns a natsOptions until it is given to natsConnection_Connect (which copies it).
struct OptionsOwner {
  natsOptions* opts = nullptr;
  ~OptionsOwner() { natsOptions_Destroy(opts); }
};

struct MessageOwner {
  natsMsg* msg = nullptr;
  ~MessageOwner() { natsMsg_Destroy(msg); }
};

Bytes DataOf(natsMsg* msg) {
  const auto* data = reinterpret_cast<const uint8_t*>(natsMsg_GetData(msg));
  return Bytes(data, data + natsMsg_GetDataLength(msg));
}

}  // namespace

// What the connection's callbacks reach. libnats calls them on its own thread, and the
// last of them (disconnected, then closed) may come after natsConnection_Close returns:
// the destructor waits for `closed` before it frees this.
struct NatsClient::Callbacks {
  std::function<void(bool)> on_connection;
  std::mutex mu;
  std::condition_variable cv;
  bool closed = false;
};

namespace {

void OnDisconnected(natsConnection*, void* closure) {
  auto* c = static_cast<NatsClient::Callbacks*>(closure);
  if (c->on_connection) c->on_connection(false);
}
void OnReconnected(natsConnection*, void* closure) {
  auto* c = static_cast<NatsClient::Callbacks*>(closure);
  if (c->on_connection) c->on_connection(true);
}
void OnClosed(natsConnection*, void* closure) {
  auto* c = static_cast<NatsClient::Callbacks*>(closure);
  std::lock_guard lock(c->mu);
  c->closed = true;
  c->cv.notify_all();
}

// A subscription's handler. The library frees nothing of ours: the handler is deleted by
// OnHandlerComplete, which libnats calls once the subscription is closed and its last
// message handled (a message may be under way while the subscription is removed).
using Handler = std::function<void(NatsMessage)>;

void OnMessage(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  MessageOwner owner{msg};
  auto* handler = static_cast<Handler*>(closure);
  const char* reply = natsMsg_GetReply(msg);
  (*handler)(NatsMessage{natsMsg_GetSubject(msg), reply ? reply : "", DataOf(msg)});
}

void OnHandlerComplete(void* closure) { delete static_cast<Handler*>(closure); }

}  // namespace

Result<std::unique_ptr<NatsClient>> NatsClient::Connect(NatsOptions options) {
  std::unique_ptr<NatsClient> client(new NatsClient());
  client->callbacks_ = std::make_unique<Callbacks>();
  client->callbacks_->on_connection = std::move(options.on_connection);
  OptionsOwner o;
  natsStatus s = natsOptions_Create(&o.opts);
  if (s != NATS_OK) return Failed("options", s);
  if ((s = natsOptions_SetURL(o.opts, options.url.c_str())) != NATS_OK) return Failed(("URL " + options.url).c_str(), s);
  if (!options.token.empty() && (s = natsOptions_SetToken(o.opts, options.token.c_str())) != NATS_OK)
    return Failed("token", s);
  if (!options.name.empty()) natsOptions_SetName(o.opts, options.name.c_str());
  natsOptions_SetMaxReconnect(o.opts, -1);  // for ever
  natsOptions_SetReconnectWait(o.opts, 250);
  natsOptions_SetTimeout(o.opts, 2000);
  natsOptions_SetPingInterval(o.opts, 1000);  // a dead server is seen within a few seconds
  natsOptions_SetMaxPingsOut(o.opts, 3);
  natsOptions_SetReconnectBufSize(o.opts, 8 << 20);
  // Each message goes out at once: the library's default holds small writes back to
  // batch them, which puts about a millisecond on every leg of a round trip.
  natsOptions_SetSendAsap(o.opts, true);
  // One delivery thread for every subscription (not one each): messages are handled in
  // the order they arrive, and a node with 10,000 actors does not start 10,000 threads.
  natsOptions_UseGlobalMessageDelivery(o.opts, true);
  void* closure = client->callbacks_.get();
  natsOptions_SetClosedCB(o.opts, OnClosed, closure);
  natsOptions_SetDisconnectedCB(o.opts, OnDisconnected, closure);
  natsOptions_SetReconnectedCB(o.opts, OnReconnected, closure);
  natsOptions_SetRetryOnFailedConnect(o.opts, true, OnReconnected, closure);
  s = natsConnection_Connect(&client->connection_, o.opts);
  if (s != NATS_OK && s != NATS_NOT_YET_CONNECTED) return Failed(("connect to " + options.url).c_str(), s);
  return client;
}

NatsClient::~NatsClient() {
  if (!connection_) return;
  natsConnection_Close(connection_);
  // The closed callback is the library's last call into callbacks_.
  std::unique_lock lock(callbacks_->mu);
  bool closed = callbacks_->cv.wait_for(lock, std::chrono::seconds(10), [&] { return callbacks_->closed; });
  lock.unlock();
  natsConnection_Destroy(connection_);
  // Not heard in 10 s: a late callback must find its closure alive, so it is left allocated.
  if (!closed) (void)callbacks_.release();
}

bool NatsClient::connected() { return natsConnection_Status(connection_) == NATS_CONN_STATUS_CONNECTED; }

size_t NatsClient::max_payload() {
  int64_t n = natsConnection_GetMaxPayload(connection_);
  return n > 0 ? static_cast<size_t>(n) : 0;
}

Status NatsClient::Publish(const std::string& subject, const Bytes& data, const std::string& reply) {
  natsStatus s = reply.empty()
                     ? natsConnection_Publish(connection_, subject.c_str(), data.data(), static_cast<int>(data.size()))
                     : natsConnection_PublishRequest(connection_, subject.c_str(), reply.c_str(), data.data(),
                                                     static_cast<int>(data.size()));
  if (s != NATS_OK) return Failed(("publish to " + subject).c_str(), s);
  return Status::Ok();
}

NatsClient::Reply NatsClient::Request(const std::string& subject, const Bytes& data, std::chrono::milliseconds timeout) {
  MessageOwner reply;
  natsStatus s = natsConnection_Request(&reply.msg, connection_, subject.c_str(), data.data(),
                                        static_cast<int>(data.size()), timeout.count());
  if (s == NATS_OK) return {RequestError::kNone, "", DataOf(reply.msg)};
  if (s == NATS_NO_RESPONDERS) return {RequestError::kNoResponders, "no responders", {}};
  if (s == NATS_TIMEOUT) return {RequestError::kTimeout, "no answer within " + std::to_string(timeout.count()) + " ms", {}};
  return {RequestError::kOther, natsStatus_GetText(s), {}};
}

std::vector<Bytes> NatsClient::Gather(const std::string& subject, const Bytes& data, size_t enough,
                                      std::chrono::milliseconds timeout) {
  std::vector<Bytes> answers;
  natsInbox* inbox = nullptr;
  if (natsInbox_Create(&inbox) != NATS_OK) return answers;
  natsSubscription* sub = nullptr;
  if (natsConnection_SubscribeSync(&sub, connection_, inbox) == NATS_OK &&
      Publish(subject, data, inbox).ok()) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (answers.size() < enough) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      MessageOwner msg;
      if (natsSubscription_NextMsg(&msg.msg, sub, left.count()) != NATS_OK) break;
      answers.push_back(DataOf(msg.msg));
    }
  }
  if (sub) {
    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
  }
  natsInbox_Destroy(inbox);
  return answers;
}

Result<std::unique_ptr<NatsSubscription>> NatsClient::Subscribe(const std::string& subject,
                                                                std::function<void(NatsMessage)> handler) {
  auto* closure = new Handler(std::move(handler));
  std::unique_ptr<NatsSubscription> sub(new NatsSubscription());
  natsStatus s = natsConnection_Subscribe(&sub->subscription_, connection_, subject.c_str(), OnMessage, closure);
  if (s != NATS_OK) {
    delete closure;
    return Failed(("subscribe to " + subject).c_str(), s);
  }
  // Refused only if the subscription is already closed (the connection closing under it):
  // the handler may still be called once, so it is left allocated then.
  (void)natsSubscription_SetOnCompleteCB(sub->subscription_, OnHandlerComplete, closure);
  return sub;
}

NatsSubscription::~NatsSubscription() {
  if (!subscription_) return;
  natsSubscription_Unsubscribe(subscription_);
  natsSubscription_Destroy(subscription_);
}

}  // namespace theater::cluster
