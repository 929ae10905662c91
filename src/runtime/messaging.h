// The operations of theater:simple/message-server-host, for the actor whose turn calls
// them. Each records its host-call event ("theater:simple/message-server-host/<name>") and
// hands that event's hash to the receiver as the message's cause. Errors the actor should
// handle come back as err(...) values, as the contract's signatures say.
#pragma once

#include <string>

#include "engine/host_op.h"
#include "runtime/actor_context.h"

namespace theater::messaging {

// result<_, string>
Value Send(ActorContext& from, const std::string& to, Bytes message);
// result<list<u8>, string>, later: the caller waits without holding a thread.
HostReturn Request(ActorContext& from, const std::string& to, Bytes message);
// result<channel-id, string>, later (once the target accepted or rejected it).
HostReturn OpenChannel(ActorContext& from, const std::string& to, Bytes initial_message);
// result<_, string>
Value SendOnChannel(ActorContext& from, const std::string& channel_id, Bytes message);
// result<_, string>: every participant (the closer too) gets handle-channel-close.
Value CloseChannel(ActorContext& from, const std::string& channel_id);
// list<string>: the requests this actor has parked (returned from handle-request without
// a response) and not answered yet.
Value ListOutstandingRequests(ActorContext& from);
// result<_, string>
Value RespondToRequest(ActorContext& from, const std::string& request_id, Bytes response);
Value CancelRequest(ActorContext& from, const std::string& request_id);

}  // namespace theater::messaging
