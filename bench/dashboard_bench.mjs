// Benchmark of the dashboard's costs (web/, served by `theater server --http`; docs/dashboard.md).
// Every number is printed beside a baseline measured in the same run, as a ratio.
//
//   node bench/dashboard_bench.mjs
//   DASH_ACTORS=10000 DASH_SECONDS=30 node bench/dashboard_bench.mjs
//
// Environment: DASH_ACTORS (actors in the scale test, default 10000), DASH_SECONDS (load time of
// the open-page test, default 30), DASH_RATE (messages per second of that load, default 3000),
// DASH_IDLE_SECONDS (the tree left open, default 10), THEATER (the binary; default
// build/theater), CHROMIUM (default /usr/bin/chromium), PLAYWRIGHT_CORE (a folder with
// node_modules/playwright-core; default ~/.cache/theater/playwright-core).
//
// 1. Scale: a fresh server with DASH_ACTORS greeters (examples/greeter-c; StartActor pipelined on 4
//    TCP connections) against a fresh server with 10 (the baseline). Each: ListActors from node
//    (median of 5: bytes, ms to the last byte); the tree in headless chromium: (a) ms from navigation
//    until actor-count = N with rows drawn; (b) long tasks (PerformanceObserver 'longtask': tasks
//    over 50 ms) while loading, while scrolling the virtualized list a screen at a time to its end,
//    and left idle (with the ListActors it sends meanwhile), the longest gap between frames while
//    scrolling; (c) actor-row elements in the DOM; the page's JS heap (CDP); the server's RSS.
//    Expected: rows and heap stay small (ratios of a few, not N/10); load and frame gaps grow slowly.
// 2. A page left open: one greeter gets DASH_RATE SendActorMessage/s for DASH_SECONDS (a few chain
//    events each). Baseline: the same load, no page (run first, fresh server). Then a fresh server
//    with the page open on that actor's timeline. Server: RSS growth (VmRSS), CPU, with page / without
//    (near 1 means the page costs the server little). Page: JS heap after GC, DOM nodes, renderer
//    RSS at the end / at the start (the timeline keeps at most 2000 events: must stay bounded), long
//    tasks and frame gaps under load / the same page idle just before; whether its timeline catches
//    up with the chain within 15 s of the end of the load.
//
// Ratios: measured / baseline. Long tasks are only reported above 50 ms, so a value under that counts
// as 50 ms and the ratio is a bound ("≥", "≤"), or "n/a" when both are under. Ends with one JSON line.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const THEATER = path.resolve(process.env.THEATER || path.join(SOURCE, 'build', 'theater'));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const PW_DIR = process.env.PLAYWRIGHT_CORE || path.join(os.homedir(), '.cache', 'theater', 'playwright-core');
const MANIFEST = path.join(SOURCE, 'examples', 'greeter-c', 'manifest.toml');
const N = Number(process.env.DASH_ACTORS || 10000);
const SECONDS = Number(process.env.DASH_SECONDS || 30);
const RATE = Number(process.env.DASH_RATE || 3000);
const IDLE_SECONDS = Number(process.env.DASH_IDLE_SECONDS || 10);
const BASE_ACTORS = 10;
const LONGTASK_FLOOR = 50;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();
function withTimeout(promise, ms, what) {
  let t;
  const timeout = new Promise((_, reject) => { t = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(t));
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const problems = [];  // anything that looked wrong, reported at the end

// ---- servers: started fresh in a temp data dir, always stopped and removed ----

const servers = new Set();
function startServer(label) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `theater-dash-bench-${label}-`));
  const child = spawn(THEATER, ['--data-dir', dataDir, 'server', '--listen', '127.0.0.1:0', '--http', '127.0.0.1:0', '--fresh'],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, THEATER_HOME: dataDir } });
  const srv = { label, child, dataDir, log: [], notes: [], listen: null, dashboard: null };
  servers.add(srv);
  srv.ready = withTimeout(new Promise((resolve, reject) => {
    const onLine = (line) => {
      srv.log.push(line);
      if (srv.log.length > 200) srv.log.shift();
      if (srv.dashboard && /error|warn|lag|drop|fail|refus|clos/i.test(line)) srv.notes.push(line.slice(0, 300));  // after start-up
      const l = /listening on (\S+:\d+)/.exec(line);
      if (l && !srv.listen) srv.listen = l[1];
      const d = /dashboard on (https?:\/\/\S+?\/)/.exec(line);
      if (d && !srv.dashboard) srv.dashboard = d[1];
      if (srv.listen && srv.dashboard) resolve(srv);
    };
    for (const stream of [child.stdout, child.stderr]) {
      let buf = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        buf += chunk;
        for (let i; (i = buf.indexOf('\n')) >= 0; buf = buf.slice(i + 1)) onLine(buf.slice(0, i));
      });
    }
    child.on('error', reject);
    child.on('exit', (code, sig) => reject(new Error(`server ${label} exited (${code ?? sig}):\n${srv.log.join('\n')}`)));
  }), 15000, `server ${label} to say where it listens`);
  return srv.ready;
}

