"""The Python SDK for Theater actors (built with componentize-py; `theater build` does it).

An actor is a class: override what it handles. Every handler gets the actor's state
(bytes, or None) and returns the new state; handle_request returns (state, answer).
Raise an exception to fail the call: the runtime keeps the state from before it.

    import theater

    class Hello(theater.Actor):
        def handle_request(self, state, request_id, message):
            return state, b"hello " + message

    Actor, MessageServerClient = theater.exports(Hello)

Host calls: theater.log, theater.send, theater.request, theater.send_on_channel.
State helpers: theater.load_json(state, default), theater.dump_json(value).
WASI 0.2 works when the manifest grants it ([[handler]] type = "wasi"): time, random,
print (to the actor's log) and os.environ (the allowed variables) are recorded in the
chain and answered from it on replay.
"""
import json
from typing import Any, Optional, Tuple

from componentize_py_types import Err
from wit_world import exports as _exports
from wit_world.imports import message_server_host as _msh
from wit_world.imports import runtime as _runtime
from wit_world.imports import types as _types

State = Optional[bytes]


def log(line: str) -> None:
    """One line in the actor's log (and its chain)."""
    _runtime.log(line)


def send(actor_id: str, message: bytes) -> None:
    """A one-way message to another actor."""
    _msh.send(actor_id, message)


def request(actor_id: str, message: bytes) -> bytes:
    """Asks another actor and waits for its answer (raises on failure)."""
    return _msh.request(actor_id, message)


def send_on_channel(channel_id: str, message: bytes) -> None:
    _msh.send_on_channel(channel_id, message)


def load_json(state: State, default: Any = None) -> Any:
    """The state as a JSON value (`default` when there is none)."""
    return default if not state else json.loads(state)


def dump_json(value: Any) -> bytes:
    """A JSON value as a state."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True).encode()


class Actor:
    """Override what the actor handles; the rest keep the state and do nothing."""

    def init(self, state: State, actor_id: str) -> State:
        return state

    def handle_send(self, state: State, message: bytes) -> State:
        return state

    def handle_request(self, state: State, request_id: str, message: bytes) -> Tuple[State, Optional[bytes]]:
        return state, None

    def handle_channel_open(self, state: State, channel_id: str, message: bytes) -> Tuple[State, bool, Optional[bytes]]:
        """Returns (state, accepted, message back)."""
        return state, False, None

    def handle_channel_message(self, state: State, channel_id: str, message: bytes) -> State:
        return state

    def handle_channel_close(self, state: State, channel_id: str) -> State:
        return state


def _call(fn, *args):
    try:
        return fn(*args)
    except Err:
        raise
    except Exception as e:  # the call fails with the exception's text
        raise Err(f"{type(e).__name__}: {e}")


def exports(cls):
    """The component's export classes for an Actor subclass: assign them to the names
    componentize-py looks for, `Actor, MessageServerClient = theater.exports(MyActor)`."""
    actor = cls()

    class ActorExport(_exports.Actor):
        def init(self, state, params):
            return (_call(actor.init, state, params[0]),)

    class MessageServerClientExport(_exports.MessageServerClient):
        def handle_send(self, state, params):
            return (_call(actor.handle_send, state, params[0]),)

        def handle_request(self, state, params):
            new_state, answer = _call(actor.handle_request, state, params[0], params[1])
            return (new_state, (answer,))

        def handle_channel_open(self, state, params):
            new_state, accepted, message = _call(actor.handle_channel_open, state, params[0], params[1])
            return (new_state, (_types.ChannelAccept(accepted=accepted, message=message),))

        def handle_channel_message(self, state, params):
            return (_call(actor.handle_channel_message, state, params[0], params[1]),)

        def handle_channel_close(self, state, params):
            return (_call(actor.handle_channel_close, state, params[0]),)

    return ActorExport, MessageServerClientExport
