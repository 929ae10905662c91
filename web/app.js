// Theater dashboard: a single page that speaks the management protocol (docs/protocol.md)
// over the server's WebSocket at /ws, one JSON document per text message.
//
// Read top-down:
//   1. limits and DOM helpers      (actor data is attacker text: it only ever becomes text nodes)
//   2. bytes and values            (states, messages, event data)
//   3. Connection                  (one socket: hand-shake, FIFO of pending commands, streams)
//   4. the live and action sockets (reconnect, token, connection indicator)
//   5. errors area
//   6. the actor tree              (virtualized: only visible rows are in the DOM)
//   7. the actor page              (summary, manifest, state, actions, timeline)
//   8. the server page
//   9. routing and start-up
'use strict';

// ---------------------------------------------------------------------------------------------
// 1. Limits and DOM helpers
// ---------------------------------------------------------------------------------------------

// Everything the page keeps is bounded: a hostile actor can make chains, names and states large.
const LIMITS = {
  timelineEvents: 2000,   // events kept per open timeline (oldest dropped, and the page says so)
  pageSize: 200,          // events fetched at a time
  pendingCommands: 256,   // commands waiting for their response, per socket
  errorsShown: 6,         // error messages on screen
  hexBytes: 4096,         // bytes shown of a binary state or message
  textChars: 65536,       // characters shown of a text state, manifest or pretty value
  rawChars: 1 << 20,      // characters of an event's raw JSON
  childrenShown: 200,     // children links on an actor page
  summaryChars: 160,      // one-line summaries
};
const TREE_ROW_H = 28;    // fixed row height (style.css --row-h): the tree is virtualized on it
const TREE_OVERSCAN = 12; // rows rendered above and below the visible ones
const STATUSES = new Set(['starting', 'running', 'restarting', 'stopping', 'stopped', 'failed']);

