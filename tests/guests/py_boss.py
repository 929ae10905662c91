"""A Python supervisor of a C worker (tests/wasi_test.cc), the twin of js_boss.js: it
starts examples/supervision's worker (worker.toml beside its manifest) and passes each
request on to it. The worker crashes on multiples of 3; the boss hears of it
(handle_child_error, logged) and the runtime restarts the worker.
State: {"worker": ID, "failures": N} as JSON.
"""
import theater


class Boss(theater.Actor):
    def init(self, state, actor_id):
        data = theater.load_json(state, {"failures": 0})
        data["worker"] = theater.spawn("worker.toml")
        theater.log(f"boss started worker {data['worker']}")
        return theater.dump_json(data)

    def handle_request(self, state, request_id, message):
        data = theater.load_json(state)
        try:
            return state, b"worker says: " + theater.request(data["worker"], message)
        except Exception as e:
            return state, f"worker failed: {getattr(e, 'value', e)}".encode()

    def handle_child_error(self, state, child_id, error):
        data = theater.load_json(state)
        data["failures"] += 1
        theater.log(f"child {child_id} failed ({error.error_type.name.lower().replace('_', '-')}); failures: {data['failures']}")
        return theater.dump_json(data)


boss = Boss()
Actor, MessageServerClient = theater.exports(boss)
SupervisorHandlers = theater.supervisor_handlers(boss)
