// Supervising from JavaScript: spawn and manage children, hear of their failures.
// Needs a world with `theater:simple/supervisor` (supervisor-actor or full-actor) and the
// manifest's [[handler]] type = "supervisor".
//
//     import * as supervisor from './theater/sdk/supervisor.js';
//     const child = supervisor.spawn('worker/manifest.toml');
//     export const supervisorHandlers = supervisor.handlers(new MySupervisor());
import * as host from 'theater:simple/supervisor';
import { callHandler, checkState } from './theater.js';

/** Starts a child from a manifest (path or TOML text); returns its id. */
export function spawn(manifest, initBytes) {
  return host.spawn(manifest, initBytes);
}

/** Starts a child from a manifest with a given state; returns its id. */
export function resume(manifest, state) {
  return host.resume(manifest, state);
}

export function listChildren() { return host.listChildren(); }
export function stopChild(childId) { host.stopChild(childId); }
export function restartChild(childId) { host.restartChild(childId); }
/** A child's state (Uint8Array or undefined). */
export function childState(childId) { return host.getChildState(childId); }
/** A child's chain events. */
export function childEvents(childId) { return host.getChildEvents(childId); }

/** The supervisor-handlers export for an object with any of handleChildError(state,
 *  childId, error), handleChildExit(state, childId, data), handleChildExternalStop(state,
 *  childId); each returns the new state. The ones left out keep the state. */
export function handlers(impl) {
  const run = (name, s, args) => (impl[name] ? checkState(callHandler(impl[name], impl, s, ...args)) : s);
  return {
    handleChildError: (s, [childId, error]) => [run('handleChildError', s, [childId, error])],
    handleChildExit: (s, [childId, data]) => [run('handleChildExit', s, [childId, data])],
    handleChildExternalStop: (s, [childId]) => [run('handleChildExternalStop', s, [childId])],
  };
}
