// The content store from JavaScript. Needs a world with `theater:simple/store`
// (full-actor) and the manifest's [[handler]] type = "store".
import * as host from 'theater:simple/store';

const encoder = new TextEncoder();
const asBytes = (content) => (typeof content === 'string' ? encoder.encode(content) : content);

/** A new store's id. */
export function create() { return host.new(); }
/** Stores content (text or bytes); returns its content reference. */
export function put(storeId, content) { return host.store(storeId, asBytes(content)); }
export function get(storeId, ref) { return host.get(storeId, ref); }
export function exists(storeId, ref) { return host.exists(storeId, ref); }
/** Stores content under a label, replacing what the label named; returns its reference. */
export function putAt(storeId, label, content) { return host.replaceContentAtLabel(storeId, label, asBytes(content)); }
/** The content under a label, or undefined. */
export function getAt(storeId, label) {
  const ref = host.getByLabel(storeId, label);
  return ref === undefined ? undefined : host.get(storeId, ref);
}
export function labels(storeId) { return host.listLabels(storeId); }
export function removeLabel(storeId, label) { host.removeLabel(storeId, label); }
