"""@NAME@: a Theater actor in Python, made by `theater new`, written with the Python SDK
(theater/sdk/theater.py). It answers each request with a greeting and counts the requests
in its state (JSON). It also says what time it is: WASI's clock, recorded in the chain.
  handle-request  "TEXT" -> "Hello from @NAME@: TEXT (request N)"
  handle-send     "TEXT" -> printed to stdout (the actor's log), no answer
"""
import time

import theater


class Hello(theater.Actor):
    def init(self, state, actor_id):
        theater.log(f"@NAME@ started as {actor_id} at {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC")
        return theater.dump_json(theater.load_json(state, {"requests": 0}))

    def handle_send(self, state, message):
        print(f"note: {message.decode(errors='replace')}")
        return state

    def handle_request(self, state, request_id, message):
        data = theater.load_json(state, {"requests": 0})
        data["requests"] += 1
        answer = f"Hello from @NAME@: {message.decode(errors='replace')} (request {data['requests']})"
        return theater.dump_json(data), answer.encode()


Actor, MessageServerClient = theater.exports(Hello)
