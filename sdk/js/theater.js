// The JavaScript SDK for Theater actors (built with componentize-js; `theater build` does it).
//
// An actor is a class: override what it handles. Every handler gets the actor's state
// (a Uint8Array, or undefined) and returns the new state; handleRequest returns
// [state, answer]. Throw to fail the call: the runtime keeps the state from before it.
//
//     import * as theater from './theater/sdk/theater.js';
//
//     class Hello extends theater.Actor {
//       handleRequest(state, requestId, message) {
//         return [state, theater.bytes('hello ' + theater.text(message))];
//       }
//     }
//
//     const exported = theater.exports(Hello);
//     export const actor = exported.actor;
//     export const messageServerClient = exported.messageServerClient;
//
// Host calls: log, send, request, openChannel, sendOnChannel, closeChannel, shutdown.
// State helpers: loadJson(state, fallback), dumpJson(value); bytes(text), text(bytes).
// Interfaces beyond the message-actor world have modules of their own beside this one
// (supervisor.js, store.js, timing.js, random.js): import one only when the actor's world
// has its interface, since componentize-js imports what the module graph names.
// WASI 0.2 works when the manifest grants it ([[handler]] type = "wasi"): Date, Math.random,
// crypto.getRandomValues and console.log (to the actor's log) are recorded in the chain
// and answered from it on replay.
import * as runtime from 'theater:simple/runtime';
import * as messages from 'theater:simple/message-server-host';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Text as UTF-8 bytes. */
export function bytes(text) {
  return encoder.encode(String(text));
}

/** UTF-8 bytes as text (bad sequences become U+FFFD). */
export function text(data) {
  return data ? decoder.decode(data) : '';
}

/** The state as a JSON value (`fallback` when there is none). */
export function loadJson(state, fallback = null) {
  return state && state.length ? JSON.parse(decoder.decode(state)) : fallback;
}

/** A JSON value as a state. */
export function dumpJson(value) {
  return encoder.encode(JSON.stringify(value));
}

function asBytes(message) {
  return typeof message === 'string' ? bytes(message) : message;
}

/** One line in the actor's log (and its chain). */
export function log(line) {
  runtime.log(String(line));
}

/** A one-way message to another actor (text or bytes). */
export function send(actorId, message) {
  messages.send(actorId, asBytes(message));
}

/** Asks another actor and waits for its answer (bytes); throws when it fails. */
export function request(actorId, message) {
  return messages.request(actorId, asBytes(message));
}

/** Opens a channel to another actor; returns the channel's id. */
export function openChannel(actorId, message) {
  return messages.openChannel(actorId, asBytes(message));
}

export function sendOnChannel(channelId, message) {
  messages.sendOnChannel(channelId, asBytes(message));
}

export function closeChannel(channelId) {
  messages.closeChannel(channelId);
}

/** Answers a request that handleRequest parked (returned no answer for). */
export function respondToRequest(requestId, answer) {
  messages.respondToRequest(requestId, asBytes(answer));
}

/** Asks the runtime to stop this actor after the current call. */
export function shutdown(data) {
  runtime.shutdown(data === undefined ? undefined : asBytes(data));
}

/** Override what the actor handles; the rest keep the state and do nothing. */
export class Actor {
  init(state, actorId) { return state; }
  handleSend(state, message) { return state; }
  /** Returns [state, answer]; an undefined answer parks the request (respondToRequest). */
  handleRequest(state, requestId, message) { return [state, undefined]; }
  /** Returns [state, accepted, message back]. */
  handleChannelOpen(state, channelId, message) { return [state, false, undefined]; }
  handleChannelMessage(state, channelId, message) { return state; }
  handleChannelClose(state, channelId) { return state; }
}

// A handler's exception fails the call with the exception's text. componentize-js makes a
// thrown value's `payload` the `err` of the result.
export function callHandler(fn, self, ...args) {
  try {
    return fn.apply(self, args);
  } catch (e) {
    if (e && typeof e === 'object' && 'payload' in e) throw e;
    const name = e && e.name ? e.name : 'Error';
    const message = e && e.message !== undefined ? e.message : String(e);
    throw { payload: `${name}: ${message}` };
  }
}

// A handler's state as the component model's list<u8> takes it. What the runtime handed in
// comes back as it came (the bindings' byte views need not be this realm's Uint8Array).
export function checkState(value) {
  if (value === undefined || value === null) return undefined;
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return bytes(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  throw { payload: `a handler returned a state that is not bytes (${Object.prototype.toString.call(value)})` };
}

/** The component's exports for an Actor subclass (or instance):
 *  `export const actor = exported.actor; export const messageServerClient = exported.messageServerClient;` */
export function exports(ActorClass) {
  const a = typeof ActorClass === 'function' ? new ActorClass() : ActorClass;
  return {
    actor: {
      init: (s, [actorId]) => [checkState(callHandler(a.init, a, s, actorId))],
    },
    messageServerClient: {
      handleSend: (s, [message]) => [checkState(callHandler(a.handleSend, a, s, message))],
      handleRequest: (s, [requestId, message]) => {
        const [next, answer] = callHandler(a.handleRequest, a, s, requestId, message);
        return [checkState(next), [answer === undefined || answer === null ? undefined : asBytes(answer)]];
      },
      handleChannelOpen: (s, [channelId, message]) => {
        const [next, accepted, back] = callHandler(a.handleChannelOpen, a, s, channelId, message);
        return [checkState(next), [{ accepted: !!accepted, message: back === undefined || back === null ? undefined : asBytes(back) }]];
      },
      handleChannelMessage: (s, [channelId, message]) => [checkState(callHandler(a.handleChannelMessage, a, s, channelId, message))],
      handleChannelClose: (s, [channelId]) => [checkState(callHandler(a.handleChannelClose, a, s, channelId))],
    },
  };
}