async function stopServer(srv) {
  servers.delete(srv);
  if (srv.notes.length) problems.push(`server ${srv.label} logged ${srv.notes.length} lines about errors, lag or closing, e.g.: ${srv.notes.slice(0, 3).join(' | ')}`);
  const { child } = srv;
  if (child.exitCode === null && child.signalCode === null) {  // SIGTERM, and SIGKILL after 15 s
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await withTimeout(exited, 15000, 'exit').catch(() => { child.kill('SIGKILL'); return withTimeout(exited, 5000, 'exit'); }).catch(() => {});
  }
  fs.rmSync(srv.dataDir, { recursive: true, force: true });
}

function procStats(pid) {  // VmRSS in bytes, CPU (user + system) in seconds
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return { rss, cpu: (Number(stat[11]) + Number(stat[12])) / 100 };
}

// ---- the management protocol over TCP: 4-byte big-endian length + JSON; pipelined ----

const STREAMED = new Set(['ActorEvent', 'SubscriptionLagged', 'ActorChanged', 'WatchLagged', 'ChannelMessage']);
class Client {
  static connect(hostPort) {
    const i = hostPort.lastIndexOf(':');
    return withTimeout(new Promise((resolve, reject) => {
      const sock = net.connect(Number(hostPort.slice(i + 1)), hostPort.slice(0, i), () => resolve(new Client(sock))).once('error', reject);
    }), 10000, `connect to ${hostPort}`);
  }
  constructor(sock) {
    Object.assign(this, { sock, pending: [], chunks: [], have: 0, need: null });
    sock.setNoDelay(true);
    sock.on('data', (c) => this.onData(c));
    const fail = (e) => { for (const p of this.pending.splice(0)) p.reject(e || new Error('connection closed')); };
    sock.on('error', fail);
    sock.on('close', () => fail());
  }
  take(n) {  // joins the chunks only once a whole frame is there: a large ListActors is not copied again and again
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    this.chunks = [all.subarray(n)]; this.have -= n;
    return all.subarray(0, n);
  }
  onData(chunk) {
    this.chunks.push(chunk);
    this.have += chunk.length;
    for (;;) {
      if (this.need === null) { if (this.have < 4) return; this.need = this.take(4).readUInt32BE(0); }
      if (this.have < this.need) return;
      const body = this.take(this.need), at = now();
      this.need = null;
      const msg = JSON.parse(body.toString('utf8'));
      const tag = typeof msg === 'string' ? msg : Object.keys(msg)[0];
      if (STREAMED.has(tag)) continue;
      this.pending.shift()?.resolve({ tag, body: msg[tag] || {}, bytes: body.length, at });
    }
  }
  send(command) {
    const body = Buffer.from(JSON.stringify(command)), head = Buffer.alloc(4);
    head.writeUInt32BE(body.length);
    return new Promise((resolve, reject) => { this.pending.push({ resolve, reject }); this.sock.write(Buffer.concat([head, body])); });
  }
  async call(command, what, ms = 30000) {  // one command; an Error response throws
    const r = await withTimeout(this.send(command), ms, what);
    if (r.tag === 'Error') throw new Error(`${what}: ${r.body.kind}: ${r.body.message}`);
    return r;
  }
  close() { this.sock.destroy(); }
}

