// @NAME@: a Theater actor in JavaScript, made by `theater new`, written with the JavaScript
// SDK (theater/sdk/theater.js). It answers each request with a greeting and counts the
// requests in its state (JSON). It also says what time it is: WASI's clock, recorded in
// the chain.
//   handle-request  "TEXT" -> "Hello from @NAME@: TEXT (request N)"
//   handle-send     "TEXT" -> written to the console (the actor's log), no answer
import * as theater from './theater/sdk/theater.js';

class Hello extends theater.Actor {
  init(state, actorId) {
    theater.log(`@NAME@ started as ${actorId} at ${new Date().toISOString()}`);
    return theater.dumpJson(theater.loadJson(state, { requests: 0 }));
  }

  handleSend(state, message) {
    console.log(`note: ${theater.text(message)}`);
    return state;
  }

  handleRequest(state, requestId, message) {
    const data = theater.loadJson(state, { requests: 0 });
    data.requests += 1;
    const answer = `Hello from @NAME@: ${theater.text(message)} (request ${data.requests})`;
    return [theater.dumpJson(data), answer];
  }
}

const exported = theater.exports(Hello);
export const actor = exported.actor;
export const messageServerClient = exported.messageServerClient;
