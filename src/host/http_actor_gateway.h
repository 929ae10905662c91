// How an http-framework server reaches its actor: each request, middleware step and
// WebSocket event becomes a call of one of the actor's theater:simple/http-handlers
// exports, queued in its mailbox (HostServices::CallExport). The runtime records it as a
// wasm/call event with the parameters (the request as the actor saw it) and a wasm/result
// with the answer, so a replay needs no server. Also: the conversions between the
// server's plain structs and component values.
#pragma once

#include <string>

#include "engine/value.h"
#include "host/http_server.h"

namespace theater {
class HostServices;
}

namespace theater::host::http {

// The WIT types as the engine renders them.
extern const std::string kRequestType;
extern const std::string kResponseType;
extern const std::string kWebSocketMessageType;

Value RequestToValue(const Request& request);
Result<Request> RequestFromValue(const Value& value);
Result<Response> ResponseFromValue(const Value& value);
Value WsMessageToValue(const WsMessage& message);
Result<WsMessage> WsMessageFromValue(const Value& value);

// An error of a call the actor did not answer, as the client sees it: 503 when the actor
// is busy (mailbox full), stopped or gone; 500 when it failed or does not export
// http-handlers.
Refusal RefusalFor(const std::string& why, bool delivered);

class ActorExportGateway : public ActorGateway {
 public:
  ActorExportGateway(HostServices* services, std::string actor_id) : services_(services), actor_id_(std::move(actor_id)) {}

  void HandleRequest(uint64_t handler, Request request, std::function<void(Answer<Response>)> done) override;
  void HandleMiddleware(uint64_t handler, Request request, std::function<void(Answer<MiddlewareVerdict>)> done) override;
  void WebSocketConnect(uint64_t handler, uint64_t connection, std::string path, std::optional<std::string> query,
                        std::function<void(Answer<bool>)> done) override;
  void WebSocketMessage(uint64_t handler, uint64_t connection, WsMessage message,
                        std::function<void(Answer<std::vector<WsMessage>>)> done) override;
  void WebSocketDisconnect(uint64_t handler, uint64_t connection) override;

 private:
  // Queues the call; `done` gets the export's results (after the state), or a refusal.
  void Call(const std::string& function, const std::string& signature, ValueList params,
            std::function<void(Answer<ValueList>)> done);

  HostServices* services_;
  std::string actor_id_;
};

}  // namespace theater::host::http