// Starts n greeters over `conns` connections, `window` commands in flight on each.
async function startGreeters(srv, n, conns = 4, window = 64) {
  const clients = await Promise.all(Array.from({ length: Math.min(conns, n) }, () => Client.connect(srv.listen)));
  const ids = [];
  let next = 0;
  const t0 = now();
  await withTimeout(Promise.all(clients.map(async (c) => {
    while (next < n) {
      const batch = [];
      while (batch.length < window && next < n) { next++; batch.push(c.send({ StartActor: { manifest: MANIFEST } })); }
      for (const r of await Promise.all(batch)) {
        if (r.tag !== 'ActorStarted') throw new Error(`StartActor: ${JSON.stringify(r.body)}`);
        ids.push(r.body.id);
        if (ids.length % 2000 === 0) console.log(`  ${ids.length}/${n} actors started (${((now() - t0) / 1000).toFixed(1)} s)`);
      }
    }
  })), 60000 + n * 50, `starting ${n} actors`);
  clients.forEach((c) => c.close());
  return { ids, ms: now() - t0 };
}

async function measureListActors(srv, n) {
  const c = await Client.connect(srv.listen);
  const ms = [];
  let r;
  for (let i = 0, t0 = now(); i < 5; i++, t0 = now()) { r = await c.call({ ListActors: {} }, 'ListActors'); ms.push(r.at - t0); }
  if (r.body.actors.length !== n) problems.push(`ListActors listed ${r.body.actors.length} actors, expected ${n}`);
  c.close();
  return { ms: median(ms), bytes: r.bytes };
}

// ---- the browser ----

// Installed before the page's scripts: long tasks, the error area's items, a frame-gap recorder.
function pageProbes() {
  window.__lt = [];
  new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__lt.push([e.startTime, e.duration]); })
    .observe({ type: 'longtask', buffered: true });
  window.__errs = [];
  document.addEventListener('DOMContentLoaded', () => {
    new MutationObserver((ms) => { for (const m of ms) for (const n of m.addedNodes) if (n.classList?.contains('error-item')) window.__errs.push(`${n.querySelector('.kind')?.textContent}: ${n.querySelector('.msg')?.textContent.slice(0, 300)}`); })
      .observe(document.getElementById('errors'), { childList: true });
  });
  window.__frames = (on) => {  // on: start recording gaps between animation frames; off: returns the longest
    if (!on) { window.__framesOn = false; return window.__maxGap; }
    window.__framesOn = true; window.__maxGap = 0;
    let last = performance.now();
    const tick = (t) => { window.__maxGap = Math.max(window.__maxGap, t - last); last = t; if (window.__framesOn) requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
  };
}
// page.evaluate has no timeout of its own, and a page under load may answer late.
const evaluate = (page, fn, arg) => withTimeout(page.evaluate(fn, arg), 60000, 'a script in the page');
const takeLongTasks = (page) => evaluate(page, () => {
  const lt = window.__lt; window.__lt = [];
  return { max: Math.max(0, ...lt.map((e) => e[1])), total: lt.reduce((s, e) => s + e[1], 0), count: lt.length };
});

// The RSS of chromium's renderer processes, summed (one page is open at a time; closed ones may linger).
async function rendererRss(browser) {
  const cdp = browser.__cdp || (browser.__cdp = await browser.newBrowserCDPSession());
  const { processInfo } = await cdp.send('SystemInfo.getProcessInfo');
  let sum = 0;
  for (const p of processInfo) if (p.type === 'renderer') { try { sum += procStats(p.id).rss; } catch { /* gone */ } }
  return sum;
}

