// Theater's random interface from JavaScript (recorded in the chain). Needs a world with
// `theater:simple/random` (full-actor) and the manifest's [[handler]] type = "random".
// (Math.random() and crypto.getRandomValues() also work, through WASI, when the manifest
// grants "wasi".)
import * as host from 'theater:simple/random';

export function bytes(length) { return host.randomBytes(length); }
/** An integer in [min, max). */
export function range(min, max) { return Number(host.randomRange(BigInt(min), BigInt(max))); }
export function float() { return host.randomFloat(); }
export function uuid() { return host.generateUuid(); }
