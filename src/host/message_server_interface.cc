#include "host/message_server_interface.h"

#include "runtime/contract.h"
#include "runtime/host_binding.h"
#include "runtime/messaging.h"

namespace theater::host {
namespace {

using Args = std::vector<Value>;
using Out = Result<std::optional<Value>>;

std::optional<Value> Some(Value v) { return std::optional<Value>(std::move(v)); }

}  // namespace

Status DefineMessageServerInterface(Engine& engine) {
  const std::string iface(contract::kMessageHost);
  THEATER_RETURN_IF_ERROR(DefineSelfRecordingFunction(
      engine, iface, "send", "func(string, list<u8>) -> result<_, string>", [](ActorContext& a, Args& args) -> Out {
        return Some(messaging::Send(a, args.at(0).as_string(), std::move(args.at(1).as_bytes())));
      }));
  THEATER_RETURN_IF_ERROR(DefineAsyncActorFunction(
      engine, iface, "request", "func(string, list<u8>) -> result<list<u8>, string>",
      [](ActorContext& a, Args& args) -> Result<HostReturn> {
        return messaging::Request(a, args.at(0).as_string(), std::move(args.at(1).as_bytes()));
      }));
  THEATER_RETURN_IF_ERROR(DefineAsyncActorFunction(
      engine, iface, "open-channel", "func(string, list<u8>) -> result<string, string>",
      [](ActorContext& a, Args& args) -> Result<HostReturn> {
        return messaging::OpenChannel(a, args.at(0).as_string(), std::move(args.at(1).as_bytes()));
      }));
  THEATER_RETURN_IF_ERROR(DefineSelfRecordingFunction(
      engine, iface, "send-on-channel", "func(string, list<u8>) -> result<_, string>",
      [](ActorContext& a, Args& args) -> Out {
        return Some(messaging::SendOnChannel(a, args.at(0).as_string(), std::move(args.at(1).as_bytes())));
      }));
  THEATER_RETURN_IF_ERROR(DefineSelfRecordingFunction(
      engine, iface, "close-channel", "func(string) -> result<_, string>",
      [](ActorContext& a, Args& args) -> Out { return Some(messaging::CloseChannel(a, args.at(0).as_string())); }));
  THEATER_RETURN_IF_ERROR(DefineSelfRecordingFunction(
      engine, iface, "list-outstanding-requests", "func() -> list<string>",
      [](ActorContext& a, Args&) -> Out { return Some(messaging::ListOutstandingRequests(a)); }));
  THEATER_RETURN_IF_ERROR(DefineSelfRecordingFunction(
      engine, iface, "respond-to-request", "func(string, list<u8>) -> result<_, string>",
      [](ActorContext& a, Args& args) -> Out {
        return Some(messaging::RespondToRequest(a, args.at(0).as_string(), std::move(args.at(1).as_bytes())));
      }));
  return DefineSelfRecordingFunction(
      engine, iface, "cancel-request", "func(string) -> result<_, string>",
      [](ActorContext& a, Args& args) -> Out { return Some(messaging::CancelRequest(a, args.at(0).as_string())); });
}

}  // namespace theater::host