async function openPage(browser, url, countFrames = false) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(30000);
  const console_ = [];
  page.on('pageerror', (e) => console_.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') console_.push(`console ${m.type()}: ${m.text().slice(0, 300)}`); });
  await page.addInitScript(pageProbes);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const frames = {};  // WebSocket messages the page received, by tag (only for the tree: under load this would cost)
  if (countFrames) {
    await cdp.send('Network.enable');
    cdp.on('Network.webSocketFrameReceived', (e) => { const tag = /^\{"(\w+)"/.exec(e.response.payloadData)?.[1] || '?'; frames[tag] = (frames[tag] || 0) + 1; });
  }
  await page.goto(url, { timeout: 30000 });
  const heap = async (gc) => {
    if (gc) await withTimeout(cdp.send('HeapProfiler.collectGarbage'), 60000, 'a GC in the page');
    return (await withTimeout(cdp.send('Runtime.getHeapUsage'), 60000, 'heap usage')).usedSize;
  };
  const nodes = async () => (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'Nodes').value;
  // Console errors and warnings, script errors, and what the page's error area showed, counted by kind.
  const reportErrors = async (label) => {
    const errs = [...console_, ...(await evaluate(page, () => window.__errs)).map((e) => `error area: ${e}`)];
    const kinds = new Map();
    for (const e of errs) { const k = e.replace(/\d+/g, '#').slice(0, 120); kinds.set(k, [(kinds.get(k)?.[0] || 0) + 1, e]); }
    for (const [count, e] of kinds.values()) problems.push(`${label}: ${count} × ${e}`);
    return errs.length;
  };
  return { page, heap, nodes, reportErrors, frames };
}

const rowCount = () => document.querySelectorAll('[data-testid=actor-row]').length;

async function scaleRun(browser, n) {
  console.log(`-- scale: ${n} actors`);
  const srv = await startServer(`scale${n}`);
  try {
    const started = await startGreeters(srv, n);
    console.log(`  ${n} actors started in ${(started.ms / 1000).toFixed(1)} s`);
    const list = await measureListActors(srv, n);
    const warm = await browser.newPage();  // a first page load is slower (cold caches): not measured
    await warm.goto(srv.dashboard, { timeout: 30000 });
    await warm.waitForFunction(() => document.querySelector('[data-testid=connection]')?.textContent === 'live', null, { timeout: 30000 });
    await warm.close();
    const p = await openPage(browser, srv.dashboard, true);
    // (a) navigation (performance.now() counts from it) until the count says n and rows are drawn
    const loadMs = await (await p.page.waitForFunction((k) => document.querySelector('[data-testid=actor-count]')?.textContent === String(k) &&
      document.querySelectorAll('[data-testid=actor-row]').length > 0 && performance.now(), n, { timeout: 120000, polling: 'raf' })).jsonValue();
    await sleep(1000);
    const loadLong = await takeLongTasks(p.page);
    const rowsAfterLoad = await evaluate(p.page, rowCount);
    const heapMB = (await p.heap(true)) / 2 ** 20;
    // (b) scroll the virtualized list screen by screen to its end
    const scroll = await withTimeout(p.page.evaluate(async () => {
      const vp = document.querySelector('[data-testid=tree]');
      const frame = () => new Promise((r) => requestAnimationFrame(r));
      let maxRows = 0, steps = 0, lastRow = 0;
      const t0 = performance.now();
      window.__frames(true);
      for (let top = 0; ; top += vp.clientHeight) {
        vp.scrollTop = top; steps++;
        await frame(); await frame();
        const rows = document.querySelectorAll('[data-testid=actor-row]');
        maxRows = Math.max(maxRows, rows.length);
        for (const r of rows) lastRow = Math.max(lastRow, Math.round(parseFloat(r.style.top) / 28) + 1);
        if (top + vp.clientHeight >= vp.scrollHeight || performance.now() - t0 > 240000) break;
      }
      return { ms: performance.now() - t0, steps, maxRows, lastRow, maxGap: window.__frames(false) };
    }), 300000, 'scrolling the tree');
    if (scroll.lastRow !== n) problems.push(`scale ${n}: scrolling to the end drew row ${scroll.lastRow} last, expected ${n}`);
    const scrollLong = await takeLongTasks(p.page);
    // idle: the tree left open (periodic ListActors)
    const listsBefore = p.frames.ActorList || 0;
    await sleep(IDLE_SECONDS * 1000);
    const idleLong = await takeLongTasks(p.page);
    idleLong.lists = (p.frames.ActorList || 0) - listsBefore;
    const errors = await p.reportErrors(`scale ${n}`);
    await p.page.close();
    return { n, startMs: started.ms, list, loadMs, loadLong, rowsAfterLoad, heapMB, scroll, scrollLong, idleLong, rssMB: procStats(srv.child.pid).rss / 2 ** 20, errors };
  } finally {
    await stopServer(srv);
  }
}

// ---- 2. a page left open on an actor whose chain grows fast ----

// Sends `RATE` SendActorMessage a second for `SECONDS`, at most 1024 in flight; samples the server.
async function runLoad(srv, id, sample) {
  const c = await Client.connect(srv.listen);
  const st = { sent: 0, ok: 0, errors: {}, inflight: 0 };
  const error = (kind, message) => { st.errors[kind] = `${(parseInt(st.errors[kind]) || 0) + 1} (last: ${message})`; };
  const t0 = now();
  const end = t0 + SECONDS * 1000;
  let nextSample = t0, sampling = false;
  while (now() < end) {
    const target = Math.min(Math.floor((RATE * (now() - t0)) / 1000), RATE * SECONDS);
    while (st.sent < target && st.inflight < 1024) {
      st.sent++; st.inflight++;
      c.send({ SendActorMessage: { id, data: `m${st.sent}` } }).then((r) => {
        st.inflight--;
        if (r.tag === 'SentMessage') st.ok++; else error(r.body.kind, r.body.message);
      }, (e) => { st.inflight--; error('Disconnected', e.message); });
    }
    if (now() >= nextSample && !sampling) {  // not awaited: a busy page must not slow the load
      nextSample = now() + 1000; sampling = true;
      sample().catch(() => {}).finally(() => { sampling = false; });
    }
    await sleep(10);
  }
  const waitStart = now();
  while ((st.inflight > 0 || sampling) && now() - waitStart < 30000) await sleep(20);
  if (st.inflight > 0) problems.push(`load: ${st.inflight} SendActorMessage still unanswered 30 s after the load`);
  c.close();
  return { ...st, seconds: (now() - t0) / 1000, rate: st.ok / ((now() - t0) / 1000) };
}

async function openPageRun(browser, withPage) {
  const label = withPage ? 'with-page' : 'no-page';
  console.log(`-- open page: ${label}, ${RATE} messages/s for ${SECONDS} s`);
  const srv = await startServer(label);
  let p = null;
  try {
    const [id] = (await startGreeters(srv, 1)).ids;
    const r = { label };
    if (withPage) {
      p = await openPage(browser, `${srv.dashboard}#/actor/${id}`);
      await p.page.waitForFunction((a) => document.querySelector('[data-testid=actor-page]')?.dataset.actorId === a &&
        document.querySelectorAll('[data-testid=event-row]').length > 0, id, { timeout: 30000 });
      await sleep(1000);
      await takeLongTasks(p.page);
      await evaluate(p.page, () => window.__frames(true));
      await sleep(5000);  // the baseline for the page's own numbers: the same page, idle
      r.idleLong = await takeLongTasks(p.page);
      r.idleGap = await evaluate(p.page, () => window.__frames(false));
      r.heap0 = await p.heap(true); r.nodes0 = await p.nodes(); r.renderer0 = await rendererRss(browser);
      await evaluate(p.page, () => window.__frames(true));
    } else {
      await sleep(1000);
    }
    const s0 = procStats(srv.child.pid);
    let peakRss = s0.rss, peakHeap = r.heap0 || 0, peakRenderer = r.renderer0 || 0;
    const sample = async () => {  // each second: the server's RSS, the page's heap, the renderers' RSS
      peakRss = Math.max(peakRss, procStats(srv.child.pid).rss);
      if (p) peakRenderer = Math.max(peakRenderer, await rendererRss(browser));
      if (p) peakHeap = Math.max(peakHeap, await withTimeout(p.heap(false), 10000, 'heap sample').catch(() => 0));
    };
    r.load = await runLoad(srv, id, sample);
    const s1 = procStats(srv.child.pid);
    Object.assign(r, { rss0: s0.rss, rss1: s1.rss, peakRss: Math.max(peakRss, s1.rss), cpu: s1.cpu - s0.cpu });
    const c = await Client.connect(srv.listen);
    r.chainEvents = (await c.call({ InspectActor: { id } }, 'InspectActor')).body.events;
    c.close();
    if (p) {
      r.loadLong = await takeLongTasks(p.page);
      r.loadGap = await evaluate(p.page, () => window.__frames(false));
      r.heap1 = await p.heap(false); r.peakHeap = peakHeap; r.renderer1 = await rendererRss(browser); r.peakRenderer = peakRenderer;
      // Does the page catch up with the chain once the load stops? (up to 15 s)
      const shown = () => evaluate(p.page, () => Math.max(-1, ...Array.from(document.querySelectorAll('[data-testid=event-row]'), (e) => Number(e.dataset.seq))));
      const tc = now();
      while ((await shown()) < r.chainEvents - 1 && now() - tc < 15000) await sleep(250);
      r.lastShown = await shown();
      r.catchUpMs = r.lastShown >= r.chainEvents - 1 ? now() - tc : null;
      r.heap1gc = await p.heap(true); r.nodes1 = await p.nodes();
      r.eventRows = await evaluate(p.page, () => document.querySelectorAll('[data-testid=event-row]').length);
      r.gaps = await evaluate(p.page, () => document.querySelectorAll('[data-testid=timeline-gap]').length);
      r.note = await evaluate(p.page, () => document.querySelector('[data-testid=timeline-note]')?.textContent);
      r.errors = await p.reportErrors('open page');
      if (r.lastShown < r.chainEvents - 1) problems.push(`open page: 15 s after the load the timeline's last seq is ${r.lastShown}, the chain has ${r.chainEvents} events`);
    }
    if (Object.keys(r.load.errors).length) problems.push(`${label}: load errors ${JSON.stringify(r.load.errors)}`);
    return r;
  } finally {
    if (p) await p.page.close().catch(() => {});
    await stopServer(srv);
  }
}

// ---- report ----

const rows = [];
function row(name, base, value, unit, { floor = 0, digits = 1 } = {}) {
  // Under the floor a value is only known to be below it: the ratio is then a bound (≥ or ≤), or none.
  const [b, v] = [Math.max(base, floor), Math.max(value, floor)];
  const bound = base < floor ? (value < floor ? null : '≥') : value < floor ? '≤' : '';
  const ratio = bound === null || !(b > 0) ? null : v / b;
  const fmt = (x) => (typeof x === 'number' ? x.toFixed(digits) : String(x));
  rows.push({ name, base, value, unit, ratio: ratio === null ? null : Number(ratio.toFixed(3)), bound: bound || undefined });
  console.log(`${name.padEnd(46)} ${fmt(base).padStart(10)} ${fmt(value).padStart(11)} ${unit.padEnd(6)} ${ratio === null ? (floor ? `n/a (both <${floor} ms)` : 'n/a') : bound + ratio.toFixed(2) + 'x'}`);
}

async function main() {
  if (!fs.existsSync(THEATER)) throw new Error(`no theater binary at ${THEATER}`);
  if (!fs.existsSync(MANIFEST)) throw new Error(`no ${MANIFEST}`);
  const pw = await import(path.join(path.resolve(PW_DIR), 'node_modules', 'playwright-core', 'index.mjs'));
  const browser = await pw.chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], timeout: 30000 });
  try {
    const base = await scaleRun(browser, BASE_ACTORS);
    const big = await scaleRun(browser, N);
    const nopage = await openPageRun(browser, false);
    const withp = await openPageRun(browser, true);
    const MB = 2 ** 20;
    console.log(`\n${'metric'.padEnd(46)} ${'baseline'.padStart(10)} ${'measured'.padStart(11)} unit   ratio`);
    console.log(`1. scale: ${N} actors (measured) vs ${BASE_ACTORS} (baseline)`);
    row('ListActors response size', base.list.bytes / 1024, big.list.bytes / 1024, 'KiB');
    row('ListActors time (node, median of 5)', base.list.ms, big.list.ms, 'ms', { digits: 2 });
    row('(a) page load until count = N and rows', base.loadMs, big.loadMs, 'ms', { digits: 0 });
    row('(b) longest task while loading', base.loadLong.max, big.loadLong.max, 'ms', { floor: LONGTASK_FLOOR, digits: 0 });
    row('    long tasks total while loading', base.loadLong.total, big.loadLong.total, 'ms', { floor: LONGTASK_FLOOR, digits: 0 });
    row('(b) longest task while scrolling', base.scrollLong.max, big.scrollLong.max, 'ms', { floor: LONGTASK_FLOOR, digits: 0 });
    row('    longest frame gap while scrolling', base.scroll.maxGap, big.scroll.maxGap, 'ms', { digits: 0 });
    row('    scroll to the end (steps: ' + `${base.scroll.steps}/${big.scroll.steps})`, base.scroll.ms, big.scroll.ms, 'ms', { digits: 0 });
    row(`    longest task, tree idle ${IDLE_SECONDS} s`, base.idleLong.max, big.idleLong.max, 'ms', { floor: LONGTASK_FLOOR, digits: 0 });
    row(`    long tasks total, tree idle ${IDLE_SECONDS} s`, base.idleLong.total, big.idleLong.total, 'ms', { floor: LONGTASK_FLOOR, digits: 0 });
    row(`    ListActors the page sent, idle ${IDLE_SECONDS} s`, base.idleLong.lists, big.idleLong.lists, '', { digits: 0 });
    row('(c) actor-row elements after load', base.rowsAfterLoad, big.rowsAfterLoad, 'rows', { digits: 0 });
    row('(c) actor-row elements, most while scrolling', base.scroll.maxRows, big.scroll.maxRows, 'rows', { digits: 0 });
    row('    page JS heap after load (after GC)', base.heapMB, big.heapMB, 'MiB');
    row('    server RSS with the page open', base.rssMB, big.rssMB, 'MiB');
    console.log(`2. a page left open: ${RATE} messages/s for ${SECONDS} s, with page (measured) vs without (baseline)`);
    row('messages accepted per second', nopage.load.rate, withp.load.rate, 'msg/s', { digits: 0 });
    row('chain events at the end', nopage.chainEvents, withp.chainEvents, 'events', { digits: 0 });
    row('server RSS growth during the load', (nopage.rss1 - nopage.rss0) / MB, (withp.rss1 - withp.rss0) / MB, 'MiB');
    row('server RSS peak', nopage.peakRss / MB, withp.peakRss / MB, 'MiB');
    row('server CPU time during the load', nopage.cpu, withp.cpu, 's', { digits: 2 });
    row('server CPU per 1000 messages accepted', (1e6 * nopage.cpu) / nopage.load.ok, (1e6 * withp.cpu) / withp.load.ok, 'ms', { digits: 1 });
    row('server RSS growth per 1000 messages', ((nopage.rss1 - nopage.rss0) / 1024) / (nopage.load.ok / 1000), ((withp.rss1 - withp.rss0) / 1024) / (withp.load.ok / 1000), 'KiB', { digits: 1 });
    console.log(`   the page: end vs start of the load (heap, nodes), under load vs idle for 5 s just before`);
    row('page JS heap after GC: start -> end', withp.heap0 / MB, withp.heap1gc / MB, 'MiB', { digits: 2 });
    row('page JS heap: start (GC) -> peak sampled', withp.heap0 / MB, withp.peakHeap / MB, 'MiB', { digits: 2 });
    row('page DOM nodes: start -> end', withp.nodes0, withp.nodes1, 'nodes', { digits: 0 });
    row('chromium renderers RSS: start -> end of load', withp.renderer0 / MB, withp.renderer1 / MB, 'MiB');
    row('chromium renderers RSS: start -> peak sampled', withp.renderer0 / MB, withp.peakRenderer / MB, 'MiB');
    row('longest task: idle -> under load', withp.idleLong.max, withp.loadLong.max, 'ms', { floor: LONGTASK_FLOOR, digits: 0 });
    row('long tasks total: idle 5 s -> load', withp.idleLong.total, withp.loadLong.total, 'ms', { floor: LONGTASK_FLOOR, digits: 0 });
    row('longest frame gap: idle -> under load', withp.idleGap, withp.loadGap, 'ms', { digits: 0 });
    console.log(`   timeline at the end: ${withp.eventRows} event rows, ${withp.gaps} gaps, last seq ${withp.lastShown} of ${withp.chainEvents - 1}` +
      `${withp.catchUpMs != null ? `, caught up ${withp.catchUpMs.toFixed(0)} ms after the load` : ', not caught up 15 s after the load'}; note: "${withp.note}"`);
    console.log(problems.length ? `\nlooked wrong (${problems.length}):\n${problems.map((p) => '  - ' + p).join('\n')}` : '\nnothing looked wrong');
    console.log(JSON.stringify({ bench: 'dashboard', actors: N, seconds: SECONDS, rate: RATE, rows, scale: { base, big }, open_page: { without: nopage, with: withp }, problems }));
  } finally {
    await browser.close().catch(() => {});
  }
}

async function cleanup() { for (const s of [...servers]) await stopServer(s).catch(() => {}); }
process.on('SIGINT', () => cleanup().then(() => process.exit(130)));
process.on('SIGTERM', () => cleanup().then(() => process.exit(143)));
main().then(async () => { await cleanup(); process.exit(0); }, async (e) => {
  console.error(`dashboard bench failed: ${e && e.stack ? e.stack : e}`);
  await cleanup();
  process.exit(1);
});
