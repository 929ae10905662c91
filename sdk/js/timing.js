// Theater's timing interface from JavaScript (recorded in the chain). Needs a world with
// `theater:simple/timing` (full-actor) and the manifest's [[handler]] type = "timing".
// (Date.now() also works, through WASI's clock, when the manifest grants "wasi".)
import * as host from 'theater:simple/timing';

/** Milliseconds since the epoch, as a Number. */
export function now() { return Number(host.now()); }
/** Sleeps this many milliseconds (the actor's turn waits). */
export function sleep(ms) { host.sleep(BigInt(ms)); }
