#include "host/http_actor_gateway.h"

#include "runtime/export_call.h"
#include "runtime/host_services.h"
#include "runtime/export_call.h"

namespace theater::host::http {

const std::string kRequestType =
    "record{method: string, uri: string, headers: list<tuple<string, string>>, body: option<list<u8>>}";
const std::string kResponseType = "record{status: u16, headers: list<tuple<string, string>>, body: option<list<u8>>}";
const std::string kWebSocketMessageType =
    "record{ty: variant{text, binary, connect, close, ping, pong, other(string)}, data: option<list<u8>>, text: "
    "option<string>}";

namespace {

constexpr char kHandlers[] = "theater:simple/http-handlers";

const std::string kHandleRequestSig = "func(option<list<u8>>, tuple<u64, " + kRequestType +
                                      ">) -> result<tuple<option<list<u8>>, tuple<" + kResponseType + ">>, string>";
const std::string kHandleMiddlewareSig = "func(option<list<u8>>, tuple<u64, " + kRequestType +
                                         ">) -> result<tuple<option<list<u8>>, tuple<record{proceed: bool, request: " +
                                         kRequestType + "}>>, string>";
const std::string kConnectSig =
    "func(option<list<u8>>, tuple<u64, u64, string, option<string>>) -> result<tuple<option<list<u8>>>, string>";
const std::string kMessageSig = "func(option<list<u8>>, tuple<u64, u64, " + kWebSocketMessageType +
                                ">) -> result<tuple<option<list<u8>>, tuple<list<" + kWebSocketMessageType +
                                ">>>, string>";
const std::string kDisconnectSig =
    "func(option<list<u8>>, tuple<u64, u64>) -> result<tuple<option<list<u8>>>, string>";

Value OptionalBytes(const std::optional<std::string>& s) {
  return s ? Value::Some(Value::BytesValue(ToBytes(*s))) : Value::None();
}

std::optional<std::string> OptionalBytesFrom(const Value& v) {
  if (!v.has_payload()) return std::nullopt;
  return ToString(v.payload().as_bytes());
}

const Value* Field(const Value& record, const std::string& name) {
  if (!record.is(Value::Kind::kRecord)) return nullptr;
  for (const auto& f : record.fields())
    if (f.name == name) return &f.value;
  return nullptr;
}

Value HeadersToValue(const Headers& headers) {
  ValueList items;
  for (const auto& [name, value] : headers) items.push_back(Value::Tuple({Value::String(name), Value::String(value)}));
  return Value::List(std::move(items));
}

Headers HeadersFrom(const Value& v) {
  Headers out;
  for (const Value& pair : v.items())
    if (pair.items().size() == 2) out.emplace_back(pair.items()[0].as_string(), pair.items()[1].as_string());
  return out;
}

}  // namespace

Value RequestToValue(const Request& r) {
  return Value::Record({{"method", Value::String(r.method)},
                        {"uri", Value::String(r.uri)},
                        {"headers", HeadersToValue(r.headers)},
                        {"body", OptionalBytes(r.body)}});
}

Result<Request> RequestFromValue(const Value& v) {
  const Value *method = Field(v, "method"), *uri = Field(v, "uri"), *headers = Field(v, "headers"), *body = Field(v, "body");
  if (!method || !uri || !headers || !body) return Status::Error("not an http-request");
  return Request{method->as_string(), uri->as_string(), HeadersFrom(*headers), OptionalBytesFrom(*body)};
}

Result<Response> ResponseFromValue(const Value& v) {
  const Value *status = Field(v, "status"), *headers = Field(v, "headers"), *body = Field(v, "body");
  if (!status || !headers || !body) return Status::Error("not an http-response");
  return Response{static_cast<uint16_t>(status->as_unsigned()), HeadersFrom(*headers), OptionalBytesFrom(*body)};
}

Value WsMessageToValue(const WsMessage& m) {
  Value ty = m.type == "other" ? Value::Variant("other", Value::String(m.other)) : Value::Variant(m.type, std::nullopt);
  return Value::Record({{"ty", std::move(ty)},
                        {"data", OptionalBytes(m.data)},
                        {"text", m.text ? Value::Some(Value::String(*m.text)) : Value::None()}});
}

Result<WsMessage> WsMessageFromValue(const Value& v) {
  const Value *ty = Field(v, "ty"), *data = Field(v, "data"), *text = Field(v, "text");
  if (!ty || !data || !text) return Status::Error("not a websocket-message");
  WsMessage m;
  m.type = ty->case_name();
  if (m.type == "other" && ty->has_payload()) m.other = ty->payload().as_string();
  m.data = OptionalBytesFrom(*data);
  if (text->has_payload()) m.text = text->payload().as_string();
  return m;
}

Refusal RefusalFor(const std::string& why, bool delivered) {
  if (why.find("is full") != std::string::npos) return {503, "the actor is busy (its mailbox is full)"};
  if (!delivered && why.find("does not export") != std::string::npos)
    return {500, "the actor does not export theater:simple/http-handlers"};
  if (!delivered || why.find("terminated") != std::string::npos || why.find("stopped") != std::string::npos)
    return {503, "the actor is not running"};
  return {500, "the actor failed while handling the request"};
}

void ActorExportGateway::Call(const std::string& function, const std::string& signature, ValueList params,
                              std::function<void(Answer<ValueList>)> done) {
  auto call = std::make_shared<ExportCall>();
  call->interface = kHandlers;
  call->function = function;
  call->signature = signature;
  call->params = std::move(params);
  call->done = [done](Result<ValueList> results) {
    if (!results.ok()) return done(RefusalFor(results.error(), true));
    done(std::move(*results));
  };
  if (Status s = services_->CallExport(actor_id_, call); !s.ok()) done(RefusalFor(s.message(), false));
}

void ActorExportGateway::HandleRequest(uint64_t handler, Request request, std::function<void(Answer<Response>)> done) {
  Call("handle-request", kHandleRequestSig, {Value::U64(handler), RequestToValue(request)},
       [done](Answer<ValueList> answer) {
         if (auto* refusal = std::get_if<Refusal>(&answer)) return done(*refusal);
         const ValueList& results = std::get<ValueList>(answer);
         auto response = results.empty() ? Result<Response>(Status::Error("no response")) : ResponseFromValue(results[0]);
         if (!response.ok()) return done(Refusal{500, "the actor's answer is not an http-response"});
         done(std::move(*response));
       });
}

void ActorExportGateway::HandleMiddleware(uint64_t handler, Request request,
                                          std::function<void(Answer<MiddlewareVerdict>)> done) {
  Call("handle-middleware", kHandleMiddlewareSig, {Value::U64(handler), RequestToValue(request)},
       [done](Answer<ValueList> answer) {
         if (auto* refusal = std::get_if<Refusal>(&answer)) return done(*refusal);
         const ValueList& results = std::get<ValueList>(answer);
         const Value* proceed = results.empty() ? nullptr : Field(results[0], "proceed");
         const Value* request = results.empty() ? nullptr : Field(results[0], "request");
         auto rewritten = request ? RequestFromValue(*request) : Result<Request>(Status::Error("none"));
         if (!proceed || !rewritten.ok()) return done(Refusal{500, "the actor's answer is not a middleware-result"});
         done(MiddlewareVerdict{proceed->as_bool(), std::move(*rewritten)});
       });
}

void ActorExportGateway::WebSocketConnect(uint64_t handler, uint64_t connection, std::string path,
                                          std::optional<std::string> query, std::function<void(Answer<bool>)> done) {
  Call("handle-websocket-connect", kConnectSig,
       {Value::U64(handler), Value::U64(connection), Value::String(std::move(path)),
        query ? Value::Some(Value::String(*query)) : Value::None()},
       [done](Answer<ValueList> answer) {
         if (auto* refusal = std::get_if<Refusal>(&answer)) return done(*refusal);
         done(true);
       });
}

void ActorExportGateway::WebSocketMessage(uint64_t handler, uint64_t connection, WsMessage message,
                                          std::function<void(Answer<std::vector<WsMessage>>)> done) {
  Call("handle-websocket-message", kMessageSig, {Value::U64(handler), Value::U64(connection), WsMessageToValue(message)},
       [done](Answer<ValueList> answer) {
         if (auto* refusal = std::get_if<Refusal>(&answer)) return done(*refusal);
         std::vector<WsMessage> replies;
         const ValueList& results = std::get<ValueList>(answer);
         if (!results.empty())
           for (const Value& item : results[0].items())
             if (auto m = WsMessageFromValue(item); m.ok()) replies.push_back(std::move(*m));
         done(std::move(replies));
       });
}

void ActorExportGateway::WebSocketDisconnect(uint64_t handler, uint64_t connection) {
  Call("handle-websocket-disconnect", kDisconnectSig, {Value::U64(handler), Value::U64(connection)},
       [](Answer<ValueList>) {});
}

}  // namespace theater::host::http
