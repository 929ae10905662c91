"""The Python SDK for Theater actors (built with componentize-py; `theater build` does it).

An actor is a class: override what it handles. Every handler gets the actor's state
(bytes, or None) and returns the new state; handle_request returns (state, answer).
Raise an exception to fail the call: the runtime keeps the state from before it.

    import theater

    class Hello(theater.Actor):
        def handle_request(self, state, request_id, message):
            return state, b"hello " + message

    Actor, MessageServerClient = theater.exports(Hello)

Host calls: theater.log, send, request, open_channel, send_on_channel, close_channel,
respond_to_request, shutdown. Beyond the message-actor world, each needs its interface in
the actor's world (supervisor-actor, full-actor) and its grant in the manifest:
  supervisor: theater.spawn, stop_child, restart_child, list_children, child_state, and
              the handle_child_* handlers with `theater.supervisor_handlers(actor)`
  store:      theater.store (create, put, get, put_at, get_at, labels)
  timing:     theater.now_ms, sleep_ms
  random:     theater.random_bytes, random_range, random_uuid
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


def open_channel(actor_id: str, message: bytes) -> str:
    """Opens a channel to another actor; returns the channel's id."""
    return _msh.open_channel(actor_id, message)


def send_on_channel(channel_id: str, message: bytes) -> None:
    _msh.send_on_channel(channel_id, message)


def close_channel(channel_id: str) -> None:
    _msh.close_channel(channel_id)


def respond_to_request(request_id: str, answer: bytes) -> None:
    """Answers a request that handle_request parked (returned None for)."""
    _msh.respond_to_request(request_id, answer)


def shutdown(data: Optional[bytes] = None) -> None:
    """Asks the runtime to stop this actor after the current call."""
    _runtime.shutdown(data)


# The interfaces beyond the message-actor world, where the actor's world has them. They are
# imported here, as the module loads (componentize-py snapshots what is loaded then; a
# later import finds nothing), and a call to one the world lacks names what is missing.
_optional = {}
for _name in ("supervisor", "store", "timing", "random"):
    try:
        _optional[_name] = __import__("wit_world.imports." + _name, fromlist=[_name])
    except ImportError:
        pass


def _imported(name: str):
    module = _optional.get(name)
    if module is None:
        raise RuntimeError(f"the actor's world does not import theater:simple/{name} "
                           f"(build with a world that has it: service-actor, supervisor-actor or full-actor)")
    return module


def spawn(manifest: str, init: Optional[bytes] = None) -> str:
    """Starts a child from a manifest (a path, or TOML text); returns its id."""
    return _imported("supervisor").spawn(manifest, init)


def stop_child(child_id: str) -> None:
    _imported("supervisor").stop_child(child_id)


def restart_child(child_id: str) -> None:
    _imported("supervisor").restart_child(child_id)


def list_children() -> list:
    return _imported("supervisor").list_children()


def child_state(child_id: str) -> State:
    return _imported("supervisor").get_child_state(child_id)


class store:
    """The content store (theater:simple/store)."""

    @staticmethod
    def create() -> str:
        return _imported("store").new()

    @staticmethod
    def put(store_id: str, content: bytes):
        """Stores content; returns its reference."""
        return _imported("store").store(store_id, content)

    @staticmethod
    def get(store_id: str, ref) -> bytes:
        return _imported("store").get(store_id, ref)

    @staticmethod
    def put_at(store_id: str, label: str, content: bytes):
        """Stores content under a label, replacing what it named; returns its reference."""
        return _imported("store").replace_content_at_label(store_id, label, content)

    @staticmethod
    def get_at(store_id: str, label: str) -> Optional[bytes]:
        s = _imported("store")
        ref = s.get_by_label(store_id, label)
        return None if ref is None else s.get(store_id, ref)

    @staticmethod
    def labels(store_id: str) -> list:
        return _imported("store").list_labels(store_id)


def now_ms() -> int:
    """Theater's clock (theater:simple/timing), milliseconds since the epoch."""
    return _imported("timing").now()


def sleep_ms(ms: int) -> None:
    _imported("timing").sleep(ms)


def random_bytes(length: int) -> bytes:
    """Random bytes from theater:simple/random (os.urandom works too, through WASI)."""
    return _imported("random").random_bytes(length)


def random_range(low: int, high: int) -> int:
    """An integer in [low, high)."""
    return _imported("random").random_range(low, high)


def random_uuid() -> str:
    return _imported("random").generate_uuid()


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

    # A supervisor's handlers (with `theater.supervisor_handlers(actor)`).
    def handle_child_error(self, state: State, child_id: str, error) -> State:
        return state

    def handle_child_exit(self, state: State, child_id: str, data: Optional[bytes]) -> State:
        return state

    def handle_child_external_stop(self, state: State, child_id: str) -> State:
        return state


def _call(fn, *args):
    try:
        return fn(*args)
    except Err:
        raise
    except Exception as e:  # the call fails with the exception's text
        raise Err(f"{type(e).__name__}: {e}")


def exports(cls):
    """The component's export classes for an Actor subclass (or an instance of one): assign
    them to the names componentize-py looks for,
    `Actor, MessageServerClient = theater.exports(MyActor)`."""
    actor = cls() if isinstance(cls, type) else cls

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


def supervisor_handlers(actor):
    """The supervisor-handlers export class for an Actor instance (the same one given to
    exports): `SupervisorHandlers = theater.supervisor_handlers(actor)`."""
    class SupervisorHandlersExport(_exports.SupervisorHandlers):
        def handle_child_error(self, state, params):
            return (_call(actor.handle_child_error, state, params[0], params[1]),)

        def handle_child_exit(self, state, params):
            return (_call(actor.handle_child_exit, state, params[0], params[1]),)

        def handle_child_external_stop(self, state, params):
            return (_call(actor.handle_child_external_stop, state, params[0]),)

    return SupervisorHandlersExport
