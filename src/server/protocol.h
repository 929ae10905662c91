// The management protocol's commands and responses (docs/protocol.md). Each is an
// externally tagged JSON object: {"StopActor":{"id":"..."}} -> {"ActorStopped":{"id":"..."}},
// errors as {"Error":{"kind":"...","message":"..."}}. Parsing is strict: an unknown command,
// a missing or mistyped field, or an unknown field is an error that names it.
//
// Bytes (states, messages) travel as arrays of numbers 0-255, as Theater's management
// protocol has them; commands also take a string, meaning its UTF-8 bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/bytes.h"
#include "common/status.h"

namespace theater::server {

using json = nlohmann::ordered_json;

enum class CommandKind {
  kAuthenticate,
  kGetServerInfo,
  kStartActor,
  kStopActor,
  kTerminateActor,
  kRestartActor,
  kListActors,
  kGetActorStatus,
  kGetActorState,
  kGetActorManifest,
  kGetActorEvents,
  kInspectActor,
  kSubscribeToActor,
  kUnsubscribeFromActor,
  kSendActorMessage,
  kRequestActorMessage,
  kOpenChannel,
  kSendOnChannel,
  kCloseChannel,
  kSetBytesEncoding,
  kWatchActors,
  kVerifyActor,
  kReplayActor,
  kFindEvent,
};

// One command; which fields are set depends on its kind.
struct Command {
  CommandKind kind;
  std::string name;            // as sent: "StartActor"
  std::string id;              // the actor (or, for SendOnChannel/CloseChannel, the channel)
  std::string manifest;        // StartActor: a path, or the manifest's TOML text
  std::optional<Bytes> data;   // initial_state, message data, initial_message
  bool parent = false;         // StartActor: this connection hears how the actor ends
  bool subscribe = false;      // StartActor: and gets its chain events
  std::string node;            // StartActor: the cluster node to run on (empty: this one)
  std::string token;           // Authenticate
  std::string subscription_id; // UnsubscribeFromActor
  std::optional<uint64_t> from;  // GetActorEvents, SubscribeToActor: the first seq
  std::optional<uint64_t> limit;       // GetActorEvents: at most this many
  std::optional<uint64_t> timeout_ms;  // RequestActorMessage
  bool durable = false;                // SendActorMessage: answer once the message is in the actor's chain
  bool bytes_base64 = false;           // SetBytesEncoding: this connection's bytes as {"base64":...}
  std::string hash;                    // FindEvent: an event's hash (64 hex digits)
};

// Error kinds (the "kind" of an Error response).
namespace error_kind {
inline constexpr const char* kFrameTooLarge = "FrameTooLarge";
inline constexpr const char* kInvalidJson = "InvalidJson";
inline constexpr const char* kUnknownCommand = "UnknownCommand";
inline constexpr const char* kInvalidCommand = "InvalidCommand";
inline constexpr const char* kUnauthorized = "Unauthorized";
inline constexpr const char* kActorNotFound = "ActorNotFound";
inline constexpr const char* kActorError = "ActorError";
inline constexpr const char* kRequestFailed = "RequestFailed";
inline constexpr const char* kChannelError = "ChannelError";
inline constexpr const char* kSubscriptionNotFound = "SubscriptionNotFound";
inline constexpr const char* kBusy = "Busy";
inline constexpr const char* kShuttingDown = "ShuttingDown";
}  // namespace error_kind

struct ProtocolError {
  std::string kind;
  std::string message;
};

// A command or why the text is not one.
struct ParsedCommand {
  std::optional<Command> command;
  ProtocolError error;
};
// Commands nest three levels deep ({"Cmd":{"data":[...]}}); a document nested deeper than
// `max_depth` (objects and arrays) is refused as InvalidJson while it is parsed.
inline constexpr size_t kDefaultMaxJsonDepth = 64;
ParsedCommand ParseCommand(std::string_view text, size_t max_depth = kDefaultMaxJsonDepth);

// Responses.
json Response(std::string_view tag, json body);
json ErrorResponse(const ProtocolError& error);
json BytesToArray(const Bytes& bytes);
// Bytes in a response: an array of numbers, or {"base64": text} on a connection that asked
// for it (SetBytesEncoding).
json BytesToJson(const Bytes& bytes, bool base64);
// Bytes a server sent, in either form (or a string: its UTF-8 bytes).
Result<Bytes> BytesFromJson(const json& value);
// The command as a JSON document (what a client sends).
json CommandToJson(const Command& command);
std::string CommandName(CommandKind kind);

}  // namespace theater::server