// Creates an element. Children are nodes or strings; strings become text nodes, never HTML.
// props: class, testid, text, dataset, on<event> (listeners), anything else an attribute.
function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props) {
    for (const [key, value] of Object.entries(props)) {
      if (value == null || value === false) continue;
      if (key === 'class') el.className = value;
      else if (key === 'testid') el.dataset.testid = value;
      else if (key === 'text') el.textContent = String(value);
      else if (key === 'dataset') Object.assign(el.dataset, value);
      else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  for (const child of children.flat()) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

// replaceChildren, skipping null/false (which replaceChildren itself would turn into text).
function fill(el, ...children) {
  el.replaceChildren(...children.flat().filter((c) => c != null && c !== false));
}

// "theater:simple/runtime/log" reads as "runtime/log": the contract's prefix is on every name.
function shortName(s) {
  s = String(s ?? '?');
  return s.startsWith('theater:simple/') ? s.slice('theater:simple/'.length) : s;
}

// Writes only when the text changed (the tree and the server page rewrite often).
function setText(el, text) { const s = String(text); if (el.textContent !== s) el.textContent = s; }
function truncate(s, max) { s = String(s); return s.length > max ? s.slice(0, max - 1) + '…' : s; }

function shortId(id) { return typeof id === 'string' ? id.slice(0, 8) : '?'; }
function actorHref(id, seq) { return '#/actor/' + encodeURIComponent(id) + (seq == null ? '' : '/event/' + seq); }
function actorLink(id, label) { return h('a', { href: actorHref(id), class: 'mono', title: id }, label ?? id); }
function statusClass(status) { return 'status status-' + (STATUSES.has(status) ? status : 'unknown'); }

// A definition list from [label, value] pairs; a value is a node, a string or null (skipped).
function fields(pairs, extraClass) {
  const dl = h('dl', { class: 'fields' + (extraClass ? ' ' + extraClass : '') });
  for (const [label, value, testid] of pairs) {
    if (value == null) continue;
    dl.append(h('dt', null, label), h('dd', { testid }, value));
  }
  return dl;
}

function formatTime(ms) {
  if (typeof ms !== 'number') return '?';
  const d = new Date(ms);
  const p = (n, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

function formatDuration(ms) {
  if (typeof ms !== 'number' || !isFinite(ms)) return '?';
  let s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400); s -= d * 86400;
  const hr = Math.floor(s / 3600); s -= hr * 3600;
  const m = Math.floor(s / 60); s -= m * 60;
  if (d) return `${d} d ${hr} h ${m} min`;
  if (hr) return `${hr} h ${m} min ${s} s`;
  if (m) return `${m} min ${s} s`;
  return `${s} s`;
}

// ---------------------------------------------------------------------------------------------
// 2. Bytes and values
// ---------------------------------------------------------------------------------------------

// The page asks for base64 (SetBytesEncoding), but reads every form the protocol allows.
function bytesFromWire(v) {
  if (v == null) return null;
  if (Array.isArray(v)) return Uint8Array.from(v, (n) => n & 255);
  if (typeof v === 'object' && typeof v.base64 === 'string') return base64ToBytes(v.base64);
  if (typeof v === 'string') return new TextEncoder().encode(v);
  return null;
}

function base64ToBytes(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function bytesToBase64(bytes) {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

// The server's rule: standard alphabet, padded, no whitespace, unused bits zero. Re-encoding
// what atob read is the simplest exact check of all four.
function isStrictBase64(s) {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) return false;
  try { return bytesToBase64(base64ToBytes(s)) === s; } catch { return false; }
}

// Control characters and bidirectional overrides make text lie about itself: such bytes are
// shown as hex instead.
const UNPRINTABLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/;

// How to show bytes: {kind: 'none'|'empty'|'text'|'json'|'hex', text}.
function describeBytes(bytes) {
  if (bytes == null) return { kind: 'none', text: '(none)' };
  if (bytes.length === 0) return { kind: 'empty', text: '(0 bytes)' };
  let text = null;
  try { text = new TextDecoder('utf-8', { fatal: true }).decode(bytes); } catch { text = null; }
  if (text != null && !UNPRINTABLE.test(text)) {
    const first = text.trimStart()[0];
    if (first === '{' || first === '[') {
      try { return { kind: 'json', text: truncate(JSON.stringify(JSON.parse(text), null, 2), LIMITS.textChars) }; } catch { /* text */ }
    }
    const more = text.length > LIMITS.textChars ? `\n… ${text.length - LIMITS.textChars} more characters` : '';
    return { kind: 'text', text: text.slice(0, LIMITS.textChars) + more };
  }
  return { kind: 'hex', text: hexDump(bytes, LIMITS.hexBytes) };
}

function hexDump(bytes, max) {
  const n = Math.min(bytes.length, max);
  const lines = [];
  for (let off = 0; off < n; off += 16) {
    const row = bytes.subarray(off, Math.min(off + 16, n));
    const hex = Array.from(row, (b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = Array.from(row, (b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${off.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  if (bytes.length > max) lines.push(`… ${bytes.length - max} more bytes`);
  return lines.join('\n');
}

function bytesBlock(bytes, testid) {
  const d = describeBytes(bytes);
  const label = { none: 'no value', empty: 'empty', text: 'text', json: 'JSON', hex: 'binary (hex)' }[d.kind];
  const size = bytes ? `${bytes.length} bytes, ` : '';
  return h('div', { testid, dataset: { kind: d.kind } },
    h('div', { class: 'note' }, size + label), h('pre', null, d.text));
}

// Event data is "readable JSON" (protocol section 7): byte strings are {"utf8"} or {"hex"},
// states and large byte strings are {"sha256","size"} references.
function isObj(v) { return v !== null && typeof v === 'object' && !Array.isArray(v); }
function onlyKeys(v, ...keys) { return isObj(v) && Object.keys(v).length === keys.length && keys.every((k) => k in v); }

// One line, bounded while it is built (a value may be megabytes).
function compact(value, max = LIMITS.summaryChars) {
  let out = '';
  const put = (s) => { out += s; return out.length < max; };
  const walk = (v, depth) => {
    if (out.length >= max) return false;
    if (depth > 32) return put('…');
    if (v === null || v === undefined) return put('null');
    if (typeof v === 'string') return put(JSON.stringify(v.length > max ? v.slice(0, max) : v));
    if (typeof v !== 'object') return put(String(v));
    if (onlyKeys(v, 'utf8')) return put(JSON.stringify(String(v.utf8).slice(0, max)));
    if (onlyKeys(v, 'hex')) return put('0x' + String(v.hex).slice(0, max));
    if (onlyKeys(v, 'sha256', 'size')) return put(`<${v.size} bytes ${String(v.sha256).slice(0, 8)}…>`);
    if (onlyKeys(v, 'some')) return walk(v.some, depth + 1);
    if (Array.isArray(v)) {
      if (!put('[')) return false;
      for (let i = 0; i < v.length; i++) {
        if (i && !put(', ')) return false;
        if (!walk(v[i], depth + 1)) return false;
      }
      return put(']');
    }
    if (!put('{')) return false;
    let first = true;
    for (const [k, x] of Object.entries(v)) {
      if (!first && !put(', ')) return false;
      first = false;
      if (!put(k + ': ') || !walk(x, depth + 1)) return false;
    }
    return put('}');
  };
  walk(value, 0);
  return out.length > max ? out.slice(0, max - 1) + '…' : out;
}

// Pretty, multi-line and bounded: utf8 byte strings become their text.
function pretty(value) {
  const simplify = (v, depth) => {
    if (depth > 64 || v === null || typeof v !== 'object') return v;
    if (onlyKeys(v, 'utf8')) return v.utf8;
    if (onlyKeys(v, 'hex')) return '0x' + v.hex;
    if (Array.isArray(v)) return v.map((x) => simplify(x, depth + 1));
    const o = {};
    for (const [k, x] of Object.entries(v)) o[k] = simplify(x, depth + 1);
    return o;
  };
  const s = typeof value === 'string' ? value : JSON.stringify(simplify(value, 0), null, 2);
  return s.length > LIMITS.textChars ? s.slice(0, LIMITS.textChars) + `\n… ${s.length - LIMITS.textChars} more characters` : s;
}

// ---------------------------------------------------------------------------------------------
// 3. Connection: one WebSocket, one protocol document per text message
// ---------------------------------------------------------------------------------------------

// Streamed messages are told apart from responses by their tag (protocol section 4). Anything
// else answers the oldest command still waiting.
const STREAM_TAGS = new Set(['ActorEvent', 'SubscriptionLagged', 'ActorChanged', 'WatchLagged',
  'ActorError', 'ActorExit', 'ActorFinished', 'ChannelMessage']);

// The response tag each command expects: anything else is reported, not guessed at.
const RESPONSE_TAG = {
  Authenticate: 'Authenticated', GetServerInfo: 'ServerInfo', SetBytesEncoding: 'BytesEncoding',
  ListActors: 'ActorList', WatchActors: 'Watching', InspectActor: 'ActorInspection',
  GetActorManifest: 'ActorManifest', GetActorState: 'ActorState', GetActorEvents: 'ActorEvents',
  SubscribeToActor: 'Subscribed', UnsubscribeFromActor: 'Unsubscribed', FindEvent: 'EventFound',
  SendActorMessage: 'SentMessage', RequestActorMessage: 'RequestedMessage', StopActor: 'ActorStopped',
  RestartActor: 'ActorRestarted', VerifyActor: 'ActorVerified', ReplayActor: 'ActorReplayed',
  StartActor: 'ActorStarted',
};

class ProtocolError extends Error {
  constructor(kind, message) {
    super(`${kind}: ${message}`);
    this.kind = String(kind);
    this.detail = String(message);
  }
}

function wsUrl() { return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws'; }

class Connection {
  constructor(name, { onStream, onClose }) {
    this.name = name;
    this.onStream = onStream;
    this.onClose = onClose;
    this.ws = null;
    this.ready = null;       // promise of the hand-shake, while a socket is open or opening
    this.pending = [];       // FIFO of {resolve, reject, expect}
    this.generation = 0;     // which socket: subscriptions belong to one
  }

  get isOpen() { return this.ws !== null && this.ws.readyState === WebSocket.OPEN && this.handshaken; }

  // Opens the socket if needed; resolves once commands may be sent: authenticated (or the
  // server answered GetServerInfo without a token) and bytes come as base64.
  connect() {
    if (this.ready) return this.ready;
    const ws = new WebSocket(wsUrl());
    this.ws = ws;
    this.handshaken = false;
    this.generation++;
    this.ready = new Promise((resolve, reject) => {
      ws.onopen = async () => {
        try {
          const token = Token.get();
          if (token) await this.raw({ Authenticate: { token } });
          else await this.raw({ GetServerInfo: {} });
          await this.raw({ SetBytesEncoding: { encoding: 'base64' } });
          this.handshaken = true;
          resolve();
        } catch (e) {
          reject(e);
          ws.close();
        }
      };
      ws.onmessage = (ev) => { if (this.ws === ws) this.receive(ev.data); };
      ws.onerror = () => { /* onclose follows and says it */ };
      ws.onclose = () => {
        if (this.ws !== ws) return;
        const wasOpen = this.handshaken;
        this.ws = null;
        this.ready = null;
        this.handshaken = false;
        const gone = this.pending;
        this.pending = [];
        const err = new ProtocolError('Disconnected', `the ${this.name} connection to the server closed`);
        for (const p of gone) p.reject(err);
        reject(err); // no effect once resolved
        this.onClose(wasOpen);
      };
    });
    return this.ready;
  }

  // Sends a command on the open socket; resolves with the response's fields.
  raw(command) {
    const name = typeof command === 'string' ? command : Object.keys(command)[0];
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) {
      return Promise.reject(new ProtocolError('Disconnected', `not connected (${name})`));
    }
    if (this.pending.length >= LIMITS.pendingCommands) {
      return Promise.reject(new ProtocolError('Busy', `${this.pending.length} commands are already waiting for the server`));
    }
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject, expect: RESPONSE_TAG[name], name });
      this.ws.send(JSON.stringify(command));
    });
  }

  async send(command) {
    await this.connect();
    return this.raw(command);
  }

  receive(text) {
    let msg;
    try { msg = JSON.parse(text); } catch { return Errors.show('InvalidJson', `the server sent a message that is not JSON (${this.name} connection)`); }
    const tag = typeof msg === 'string' ? msg : isObj(msg) ? Object.keys(msg)[0] : undefined;
    const body = isObj(msg) ? msg[tag] : {};
    if (tag === undefined) return Errors.show('Protocol', `the server sent a message without a tag (${this.name} connection)`);
    // ChannelClosed is a response only to CloseChannel, which the page never sends.
    if (STREAM_TAGS.has(tag) || tag === 'ChannelClosed') return this.onStream(tag, body || {});
    const p = this.pending.shift();
    if (!p) return Errors.show('Protocol', `the server sent ${tag} when no command was waiting (${this.name} connection)`);
    if (tag === 'Error') p.reject(new ProtocolError(body?.kind ?? 'Error', body?.message ?? ''));
    else if (p.expect && tag !== p.expect) p.reject(new ProtocolError('UnexpectedResponse', `${p.name} was answered ${tag}, expected ${p.expect}`));
    else p.resolve(body || {});
  }

  close() { if (this.ws) this.ws.close(); }
}

// ---------------------------------------------------------------------------------------------
// 4. The live and action sockets, the token, the connection indicator
// ---------------------------------------------------------------------------------------------

// The token comes from the fragment (#token=X, or #/route?token=X) or sessionStorage; it is
// removed from the address bar at once so it is not left in history or screenshots.
const Token = {
  get() { try { return sessionStorage.getItem('theaterToken') || ''; } catch { return ''; } },
  set(t) { try { if (t) sessionStorage.setItem('theaterToken', t); else sessionStorage.removeItem('theaterToken'); } catch { /* private mode */ } },
  takeFromUrl() {
    const hash = location.hash.replace(/^#/, '');
    const q = hash.indexOf('?');
    const query = q >= 0 ? hash.slice(q + 1) : hash.startsWith('token=') ? hash : '';
    if (!query) return;
    const params = new URLSearchParams(query);
    const token = params.get('token');
    if (token == null) return;
    Token.set(token);
    params.delete('token');
    const route = q >= 0 ? hash.slice(0, q) : '/';
    const rest = params.toString();
    history.replaceState(null, '', '#' + route + (rest ? '?' + rest : ''));
  },
};

// The live socket carries the watch, the periodic lists and the page's subscription: nothing
// on it waits long. Requests, stops, restarts, verifies, replays and starts go on the action
// socket, so the live view never stalls behind them.
const live = {
  conn: null,
  backoff: 1000,
  timer: null,
  up: false,
  needsToken: false,

  async start() {
    clearTimeout(this.timer);
    this.timer = null;
    try {
      await this.conn.connect();
    } catch (e) {
      if (e.kind === 'Unauthorized') { askForToken(e); return; }
      this.retry();
      return;
    }
    this.up = true;
    this.needsToken = false;
    this.backoff = 1000;
    showConnection();
    onLive();
  },

  retry() {
    this.up = false;
    showConnection();
    if (this.timer || this.needsToken) return;
    const wait = this.backoff;
    connectionEl().title = `next attempt in ${wait / 1000} s`;
    this.timer = setTimeout(() => { this.timer = null; this.start(); }, wait);
    this.backoff = Math.min(this.backoff * 2, 10000);
  },

  closed(wasOpen) { if (wasOpen) this.retry(); },
};
live.conn = new Connection('live', { onStream: onStream, onClose: (wasOpen) => live.closed(wasOpen) });

// Opened when an action needs it; the server may close it when idle, and it is reopened then.
const action = new Connection('action', { onStream: () => {}, onClose: () => {} });

async function act(command) {
  try {
    return await action.send(command);
  } catch (e) {
    if (e.kind === 'Unauthorized') askForToken(e);
    throw e;
  }
}

function connectionEl() { return document.getElementById('connection'); }

function showConnection() {
  const el = connectionEl();
  const text = live.up ? 'live' : live.needsToken ? 'token required' : 'reconnecting…';
  setText(el, text);
  el.classList.toggle('live', live.up);
  if (live.up) el.title = 'connected to ' + location.host;
}

function askForToken(err) {
  live.needsToken = true;
  live.up = false;
  showConnection();
  const form = document.getElementById('token-form');
  form.hidden = false;
  setText(document.getElementById('token-hint'), Token.get() ? `the server refused the token (${err.detail})` : '');
  document.getElementById('token-input').focus();
}

function setUpTokenForm() {
  const form = document.getElementById('token-form');
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const input = document.getElementById('token-input');
    if (!input.value) { setText(document.getElementById('token-hint'), 'enter the token'); return; }
    Token.set(input.value);
    input.value = '';
    form.hidden = true;
    live.needsToken = false;
    action.close();
    live.start();
  });
}

// Called each time the live socket is (re)connected: the list, the watch, the open page.
function onLive() {
  Tree.startWatching();
  if (ActorPage.current) ActorPage.current.sync();
  if (ServerPage.current) ServerPage.current.poll();
}

function onStream(tag, body) {
  switch (tag) {
    case 'ActorChanged': Tree.changed(body); if (ActorPage.current) ActorPage.current.actorChanged(body); break;
    case 'WatchLagged': Tree.refreshList(); break;
    case 'ActorEvent': if (ActorPage.current) ActorPage.current.streamEvent(body); break;
    case 'SubscriptionLagged': if (ActorPage.current) ActorPage.current.lagged(body); break;
    default: break; // parent notices and channels: the page opens neither
  }
}

// ---------------------------------------------------------------------------------------------
// 5. Errors area: every command error and bad input, with its kind, until dismissed
// ---------------------------------------------------------------------------------------------

const Errors = {
  show(kind, message) {
    const box = document.getElementById('errors');
    const item = h('div', { class: 'error-item' },
      h('span', { class: 'kind' }, kind),
      h('span', { class: 'msg' }, truncate(message, 2000)),
      h('button', { type: 'button', title: 'dismiss', onclick: () => item.remove() }, '×'));
    box.append(item);
    while (box.children.length > LIMITS.errorsShown) box.firstElementChild.remove();
  },
  // A failed command: shown unless it only failed because the live socket dropped (the
  // indicator says that, and the page re-syncs when it is back).
  fromCommand(e, what) {
    if (e instanceof ProtocolError) {
      if (e.kind === 'Disconnected' && !what) return;
      Errors.show(e.kind, what ? `${what}: ${e.detail}` : e.detail);
    } else {
      Errors.show('Error', (what ? what + ': ' : '') + (e && e.message ? e.message : String(e)));
      console.error(e);
    }
  },
};

// ---------------------------------------------------------------------------------------------
// 6. The actor tree: every actor in a Map by id, flattened into rows, only visible rows drawn
// ---------------------------------------------------------------------------------------------

const Tree = {
  actors: new Map(),      // id -> summary {id,name,status,parent,restarts,events,mailbox,failure}
  collapsed: new Set(),   // ids whose children are hidden
  filter: '',
  rows: [],               // [{id, depth, hasChildren, match}] in display order
  rowEls: new Map(),      // id -> row element, for visible rows only
  dirty: true,
  frame: 0,
  listLoop: 0,            // generation of the periodic ListActors loop
  listTimer: null,
  el: null,               // the view (built once, attached when the route is #/)

  async startWatching() {
    const gen = live.conn.generation;
    try {
      await this.refreshList();
      if (gen !== live.conn.generation) return;
      await live.conn.send({ WatchActors: {} });
    } catch (e) {
      Errors.fromCommand(e);
    }
  },

  // ListActors now, then again after max(3 s, 20 × how long it took): counts change without
  // lifecycle events, and a large list must not keep the server busy.
  async refreshList() {
    const loop = ++this.listLoop;
    clearTimeout(this.listTimer);
    const t0 = performance.now();
    try {
      const [list, info] = await Promise.all([live.conn.send({ ListActors: {} }), live.conn.send({ GetServerInfo: {} })]);
      this.applyList(Array.isArray(list.actors) ? list.actors : []);
      showServerSummary(info);
    } catch (e) {
      Errors.fromCommand(e);
    }
    const took = performance.now() - t0;
    if (loop === this.listLoop && live.up) this.listTimer = setTimeout(() => this.refreshList(), Math.max(3000, 20 * took));
  },

  applyList(list) {
    const next = new Map();
    for (const a of list) if (a && typeof a.id === 'string') next.set(a.id, a);
    this.actors = next;
    this.markDirty();
  },

  changed(summary) {
    if (!summary || typeof summary.id !== 'string') return;
    const old = this.actors.get(summary.id);
    this.actors.set(summary.id, old ? { ...old, ...summary } : summary);
    this.markDirty();
  },

  markDirty() { this.dirty = true; this.schedule(); },

  schedule() {
    if (this.frame || !this.el || !this.el.isConnected) return;
    this.frame = requestAnimationFrame(() => { this.frame = 0; this.render(); });
  },

  // Children under parents, in the order the server lists them. Iterative: a hostile tree
  // may be thousands deep, and a parent link to a missing actor makes a root.
  flatten() {
    const children = new Map();
    const roots = [];
    for (const a of this.actors.values()) {
      const p = a.parent;
      if (typeof p === 'string' && p !== a.id && this.actors.has(p)) {
        if (!children.has(p)) children.set(p, []);
        children.get(p).push(a.id);
      } else {
        roots.push(a.id);
      }
    }
    const q = this.filter.toLowerCase();
    let keep = null;
    if (q) {
      keep = new Set();
      for (const a of this.actors.values()) {
        if (!matches(a, q)) continue;
        // The match and its ancestors, so it is shown where it is in the tree.
        for (let id = a.id, n = 0; id && !keep.has(id) && n < 100000; n++) {
          keep.add(id);
          id = this.actors.get(id)?.parent;
        }
      }
    }
    const rows = [];
    const seen = new Set();
    const stack = roots.slice().reverse().map((id) => [id, 0]);
    while (stack.length) {
      const [id, depth] = stack.pop();
      if (seen.has(id) || (keep && !keep.has(id))) continue;
      seen.add(id);
      const kids = children.get(id) || [];
      rows.push({ id, depth, hasChildren: kids.length > 0, match: !!q && matches(this.actors.get(id), q) });
      if (kids.length && (q || !this.collapsed.has(id))) {
        for (let i = kids.length - 1; i >= 0; i--) stack.push([kids[i], depth + 1]);
      }
    }
    // Actors caught in a parent cycle (only a broken server could send one) still show.
    if (!q && seen.size < this.actors.size) {
      for (const id of this.actors.keys()) if (!seen.has(id)) rows.push({ id, depth: 0, hasChildren: false, match: false });
    }
    this.rows = rows;
  },

  build() {
    const filter = h('input', {
      type: 'search', placeholder: 'filter by id, name or status', testid: 'tree-filter',
      oninput: (ev) => { this.filter = ev.target.value.trim(); this.viewport.scrollTop = 0; this.markDirty(); },
    });
    this.countEl = h('span', { testid: 'actor-count' }, '0');
    this.shownEl = h('span', { class: 'muted' });
    this.viewport = h('div', { class: 'tree-viewport', testid: 'tree' });
    this.spacer = h('div', { class: 'tree-spacer' });
    this.viewport.append(this.spacer);
    this.viewport.addEventListener('scroll', () => this.schedule(), { passive: true });
    window.addEventListener('resize', () => this.schedule());
    this.el = h('div', { class: 'tree-view' },
      StartForm.build(),
      h('div', { class: 'tree-toolbar' },
        filter,
        h('span', null, 'actors: ', this.countEl),
        this.shownEl,
        h('button', { type: 'button', onclick: () => { this.collapsed.clear(); this.markDirty(); } }, 'expand all')),
      h('div', { class: 'tree-header' },
        h('span', null, 'actor'), h('span', null, 'status'), h('span', { class: 'num' }, 'restarts'),
        h('span', { class: 'num' }, 'mailbox'), h('span', { class: 'num' }, 'events'), h('span', null, 'last failure')),
      this.viewport);
    return this.el;
  },

  show(view) {
    if (!this.el) this.build();
    view.replaceChildren(this.el);
    this.markDirty();
  },

  // Draws the rows in view (plus overscan), reusing the elements of rows still in view.
  render() {
    if (this.dirty) { this.flatten(); this.dirty = false; }
    setText(this.countEl, this.actors.size);
    setText(this.shownEl, this.filter ? `${this.rows.length} shown` : '');
    const total = this.rows.length;
    this.spacer.style.height = total * TREE_ROW_H + 'px';
    const top = this.viewport.scrollTop;
    const height = this.viewport.clientHeight || 600;
    const first = Math.max(0, Math.floor(top / TREE_ROW_H) - TREE_OVERSCAN);
    const last = Math.min(total, Math.ceil((top + height) / TREE_ROW_H) + TREE_OVERSCAN);
    const keep = new Map();
    for (let i = first; i < last; i++) {
      const row = this.rows[i];
      const a = this.actors.get(row.id);
      if (!a) continue;
      let el = this.rowEls.get(row.id);
      if (!el) { el = this.makeRow(row.id); this.spacer.append(el); }
      this.fillRow(el, row, a, i);
      keep.set(row.id, el);
    }
    for (const [id, el] of this.rowEls) if (!keep.has(id)) el.remove();
    this.rowEls = keep;
  },

  makeRow(id) {
    const toggle = h('button', { type: 'button', class: 'toggle', 'aria-label': 'collapse or expand' });
    toggle.addEventListener('click', (ev) => {
      ev.stopPropagation();
      if (this.collapsed.has(id)) this.collapsed.delete(id); else this.collapsed.add(id);
      this.markDirty();
    });
    const el = h('div', { class: 'actor-row', testid: 'actor-row', dataset: { actorId: id }, role: 'row' },
      h('span', { class: 'name-cell' }, toggle,
        h('a', { class: 'name', href: actorHref(id) }), h('span', { class: 'short-id' }, shortId(id))),
      h('span', { testid: 'actor-status' }),
      h('span', { class: 'num', testid: 'actor-restarts' }),
      h('span', { class: 'num', testid: 'actor-mailbox' }),
      h('span', { class: 'num', testid: 'actor-events' }),
      h('span', { class: 'failure', testid: 'actor-failure' }));
    el.addEventListener('click', (ev) => { if (!ev.target.closest('a')) location.hash = actorHref(id); });
    el._parts = {
      toggle, cell: el.children[0], name: el.querySelector('.name'), status: el.children[1],
      restarts: el.children[2], mailbox: el.children[3], events: el.children[4], failure: el.children[5],
    };
    return el;
  },

  fillRow(el, row, a, index) {
    const p = el._parts;
    el.style.top = index * TREE_ROW_H + 'px';
    p.cell.style.paddingLeft = Math.min(row.depth, 40) * 16 + 'px';
    p.toggle.classList.toggle('leaf', !row.hasChildren);
    setText(p.toggle, row.hasChildren ? (this.collapsed.has(row.id) && !this.filter ? '▸' : '▾') : '');
    el.classList.toggle('match', row.match);
    setText(p.name, truncate(a.name ?? '(no name)', 200));
    p.name.title = a.name ?? '';
    setText(p.status, a.status ?? '?');
    p.status.className = statusClass(a.status);
    setText(p.restarts, a.restarts ?? 0);
    setText(p.mailbox, a.mailbox ?? '–');
    setText(p.events, a.events ?? '–');
    const f = isObj(a.failure) ? a.failure : a.last_failure;
    const failure = isObj(f) ? `${f.kind ?? 'failure'}: ${f.message ?? ''}` : '';
    setText(p.failure, truncate(failure, 120));
    p.failure.title = truncate(failure, 2000);
  },
};

function matches(a, q) {
  return !!a && (a.id.toLowerCase().includes(q) || String(a.name ?? '').toLowerCase().includes(q) || String(a.status ?? '') === q);
}

function showServerSummary(info) {
  if (!info) return;
  const parts = [`Theater ${info.version ?? '?'}`, `listen ${info.listen ?? '?'}`, `${info.actors ?? '?'} running`,
    `${info.connections ?? '?'} connections`, `up ${formatDuration(info.uptime_ms)}`];
  setText(document.getElementById('server-summary'), parts.join(' · '));
}

// The "Start actor" form: a manifest path (absolute, on the server's machine) or TOML text.
const StartForm = {
  build() {
    const manifest = h('textarea', { placeholder: '/absolute/path/manifest.toml  — or the manifest as TOML (component as an absolute path)', testid: 'start-manifest', rows: 3 });
    const state = h('input', { type: 'text', placeholder: 'initial state (optional)', testid: 'start-state' });
    const encoding = h('select', { testid: 'start-state-encoding' },
      h('option', { value: 'text' }, 'text'), h('option', { value: 'base64' }, 'base64'));
    const result = h('div', { class: 'result', testid: 'start-result' });
    const button = h('button', { type: 'submit', testid: 'start-submit' }, 'Start actor');
    const form = h('form', { class: 'panel start-form' },
      h('h2', null, 'Start actor'), manifest,
      h('div', { class: 'line' }, state, encoding, button), result);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const text = manifest.value;
      result.replaceChildren();
      const bad = (msg) => { setText(result, msg); result.className = 'result bad-text'; Errors.show('BadInput', msg); };
      if (!text.trim()) return bad('the manifest is empty: give an absolute path or the manifest as TOML');
      const inline = text.includes('\n') || text.includes('=');
      if (!inline && !text.trim().startsWith('/')) return bad('a manifest path must be absolute (it is read on the server\'s machine)');
      const command = { manifest: inline ? text : text.trim() };
      const base64 = encoding.value === 'base64';
      if (base64 && !isStrictBase64(state.value)) return bad('the initial state is not valid base64 (standard alphabet, padded, no spaces)');
      if (state.value !== '') command.initial_state = base64 ? { base64: state.value } : state.value;
      button.disabled = true;
      result.className = 'result';
      setText(result, 'starting…');
      try {
        const r = await act({ StartActor: command });
        result.replaceChildren('started ', actorLink(r.id));
        Tree.refreshList();
      } catch (e) {
        setText(result, `error: ${e.kind ?? ''}: ${e.detail ?? e.message}`);
        result.className = 'result bad-text';
        Errors.fromCommand(e, 'StartActor');
      } finally {
        button.disabled = false;
      }
    });
    return form;
  },
};

// ---------------------------------------------------------------------------------------------
// 7. The actor page: summary, manifest, state, actions and the chain as a live timeline
// ---------------------------------------------------------------------------------------------

class ActorPage {
  constructor(id) {
    this.id = id;
    this.events = new Map();   // seq -> event, at most LIMITS.timelineEvents
    this.seqs = [];            // the keys, sorted
    this.rowEls = new Map();   // seq -> .event element
    this.gapEls = new Map();   // first missing seq -> gap element
    this.dropped = 0;          // events dropped from view to keep the bound
    this.selected = null;      // selected seq (from the route)
    this.subId = null;         // the live subscription, and the socket it belongs to
    this.subGen = -1;
    this.syncing = false;      // loading the window and subscribing
    this.closed = false;       // left: late responses are dropped
    this.summaryTimer = null;
    this.renderFrame = 0;
    this.build();
  }

  static open(id, seq, view) {
    if (ActorPage.current && ActorPage.current.id === id) {
      ActorPage.current.select(seq);
      return;
    }
    ActorPage.close();
    const page = new ActorPage(id);
    ActorPage.current = page;
    view.replaceChildren(page.el);
    page.selected = seq;
    if (live.up) page.sync();
  }

  static close() {
    const page = ActorPage.current;
    if (!page) return;
    ActorPage.current = null;
    page.closed = true;
    clearTimeout(page.summaryTimer);
    clearTimeout(page.catchUpTimer);
    page.unsubscribe();
  }

  unsubscribe() {
    if (this.subId && this.subGen === live.conn.generation && live.conn.isOpen) {
      live.conn.send({ UnsubscribeFromActor: { id: this.id, subscription_id: this.subId } }).catch((e) => Errors.fromCommand(e));
    }
    this.subId = null;
  }

  build() {
    const id = this.id;
    this.titleEl = h('h1', null, id);
    this.statusEl = h('span', { class: 'status' });
    this.summaryEl = h('div', { testid: 'actor-summary' }, h('span', { class: 'muted' }, 'loading…'));
    this.manifestEl = h('div', { testid: 'actor-manifest' }, h('span', { class: 'muted' }, 'loading…'));
    this.stateEl = h('div', { testid: 'actor-state' }, h('span', { class: 'muted' }, 'loading…'));
    this.timelineEl = h('div', { class: 'timeline', testid: 'timeline' });
    this.timelineNote = h('span', { class: 'note', testid: 'timeline-note' });
    this.loadEarlierBtn = h('button', { type: 'button', testid: 'load-earlier', onclick: () => this.loadEarlier() }, 'load earlier');
    this.el = h('div', { class: 'actor-page', testid: 'actor-page', dataset: { actorId: id } },
      h('div', { class: 'panel actor-head' }, this.titleEl, this.statusEl, h('span', { class: 'mono muted' }, id),
        h('a', { href: '#/' }, '← all actors')),
      h('div', { class: 'actor-grid' },
        h('div', null,
          h('section', { class: 'panel' }, h('h2', null, 'Summary'), this.summaryEl),
          h('section', { class: 'panel' }, h('h2', null, 'Current state'), this.stateEl)),
        h('div', null,
          this.buildActions(),
          h('section', { class: 'panel' }, h('h2', null, 'Manifest'), this.manifestEl))),
      h('section', { class: 'panel' }, h('h2', null, 'Chain'),
        h('div', { class: 'timeline-toolbar' }, this.loadEarlierBtn, this.timelineNote),
        this.timelineEl));
  }

  // --- loading and live updates ---

  // Loads (or, after a reconnect, catches up): summary and manifest, the last 200 events, then
  // a subscription from the next seq, so the timeline grows live without a gap.
  async sync() {
    if (this.syncing || this.closed) return;
    this.syncing = true;
    const gen = live.conn.generation;
    let synced = false;
    try {
      const [inspection] = await Promise.all([this.refreshSummary(), this.refreshManifest()]);
      const total = Number(inspection.events) || 0;
      const last = this.seqs.length ? this.seqs[this.seqs.length - 1] : -1;
      let from = last + 1;
      if (last < 0 || total - from > LIMITS.timelineEvents) from = Math.max(0, total - LIMITS.pageSize);
      const r = await live.conn.send({ GetActorEvents: { id: this.id, from } });
      const list = Array.isArray(r.events) ? r.events : [];
      this.addEvents(list, 'tail');
      const next = list.length ? list[list.length - 1].seq + 1 : from;
      const sub = await live.conn.send({ SubscribeToActor: { id: this.id, from: next } });
      if (this.closed && gen === live.conn.generation) { // left while loading
        live.conn.send({ UnsubscribeFromActor: { id: this.id, subscription_id: sub.subscription_id } }).catch((e) => Errors.fromCommand(e));
      }
      if (this.closed || gen !== live.conn.generation) return;
      this.subId = sub.subscription_id;
      this.subGen = gen;
      synced = true;
    } catch (e) {
      Errors.fromCommand(e, e.kind === 'Disconnected' ? null : `actor ${shortId(this.id)}`);
      if (e.kind === 'ActorNotFound') this.summaryEl.replaceChildren(h('span', { class: 'bad-text' }, 'no actor with this id on this server'));
    } finally {
      this.syncing = false;
    }
    if (synced && this.selected != null) this.select(this.selected);
  }

  async refreshSummary() {
    const a = await live.conn.send({ InspectActor: { id: this.id } });
    if (!this.closed) this.showSummary(a);
    return a;
  }

  async refreshManifest() {
    const m = await live.conn.send({ GetActorManifest: { id: this.id } });
    if (!this.closed) this.showManifest(m);
  }

  // At most one summary refresh a second, however many events arrive.
  scheduleSummary(delay = 1000) {
    if (this.summaryTimer || this.closed) return;
    this.summaryTimer = setTimeout(() => {
      this.summaryTimer = null;
      if (live.up && !this.closed) this.refreshSummary().catch((e) => Errors.fromCommand(e));
    }, delay);
  }

  actorChanged(summary) {
    if (summary && summary.id === this.id) this.scheduleSummary(200);
  }

  streamEvent(msg) {
    if (!msg || msg.id !== this.id || !isObj(msg.event)) return;
    if (this.subId && msg.subscription_id !== this.subId) return; // an old subscription's leftovers
    this.addEvents([msg.event], 'tail');
    this.scheduleSummary();
  }

  // The page fell behind a fast actor and the server left events out (its stream budget).
  // Once a second at most, the page says so and jumps to the newest events: without that,
  // events dropped at the end of a burst would never show up.
  lagged(msg) {
    if (!msg || msg.id !== this.id) return;
    this.laggedEvents = (this.laggedEvents || 0) + (Number(msg.dropped) || 0);
    if (!this.catchUpTimer) this.catchUpTimer = setTimeout(() => this.catchUp(), 1000);
  }

  async catchUp() {
    this.catchUpTimer = 0;
    if (this.closed) return;
    const dropped = this.laggedEvents;
    this.laggedEvents = 0;
    Errors.show('SubscriptionLagged', `the page fell behind: the server left out ${dropped} events of ${shortId(this.id)}; ` +
      'the newest are shown, the rest are gaps you can load');
    try {
      // A `from` past the end gives no events, only the total.
      const probe = await live.conn.send({ GetActorEvents: { id: this.id, from: Number.MAX_SAFE_INTEGER } });
      const last = this.seqs.length ? this.seqs[this.seqs.length - 1] : -1;
      const from = Math.max(last + 1, (Number(probe.total) || 0) - LIMITS.pageSize);
      if (this.closed || from >= probe.total) return;
      const r = await live.conn.send({ GetActorEvents: { id: this.id, from, limit: LIMITS.pageSize } });
      if (!this.closed) this.addEvents(Array.isArray(r.events) ? r.events : [], 'tail');
    } catch (e) {
      Errors.fromCommand(e, 'GetActorEvents');
    }
  }

  // --- summary, manifest, state ---

  showSummary(a) {
    setText(this.titleEl, truncate(a.name ?? this.id, 200));
    setText(this.statusEl, a.status ?? '?');
    this.statusEl.className = statusClass(a.status);
    const children = Array.isArray(a.children) ? a.children : [];
    const kids = children.length
      ? h('span', null, ...children.slice(0, LIMITS.childrenShown).flatMap((c, i) => [i ? ', ' : '', actorLink(c, shortId(c))]),
        children.length > LIMITS.childrenShown ? ` and ${children.length - LIMITS.childrenShown} more` : '')
      : null;
    fill(this.summaryEl,
      fields([
        ['status', h('span', { class: statusClass(a.status) }, a.status ?? '?'), 'summary-status'],
        // Documented as empty while running; a restarted actor may still carry its last one.
        ['stop reason', a.status === 'stopped' || a.status === 'failed' ? a.stop_reason || null : null],
        ['restarts', String(a.restarts ?? 0), 'summary-restarts'],
        ['mailbox', a.mailbox != null ? String(a.mailbox) : null],
        ['events', a.events != null ? String(a.events) : null],
        ['head', a.head ? h('span', { class: 'mono' }, a.head) : 'none'],
        ['parent', typeof a.parent === 'string' ? actorLink(a.parent) : 'none (top level)'],
        ['children', kids],
        ['chain', a.chain ? h('span', { class: 'mono' }, a.chain) : null],
        ['manifest', a.manifest ? h('span', { class: 'mono' }, a.manifest) : null],
      ]),
      isObj(a.failure) ? failureBox(a.failure, a.status === 'failed' ? 'failure' : 'last failure') : null,
      isObj(a.last_failure) ? failureBox(a.last_failure, 'last failure') : null);
    const state = bytesFromWire(a.state);
    this.stateEl.replaceChildren(bytesBlock(state, 'state-value'));
  }

  showManifest(m) {
    const handlers = Array.isArray(m.handlers) ? m.handlers : null;
    const text = m.manifest == null ? h('span', { class: 'muted' }, 'the manifest file cannot be read')
      : h('pre', null, truncate(m.manifest, LIMITS.textChars));
    fill(this.manifestEl,
      fields([
        ['name', m.name != null ? String(m.name) : null],
        ['version', m.version != null ? String(m.version) : null],
        ['path', m.path ? h('span', { class: 'mono' }, m.path) : null],
        ['component', m.component ? h('span', { class: 'mono' }, m.component) : null],
        ['granted handlers', handlers ? (handlers.length ? handlers.join(', ') : 'none') : null, 'manifest-handlers'],
      ]),
      text);
  }

  // --- actions (all on the action socket: they may wait seconds) ---

  buildActions() {
    this.messageInput = h('textarea', { testid: 'message-input', rows: 2, placeholder: 'message' });
    this.messageEncoding = h('select', { testid: 'message-encoding' },
      h('option', { value: 'text' }, 'as text'), h('option', { value: 'base64' }, 'as base64'));
    this.requestResult = h('div', { class: 'result', testid: 'request-result' });
    this.actionResult = h('div', { class: 'result', testid: 'action-result' });
    this.verifyResult = h('div', { class: 'result', testid: 'verify-result' });
    this.replayResult = h('div', { testid: 'replay-result' });
    const button = (testid, label, run, extra) => {
      const b = h('button', { type: 'button', testid, class: extra, onclick: () => this.runAction(b, run) }, label);
      return b;
    };
    return h('section', { class: 'panel actions' }, h('h2', null, 'Actions'),
      this.messageInput,
      h('div', { class: 'line' }, this.messageEncoding,
        button('action-send', 'Send', () => this.doSend()),
        button('action-request', 'Request', () => this.doRequest())),
      this.requestResult,
      h('div', { class: 'line' },
        button('action-stop', 'Stop', () => this.doSimple({ StopActor: { id: this.id } }, (r) => `stopped ${shortId(r.id)}`), 'danger'),
        button('action-restart', 'Restart', () => this.doSimple({ RestartActor: { id: this.id } },
          (r) => `restarted: now ${r.status}, ${r.restarts} restarts`), 'danger'),
        button('action-verify', 'Verify chain', () => this.doVerify()),
        button('action-replay', 'Replay', () => this.doReplay())),
      this.actionResult, this.verifyResult, this.replayResult);
  }

  async runAction(button, run) {
    button.disabled = true;
    try { await run(); } finally { button.disabled = false; }
  }

  // The message's bytes, or null (and a message) when the input is not what it says it is.
  messageData(resultEl) {
    const text = this.messageInput.value;
    if (this.messageEncoding.value === 'base64') {
      if (!isStrictBase64(text)) {
        const msg = 'the message is not valid base64 (standard alphabet, padded, no spaces)';
        setText(resultEl, msg);
        Errors.show('BadInput', msg);
        return null;
      }
      return { base64: text };
    }
    return text;
  }

  async doSend() {
    const data = this.messageData(this.actionResult);
    if (data == null) return;
    setText(this.actionResult, 'sending…');
    try {
      const r = await act({ SendActorMessage: { id: this.id, data, durable: true } });
      setText(this.actionResult, r.durable ? 'sent: the message is in the actor\'s chain' : 'sent');
    } catch (e) {
      setText(this.actionResult, `send failed: ${e.kind}: ${e.detail ?? e.message}`);
      Errors.fromCommand(e, 'SendActorMessage');
    }
  }

  async doRequest() {
    const data = this.messageData(this.requestResult);
    if (data == null) return;
    setText(this.requestResult, 'waiting for the answer…');
    try {
      const r = await act({ RequestActorMessage: { id: this.id, data } });
      const d = describeBytes(bytesFromWire(r.message));
      this.requestResult.replaceChildren(h('div', { class: 'note' }, `answer (${d.kind})`), h('pre', null, d.text));
    } catch (e) {
      setText(this.requestResult, `error: ${e.kind}: ${e.detail ?? e.message}`);
      Errors.fromCommand(e, 'RequestActorMessage');
    }
  }

  async doSimple(command, describe) {
    const name = Object.keys(command)[0];
    setText(this.actionResult, `${name}…`);
    try {
      setText(this.actionResult, describe(await act(command)));
    } catch (e) {
      setText(this.actionResult, `${name} failed: ${e.kind}: ${e.detail ?? e.message}`);
      Errors.fromCommand(e, name);
    }
    this.scheduleSummary(100);
  }

  async doVerify() {
    setText(this.verifyResult, 'verifying…');
    try {
      const r = await act({ VerifyActor: { id: this.id } });
      const lines = [];
      if (r.ok) lines.push(`verified: ${r.events} events, head ${r.head ?? 'none'}`);
      else lines.push(`FAILED: ${r.reason ?? 'the chain does not verify'}${r.bad_seq != null ? ` (at event ${r.bad_seq})` : ''}`);
      const c = r.checkpoints;
      if (isObj(c)) {
        lines.push(`checkpoints: ${c.ok ? 'ok' : 'NOT ok'}, ${c.matched ?? '?'} matched, covering ${c.covered ?? '?'} events, ` +
          (c.signed ? `signed by ${c.signer ?? '?'}` : 'unsigned') + (c.reason ? ` — ${c.reason}` : ''));
      } else {
        lines.push('checkpoints: none');
      }
      const snap = r.snapshots;
      if (isObj(snap)) lines.push(`states: ${snap.ok ? 'ok' : 'NOT ok'}, ${snap.states ?? '?'} snapshots, ${snap.bytes ?? '?'} bytes` + (snap.reason ? ` — ${snap.reason}` : ''));
      for (const p of Array.isArray(r.problems) ? r.problems.slice(0, 50) : []) lines.push('problem: ' + p);
      setText(this.verifyResult, lines.join('\n'));
      this.verifyResult.className = 'result ' + (r.ok ? 'ok-text' : 'bad-text');
    } catch (e) {
      setText(this.verifyResult, `verify failed: ${e.kind}: ${e.detail ?? e.message}`);
      this.verifyResult.className = 'result bad-text';
      Errors.fromCommand(e, 'VerifyActor');
    }
  }

  async doReplay() {
    this.replayResult.replaceChildren(h('div', { class: 'result' }, 'replaying… (this may take seconds)'));
    try {
      const r = await act({ ReplayActor: { id: this.id } });
      const timing = `replayed in ${Number(r.seconds ?? 0).toFixed(3)} s (recorded over ${Number(r.recorded_seconds ?? 0).toFixed(3)} s)`;
      const component = r.same_component === false ? ', with a different component than recorded' : '';
      if (r.identical) {
        this.replayResult.replaceChildren(h('div', { class: 'result ok-text' },
          `identical: ${r.events} events, head ${r.head ?? 'none'}; ${timing}${component}`));
        return;
      }
      const d = isObj(r.divergence) ? r.divergence : null;
      const side = (title, ev) => h('div', null, h('h3', null, title),
        ev ? h('pre', null, pretty({ seq: ev.seq, type: ev.type, hash: ev.hash, data: ev.data })) : h('div', { class: 'muted' }, '(no event)'));
      fill(this.replayResult,
        h('div', { class: 'result bad-text' },
          d ? `diverges at event ${d.seq}: ${d.why ?? ''}${component}` : `diverges${component}`, `\n${r.events} events replayed; ${timing}`),
        d ? h('div', { class: 'side-by-side' }, side('recorded', d.recorded), side('replayed', d.replayed)) : null);
    } catch (e) {
      this.replayResult.replaceChildren(h('div', { class: 'result bad-text' }, `replay failed: ${e.kind}: ${e.detail ?? e.message}`));
      Errors.fromCommand(e, 'ReplayActor');
    }
  }

  // --- the timeline ---

  // Adds events (deduped by seq). Past the bound, the oldest are dropped — but never the
  // selected one — and the page says how many.
  addEvents(list, where) {
    // Live events come in order, after the last one: they are appended without sorting, so
    // a fast actor costs the page O(1) per event here.
    let added = false;
    let inOrder = true;
    let last = this.seqs.length ? this.seqs[this.seqs.length - 1] : -1;
    for (const ev of list) {
      if (!isObj(ev) || !Number.isSafeInteger(ev.seq) || ev.seq < 0 || this.events.has(ev.seq)) continue;
      this.events.set(ev.seq, ev);
      if (ev.seq > last) { this.seqs.push(ev.seq); last = ev.seq; } else inOrder = false;
      added = true;
    }
    if (!added) return;
    if (!inOrder) this.seqs = Array.from(this.events.keys()).sort((a, b) => a - b);
    let excess = this.seqs.length - LIMITS.timelineEvents;
    if (excess > 0) {
      const kept = [];
      for (const seq of this.seqs) {
        if (excess > 0 && seq !== this.selected) {
          this.events.delete(seq);
          this.dropped++;
          excess--;
        } else {
          kept.push(seq);
        }
      }
      this.seqs = kept;
    }
    this.scheduleRender(where === 'tail');
  }

  scheduleRender(stickToEnd) {
    const t = this.timelineEl;
    this.stick = this.stick || (stickToEnd && t.scrollHeight - t.scrollTop - t.clientHeight < 40);
    if (this.renderFrame) return;
    this.renderFrame = requestAnimationFrame(() => { this.renderFrame = 0; this.renderTimeline(); });
  }

  // Rows in seq order, with a gap row where events are missing (dropped, lagged, not loaded).
  renderTimeline() {
    const nodes = [];
    const rows = new Map();
    const gaps = new Map();
    let prev = -1;
    for (const seq of this.seqs) {
      if (prev >= 0 && seq > prev + 1) {
        const g = this.gapEls.get(prev + 1) || this.makeGap(prev + 1, seq);
        gaps.set(prev + 1, g);
        nodes.push(g);
      }
      const el = this.rowEls.get(seq) || this.makeEventRow(this.events.get(seq));
      rows.set(seq, el);
      nodes.push(el);
      prev = seq;
    }
    this.rowEls = rows;
    this.gapEls = gaps;
    // The oldest rows, dropped past the bound, leave from the front: a timeline at its bound
    // that grows live then only removes and appends rows, instead of rebuilding 2,000.
    const t = this.timelineEl;
    if (t.firstChild && t.firstChild !== nodes[0]) {
      const keep = new Set(nodes);
      while (t.firstChild && t.firstChild !== nodes[0] && !keep.has(t.firstChild)) t.firstChild.remove();
    }
    const current = t.children;
    const same = current.length === nodes.length && nodes.every((n, i) => current[i] === n);
    if (!same) {
      // Appending is the common case (live events): move nothing that is already in place.
      const prefix = current.length <= nodes.length && Array.prototype.every.call(current, (n, i) => nodes[i] === n);
      if (prefix) this.timelineEl.append(...nodes.slice(current.length));
      else this.timelineEl.replaceChildren(...nodes);
    }
    const before = this.seqs.length ? this.seqs[0] : 0;
    this.loadEarlierBtn.disabled = before === 0;
    setText(this.loadEarlierBtn, before ? `load earlier (${before} before)` : 'load earlier');
    setText(this.timelineNote, `${this.seqs.length} events shown` +
      (this.dropped ? `; ${this.dropped} older events dropped from view (at most ${LIMITS.timelineEvents} are kept)` : ''));
    if (this.stick) this.timelineEl.scrollTop = this.timelineEl.scrollHeight;
    this.stick = false;
    if (this.pendingScroll != null && this.rowEls.has(this.pendingScroll)) {
      this.rowEls.get(this.pendingScroll).scrollIntoView({ block: 'center' });
      this.pendingScroll = null;
    }
  }

  makeGap(start, end) {
    const n = end - start;
    const button = h('button', { type: 'button', testid: 'load-gap', onclick: () => this.loadRange(start, end, 'gap') }, 'load');
    return h('div', { class: 'gap-row', testid: 'timeline-gap' }, `… ${n} event${n === 1 ? '' : 's'} not loaded (${start}–${end - 1})`, button);
  }

  // Loads events [start, end), at most a page and only as many as the bound leaves room for:
  // loading more would only drop them again.
  async loadRange(start, end, what) {
    const room = LIMITS.timelineEvents - this.events.size;
    if (room <= 0) {
      Errors.show('TimelineFull', `the timeline keeps at most ${LIMITS.timelineEvents} events; use "theater events ${this.id} --from ${start}" for more`);
      return;
    }
    const limit = Math.min(LIMITS.pageSize, room, end - start);
    const from = what === 'earlier' ? end - limit : start;
    try {
      const r = await live.conn.send({ GetActorEvents: { id: this.id, from, limit } });
      this.addEvents(Array.isArray(r.events) ? r.events : [], 'middle');
    } catch (e) {
      Errors.fromCommand(e, 'GetActorEvents');
    }
  }

  loadEarlier() {
    const first = this.seqs.length ? this.seqs[0] : 0;
    if (first > 0) this.loadRange(0, first, 'earlier');
  }

  makeEventRow(ev) {
    const kind = eventKind(ev);
    const row = h('div', { class: 'event-row', testid: 'event-row', dataset: { seq: String(ev.seq), type: String(ev.type) } },
      h('span', { class: 'seq' }, String(ev.seq)),
      h('span', { class: 'time', title: typeof ev.timestamp_ms === 'number' ? new Date(ev.timestamp_ms).toISOString() : '' }, formatTime(ev.timestamp_ms)),
      h('span', { class: 'type', title: String(ev.type) }, shortName(ev.type)),
      h('span', { class: 'summary' }, eventSummary(ev)));
    row.addEventListener('click', () => {
      location.hash = this.selected === ev.seq ? actorHref(this.id) : actorHref(this.id, ev.seq);
    });
    return h('div', { class: 'event kind-' + kind }, row);
  }

  // Selects an event (the route #/actor/ID/event/SEQ): expands its detail and scrolls to it,
  // fetching it first when it is outside the loaded window.
  async select(seq) {
    this.selected = seq;
    for (const [s, el] of this.rowEls) {
      const on = s === seq;
      el.classList.toggle('selected', on);
      const detail = el.querySelector(':scope > .event-detail');
      if (!on && detail) detail.remove();
    }
    if (seq == null) return;
    if (!this.events.has(seq)) {
      if (this.syncing || !live.up) return; // sync() selects once the window is loaded
      const found = FoundEvents.take(this.id, seq);
      if (found) {
        this.addEvents([found], 'middle');
      } else {
        try {
          const r = await live.conn.send({ GetActorEvents: { id: this.id, from: seq, limit: 1 } });
          const ev = Array.isArray(r.events) ? r.events.find((e) => e.seq === seq) : null;
          if (!ev) { Errors.show('EventNotFound', `actor ${shortId(this.id)} has no event ${seq} (its chain has ${r.total})`); return; }
          this.addEvents([ev], 'middle');
        } catch (e) {
          Errors.fromCommand(e, 'GetActorEvents');
          return;
        }
      }
      if (this.selected !== seq) return;
    }
    if (!this.rowEls.has(seq)) this.renderTimeline(); // loaded, not drawn yet (drawing waits for a frame)
    const el = this.rowEls.get(seq);
    if (!el) return;
    el.classList.add('selected');
    if (!el.querySelector(':scope > .event-detail')) el.append(eventDetail(this.events.get(seq)));
    this.pendingScroll = seq;
    requestAnimationFrame(() => { if (this.pendingScroll === seq) { el.scrollIntoView({ block: 'center' }); this.pendingScroll = null; } });
  }
}
ActorPage.current = null;

// An event fetched by FindEvent, kept for the page it navigates to (saves a round trip).
const FoundEvents = {
  last: null,
  put(actor, ev) { this.last = { actor, ev }; },
  take(actor, seq) { const l = this.last; this.last = null; return l && l.actor === actor && l.ev.seq === seq ? l.ev : null; },
};

// --- rendering events: one line each, and a readable detail with the raw JSON ---

function eventKind(ev) {
  const t = String(ev.type);
  const d = isObj(ev.data) ? ev.data : {};
  if (t === 'wasm/error' || isObj(d.failure) || 'error' in d) return 'error';
  if ('denied' in d) return 'denied';
  if (t.startsWith('theater/')) return 'lifecycle';
  return 'other';
}

function failureText(f) {
  return isObj(f) ? `${f.kind ?? 'failure'}${f.function ? ' in ' + f.function : ''}: ${f.message ?? ''}` : '';
}

function eventSummary(ev) {
  const d = isObj(ev.data) ? ev.data : {};
  const t = String(ev.type);
  const max = LIMITS.summaryChars;
  let s;
  if ('undecodable_hex' in d) s = `undecodable data (${String(d.undecodable_hex).length / 2} bytes)`;
  else if (t === 'wasm/call') s = `${shortName(d.function)}(${Array.isArray(d.params) ? compact(d.params, max).slice(1, -1) : compact(d.params, max)})` + (isObj(d.cause) ? `  ← ${shortId(d.cause.actor)}` : '');
  else if (t === 'wasm/result') s = `${shortName(d.function)} → ${compact(d.results, max)}`;
  else if (t === 'wasm/error') s = `${shortName(d.function)} ${d.kind ?? ''}: ${d.message ?? ''}`;
  else if (t === 'theater/actor-started') s = `${d.name ?? ''} ${d.version ?? ''}${d.init === false ? ' (resumed state, no init)' : ''}`;
  else if (t === 'theater/actor-stopped') s = `${d.reason ?? ''}${isObj(d.failure) ? ' — ' + failureText(d.failure) : ''}`;
  else if (t === 'theater/actor-restarted') s = `restart ${d.restart ?? '?'}: ${compact(d.reason, max)}`;
  else if (t === 'theater/actor-resumed') s = `${compact(d.reason, max)} (after event ${d.after ?? '?'})`;
  else if ('denied' in d) s = `DENIED ${compact(d.args ?? d.what ?? '', max)}: ${compact(d.denied, max)}`;
  else if ('request_id' in d && 'result' in d && t.endsWith('/done')) s = `→ ${compact(d.result, max)}` + (isObj(d.cause) ? `  ← ${shortId(d.cause.actor)}` : '');
  else if ('args' in d || 'args_bytes' in d) {
    const args = 'args' in d ? compact(d.args, max) : `(${d.args_bytes} bytes refused)`;
    s = 'error' in d ? `${args} ✗ ${compact(d.error, max)}` : 'result' in d ? `${args} → ${compact(d.result, max)}` : args;
  } else s = compact(d, max);
  return truncate(s, max);
}

// What each field of an event means is in docs/chain-format.md section 5; any field the page
// does not know is still shown, pretty-printed.
function eventDetail(ev) {
  const d = isObj(ev.data) ? ev.data : {};
  const t = String(ev.type);
  const caption = t === 'wasm/call' ? 'a call into the actor (an export), with its parameters'
    : t === 'wasm/result' ? 'the call returned: its results and the new state'
    : t === 'wasm/error' ? 'the call failed'
    : t.startsWith('theater/') ? 'a lifecycle event of the runtime'
    : 'denied' in d ? 'a host call the actor is not permitted to make: it did nothing'
    : t.endsWith('/done') ? 'the later result of a host call'
    : 'a host call made by the actor, with its arguments and result';
  const pairs = [['type', h('span', { class: 'mono' }, t)], ['seq', String(ev.seq)],
    ['time', typeof ev.timestamp_ms === 'number' ? new Date(ev.timestamp_ms).toISOString() : '?'],
    ['hash', h('span', { class: 'mono' }, String(ev.hash ?? ''))],
    ['parent', h('span', { class: 'mono' }, ev.parent == null ? 'none (first event)' : String(ev.parent))]];
  for (const [key, value] of Object.entries(d)) {
    if (key === 'cause' && isObj(value)) pairs.push(['cause', causeLink(value)]);
    else if (key === 'failure' && isObj(value)) pairs.push(['failure', failureBox(value)]);
    else if (key === 'backtrace' && Array.isArray(value)) pairs.push(['backtrace', backtraceList(value)]);
    else if (onlyKeys(value, 'sha256', 'size')) pairs.push([key, h('span', { class: 'mono' }, `${value.size} bytes, sha256 ${value.sha256}`)]);
    else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') pairs.push([key, String(value)]);
    else pairs.push([key, h('pre', null, pretty(value))]);
  }
  const raw = JSON.stringify(ev, null, 2);
  return h('div', { class: 'event-detail', testid: 'event-detail', dataset: { seq: String(ev.seq), type: t } },
    h('p', { class: 'caption' }, caption),
    fields(pairs),
    h('details', null, h('summary', null, 'raw JSON'),
      h('pre', { testid: 'event-raw' }, raw.length > LIMITS.rawChars ? raw.slice(0, LIMITS.rawChars) + '\n… truncated' : raw)));
}

// A cause (docs/chain-format.md 5.1) is another actor's event: FindEvent gives its seq, and
// the link opens it in that actor's timeline.
function causeLink(cause) {
  const actor = String(cause.actor ?? '');
  const hash = String(cause.event ?? '');
  const link = h('a', { href: actorHref(actor), testid: 'cause-link', title: `event ${hash} of ${actor}` },
    `event ${hash.slice(0, 12)}… of actor ${shortId(actor)}`);
  link.addEventListener('click', async (ev) => {
    ev.preventDefault();
    ev.stopPropagation();
    try {
      const r = await live.conn.send({ FindEvent: { id: actor, hash } });
      if (isObj(r.event)) FoundEvents.put(r.id ?? actor, r.event);
      location.hash = actorHref(r.id ?? actor, r.seq);
    } catch (e) {
      Errors.fromCommand(e, 'FindEvent');
    }
  });
  return link;
}

function backtraceList(frames) {
  return h('ol', { class: 'backtrace' }, frames.slice(0, 200).map((f) => h('li', null, String(f))),
    frames.length > 200 ? h('li', null, `… ${frames.length - 200} more frames`) : null);
}

function failureBox(f, title) {
  return h('div', { class: 'failure-box', testid: 'failure' },
    title ? h('div', { class: 'note' }, title) : null,
    h('div', { class: 'bad-text' }, `${f.kind ?? 'failure'}${f.function ? ' in ' + f.function : ''}`),
    f.message ? h('pre', null, truncate(f.message, LIMITS.textChars)) : null,
    Array.isArray(f.backtrace) && f.backtrace.length ? backtraceList(f.backtrace) : null);
}

// ---------------------------------------------------------------------------------------------
// 8. The server page: GetServerInfo every 2 s; events/s from the difference of two polls
// ---------------------------------------------------------------------------------------------

class ServerPage {
  constructor() {
    this.timer = null;
    this.prev = null;
    this.values = {};
    const cell = (key, testid) => (this.values[key] = h('span', { testid }, '…'));
    this.reviveErrors = h('div', { testid: 'server-revive-errors' });
    this.el = h('div', { class: 'server-page', testid: 'server-page' },
      h('section', { class: 'panel' }, h('h2', null, 'Server'),
        fields([
          ['version', cell('version', 'server-version')],
          ['listen (protocol)', cell('listen', 'server-listen')],
          ['dashboard (http)', cell('http', 'server-http')],
          ['data directory', cell('data_dir', 'server-data-dir')],
          ['started', cell('started', 'server-started')],
          ['uptime', cell('uptime', 'server-uptime')],
          ['actors (starting or running)', cell('actors', 'server-actors')],
          ['connections', cell('connections', 'server-connections')],
          ['events recorded', cell('events', 'server-events')],
          ['events/s', cell('rate', 'server-rate')],
          ['revived at start', cell('revived', 'server-revived')],
        ], 'server-fields'),
        h('h2', null, 'Revive errors'), this.reviveErrors));
  }

  static open(view) {
    if (!ServerPage.current) ServerPage.current = new ServerPage();
    view.replaceChildren(ServerPage.current.el);
    ServerPage.current.poll();
  }

  static close() {
    if (ServerPage.current) clearTimeout(ServerPage.current.timer);
    ServerPage.current = null;
  }

  async poll() {
    clearTimeout(this.timer);
    this.timer = null;
    if (!live.up) return; // onLive() polls again
    try {
      const info = await live.conn.send({ GetServerInfo: {} });
      if (ServerPage.current !== this) return;
      this.show(info);
      showServerSummary(info);
    } catch (e) {
      Errors.fromCommand(e);
    }
    if (ServerPage.current === this && !this.timer) this.timer = setTimeout(() => this.poll(), 2000);
  }

  show(info) {
    const now = performance.now();
    let rate = 'not reported by this server';
    if (typeof info.events === 'number') {
      rate = this.prev && now > this.prev.t
        ? Math.max(0, (info.events - this.prev.events) / ((now - this.prev.t) / 1000)).toFixed(1) : 'measuring…';
      this.prev = { events: info.events, t: now };
    }
    const shown = {
      version: info.version, listen: info.listen, http: info.http ?? '–', data_dir: info.data_dir,
      started: typeof info.started_ms === 'number' ? new Date(info.started_ms).toLocaleString() : '?',
      uptime: formatDuration(info.uptime_ms), actors: info.actors, connections: info.connections,
      events: info.events ?? '–', rate, revived: info.revived ?? 0,
    };
    for (const [key, value] of Object.entries(shown)) setText(this.values[key], value ?? '?');
    const errs = Array.isArray(info.revive_errors) ? info.revive_errors : [];
    this.reviveErrors.replaceChildren(errs.length
      ? h('ul', { class: 'plain' }, errs.slice(0, 500).map((e) => h('li', { class: 'bad-text' }, truncate(e, 2000))))
      : h('span', { class: 'muted' }, 'none'));
  }
}
ServerPage.current = null;

// ---------------------------------------------------------------------------------------------
// 9. Routing (#/, #/actor/ID, #/actor/ID/event/SEQ, #/server) and start-up
// ---------------------------------------------------------------------------------------------

function parseRoute() {
  let hash = location.hash.replace(/^#/, '');
  const q = hash.indexOf('?');
  if (q >= 0) hash = hash.slice(0, q);
  const parts = hash.split('/').filter(Boolean).map((p) => { try { return decodeURIComponent(p); } catch { return p; } });
  if (parts[0] === 'actor' && parts[1]) {
    const seq = parts[2] === 'event' && /^\d{1,15}$/.test(parts[3] ?? '') ? Number(parts[3]) : null;
    return { view: 'actor', id: parts[1], seq };
  }
  if (parts[0] === 'server') return { view: 'server' };
  return { view: 'tree' };
}

function route() {
  Token.takeFromUrl();
  const r = parseRoute();
  const view = document.getElementById('view');
  document.getElementById('nav-tree').classList.toggle('current', r.view === 'tree');
  document.getElementById('nav-server').classList.toggle('current', r.view === 'server');
  if (r.view !== 'actor') ActorPage.close();
  if (r.view !== 'server') ServerPage.close();
  if (r.view === 'actor') ActorPage.open(r.id, r.seq, view);
  else if (r.view === 'server') ServerPage.open(view);
  else Tree.show(view);
}

function main() {
  Token.takeFromUrl();
  setUpTokenForm();
  showConnection();
  window.addEventListener('hashchange', route);
  route();
  live.start();
}

main();
