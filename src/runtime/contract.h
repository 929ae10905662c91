// Facts of the theater:simple contract the runtime relies on: export signatures (as the
// engine renders them) and which manifest handler grants which imported interface.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace theater::contract {

inline constexpr std::string_view kActor = "theater:simple/actor";
inline constexpr std::string_view kMessageClient = "theater:simple/message-server-client";
inline constexpr std::string_view kMessageHost = "theater:simple/message-server-host";
inline constexpr std::string_view kSupervisor = "theater:simple/supervisor";
inline constexpr std::string_view kSupervisorHandlers = "theater:simple/supervisor-handlers";

// actor.init, both accepted shapes.
inline constexpr std::string_view kInitWithParams =
    "func(option<list<u8>>, tuple<string>) -> result<tuple<option<list<u8>>>, string>";
inline constexpr std::string_view kInitStateOnly =
    "func(option<list<u8>>) -> result<tuple<option<list<u8>>>, string>";

// message-server-client
inline constexpr std::string_view kHandleSend =
    "func(option<list<u8>>, tuple<list<u8>>) -> result<tuple<option<list<u8>>>, string>";
inline constexpr std::string_view kHandleRequest =
    "func(option<list<u8>>, tuple<string, list<u8>>) -> "
    "result<tuple<option<list<u8>>, tuple<option<list<u8>>>>, string>";
inline constexpr std::string_view kHandleChannelOpen =
    "func(option<list<u8>>, tuple<string, list<u8>>) -> "
    "result<tuple<option<list<u8>>, tuple<record{accepted: bool, message: option<list<u8>>}>>, string>";
inline constexpr std::string_view kHandleChannelMessage =
    "func(option<list<u8>>, tuple<string, list<u8>>) -> result<tuple<option<list<u8>>>, string>";
inline constexpr std::string_view kHandleChannelClose =
    "func(option<list<u8>>, tuple<string>) -> result<tuple<option<list<u8>>>, string>";

// supervisor-handlers
inline constexpr std::string_view kHandleChildError =
    "func(option<list<u8>>, tuple<string, record{error-type: enum{operation-timeout, channel-closed, "
    "shutting-down, function-not-found, type-mismatch, internal, serialization-error, update-component-error, "
    "paused}, data: option<list<u8>>}>) -> result<tuple<option<list<u8>>>, string>";
inline constexpr std::string_view kHandleChildExit =
    "func(option<list<u8>>, tuple<string, option<list<u8>>>) -> result<tuple<option<list<u8>>>, string>";
inline constexpr std::string_view kHandleChildExternalStop =
    "func(option<list<u8>>, tuple<string>) -> result<tuple<option<list<u8>>>, string>";

// The handler type that grants an imported interface: "runtime" for
// theater:simple/runtime, ... ; "" for types-only interfaces every actor may import;
// nullopt for interfaces that are not part of theater:simple.
std::optional<std::string> HandlerForInterface(std::string_view interface);

// Interfaces that only carry types.
bool IsTypesOnly(std::string_view interface);

}  // namespace theater::contract
