"""A Python test actor (tests/wasi_test.cc): each request names a probe of WASI 0.2 and is
answered with what it saw.
  time    -> seconds since the epoch (time.time())
  env     -> the environment as JSON
  print   -> prints a line to stdout and one to stderr; answers "printed"
  random  -> 16 random bytes as hex
  file    -> tries to read /etc/hostname (nothing is preopened); answers what happened
  socket  -> tries to resolve and connect; answers what happened
  services -> Theater's store, clock and random numbers through the SDK (the world is
             service-actor): {"stored", "now", "uuid", "range"} as JSON
  fail    -> raises: the call fails, the state stays
"""
import json
import os
import sys
import time

import theater


class Probe(theater.Actor):
    def handle_request(self, state, request_id, message):
        probe = message.decode()
        if probe == "time":
            return state, repr(time.time()).encode()
        if probe == "env":
            return state, json.dumps(dict(os.environ), sort_keys=True).encode()
        if probe == "print":
            print("to stdout from python")
            print("to stderr from python", file=sys.stderr)
            sys.stdout.flush()
            sys.stderr.flush()
            return state, b"printed"
        if probe == "random":
            return state, os.urandom(16).hex().encode()
        if probe == "file":
            try:
                with open("/etc/hostname") as f:
                    return state, b"READ " + f.read().encode()
            except OSError as e:
                return state, f"refused: {type(e).__name__}".encode()
        if probe == "services":
            store_id = theater.store.create()
            theater.store.put_at(store_id, "greeting", b"hi from the store")
            stored = theater.store.get_at(store_id, "greeting").decode()
            return state, json.dumps({"stored": stored, "now": theater.now_ms(), "uuid": theater.random_uuid(),
                                      "range": theater.random_range(10, 20)}).encode()
        if probe == "fail":
            raise RuntimeError("asked to fail")
        return state, b"unknown probe"


Actor, MessageServerClient = theater.exports(Probe)
