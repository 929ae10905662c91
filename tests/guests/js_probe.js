// A JavaScript test actor (tests/wasi_test.cc), the twin of py_probe.py: each request
// names a probe of WASI 0.2 and is answered with what it saw. (StarlingMonkey has no
// environment or file API: py_probe.py tries those.)
//   time    -> milliseconds since the epoch / 1000 (Date.now())
//   print   -> console.log and console.error; answers "printed"
//   random  -> 16 random bytes as hex (crypto.getRandomValues)
//   services -> Theater's store, clock and random numbers through the SDK (the world is
//              service-actor): {"stored", "now", "uuid", "range"} as JSON
//   fail    -> throws: the call fails, the state stays
import * as theater from './theater/sdk/theater.js';
import * as random from './theater/sdk/random.js';
import * as store from './theater/sdk/store.js';
import * as timing from './theater/sdk/timing.js';

class Probe extends theater.Actor {
  handleRequest(state, requestId, message) {
    const probe = theater.text(message);
    switch (probe) {
      case 'time':
        return [state, String(Date.now() / 1000)];
      case 'print':
        console.log('to stdout from js');
        console.error('to stderr from js');
        return [state, 'printed'];
      case 'random': {
        const b = new Uint8Array(16);
        crypto.getRandomValues(b);
        return [state, Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')];
      }
      case 'services': {
        const id = store.create();
        store.putAt(id, 'greeting', 'hi from the store');
        const stored = theater.text(store.getAt(id, 'greeting'));
        return [state, JSON.stringify({ stored, now: timing.now(), uuid: random.uuid(), range: random.range(10, 20) })];
      }
      case 'fail':
        throw new Error('asked to fail');
      default:
        return [state, 'unknown probe'];
    }
  }
}

const exported = theater.exports(Probe);
export const actor = exported.actor;
export const messageServerClient = exported.messageServerClient;
