// A JavaScript supervisor of a C worker (tests/wasi_test.cc), the twin of py_boss.py: it
// starts examples/supervision's worker (worker.toml beside its manifest) and passes each
// request on to it. The worker crashes on multiples of 3; the boss hears of it
// (handleChildError, logged) and the runtime restarts the worker.
// State: {"worker": ID, "failures": N} as JSON.
import * as theater from './theater/sdk/theater.js';
import * as supervisor from './theater/sdk/supervisor.js';

class Boss extends theater.Actor {
  init(state, actorId) {
    const data = theater.loadJson(state, { failures: 0 });
    data.worker = supervisor.spawn('worker.toml');
    theater.log(`boss started worker ${data.worker}`);
    return theater.dumpJson(data);
  }

  handleRequest(state, requestId, message) {
    const data = theater.loadJson(state);
    try {
      return [state, 'worker says: ' + theater.text(theater.request(data.worker, message))];
    } catch (e) {
      return [state, 'worker failed: ' + (e && e.payload !== undefined ? e.payload : e)];
    }
  }

  handleChildError(state, childId, error) {
    const data = theater.loadJson(state);
    data.failures += 1;
    theater.log(`child ${childId} failed (${error.errorType}); failures: ${data.failures}`);
    return theater.dumpJson(data);
  }
}

const boss = new Boss();
const exported = theater.exports(boss);
export const actor = exported.actor;
export const messageServerClient = exported.messageServerClient;
export const supervisorHandlers = supervisor.handlers(boss);
