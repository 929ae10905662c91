// Browser test of the dashboard (web/, served by `theater server --http`): a real server, the
// supervision example started and driven with the CLI, and Debian's chromium driven by
// playwright-core, checking what a person would see — live updates, a restart, a causal link
// followed from a worker to its supervisor, verification, replay, the server page — and that
// hostile text (an actor's name and state) stays text.
//
//   node tests/dashboard/dashboard_test.mjs
//
// Environment: THEATER (the theater binary; default THEATER_SOURCE/build/theater),
// THEATER_SOURCE (the repository: examples/supervision/*.wasm built; default this file's
// ../..), CHROMIUM (default /usr/bin/chromium), ARTIFACTS (screenshots; default a temp
// folder), PLAYWRIGHT_CORE (a folder with node_modules/playwright-core, e.g. after `npm ci`
// there with this folder's package.json; default normal module resolution).
// Prints one line per step; exits 0 on success, 1 with the failing step and what was seen.

import { spawn, execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const SOURCE = path.resolve(process.env.THEATER_SOURCE || path.join(here, '..', '..'));
const THEATER = path.resolve(process.env.THEATER || path.join(SOURCE, 'build', 'theater'));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const TIMEOUT = 15000;       // every wait in the browser
const SLOW_TIMEOUT = 60000;  // replay runs the actor again

const HOSTILE = '<img src=x onerror=window.__pwned=1>';

class StepFailure extends Error {}
const fail = (message) => { throw new StepFailure(message); };

let stepNo = 0;
async function step(name, fn) {
  stepNo++;
  const t0 = Date.now();
  try {
    const r = await fn();
    console.log(`step ${stepNo}: ${name} ... ok (${Date.now() - t0} ms)`);
    return r;
  } catch (e) {
    const what = e instanceof StepFailure ? e.message : e && e.stack ? e.stack : String(e);
    throw new StepFailure(`step ${stepNo} (${name}) failed: ${what}`);
  }
}

// ---- the server and the CLI ----

function startServer(dataDir) {
  const args = ['--data-dir', dataDir, 'server', '--listen', '127.0.0.1:0', '--http', '127.0.0.1:0', '--fresh'];
  const child = spawn(THEATER, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, THEATER_HOME: dataDir } });
  const log = [];
  let listen = null;
  let dashboard = null;
  // Both lines are looked for on stdout and stderr alike.
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new StepFailure(`the server did not say where it listens within ${TIMEOUT} ms; its output:\n${log.join('\n')}`)), TIMEOUT);
    const onLine = (line) => {
      log.push(line);
      if (log.length > 200) log.shift();
      const l = /listening on (\S+:\d+)/.exec(line);
      if (l && !listen) listen = l[1];
      const d = /dashboard on (https?:\/\/\S+?\/)/.exec(line);
      if (d && !dashboard) dashboard = d[1];
      if (listen && dashboard) { clearTimeout(timer); resolve(); }
    };
    for (const stream of [child.stdout, child.stderr]) {
      let buf = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        buf += chunk;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) { onLine(buf.slice(0, i)); buf = buf.slice(i + 1); }
      });
    }
    child.on('error', (e) => { clearTimeout(timer); reject(new StepFailure(`cannot run ${THEATER}: ${e.message}`)); });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new StepFailure(`the server exited (${code ?? signal}) before it was ready; its output:\n${log.join('\n')}`));
    });
  });
  return { child, log, ready: ready.then(() => ({ listen, dashboard })) };
}

async function stopServer(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 15000);
  await exited;
  clearTimeout(t);
}

function cli(env, ...args) {
  return new Promise((resolve) => {
    execFile(THEATER, args, { env: { ...process.env, ...env }, timeout: 30000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

async function cliOk(env, ...args) {
  const r = await cli(env, ...args);
  if (r.code !== 0) fail(`theater ${args.join(' ')} exited ${r.code}:\n${r.stdout}${r.stderr}`);
  return r;
}

// ---- the browser ----

async function loadPlaywright() {
  const dir = process.env.PLAYWRIGHT_CORE;
  const spec = dir ? path.join(path.resolve(dir), 'node_modules', 'playwright-core', 'index.mjs') : 'playwright-core';
  try {
    return await import(spec);
  } catch (e) {
    throw new StepFailure(`cannot load playwright-core from ${spec} (npm ci in a folder with tests/dashboard/package.json, then PLAYWRIGHT_CORE=that folder): ${e.message}`);
  }
}

// Waits for fn(arg) in the page to be truthy; on timeout says what `describe` saw.
async function waitFor(page, what, fn, arg, describe, timeout = TIMEOUT) {
  try {
    return await page.waitForFunction(fn, arg, { timeout, polling: 100 });
  } catch (e) {
    let seen = '';
    try { seen = describe ? await page.evaluate(describe, arg) : ''; } catch { seen = '(page not readable)'; }
    const errors = await page.locator('[data-testid=error]').textContent().catch(() => '');
    fail(`timed out after ${timeout} ms waiting for ${what}; seen: ${seen}${errors ? `; error area: ${errors}` : ''}`);
  }
}

const rowsSeen = () => Array.from(document.querySelectorAll('[data-testid=actor-row]'), (r) =>
  `${r.dataset.actorId.slice(0, 8)} ${r.querySelector('[data-testid=actor-status]')?.textContent} restarts=${r.querySelector('[data-testid=actor-restarts]')?.textContent}`).join(' | ') +
  ` (connection: ${document.querySelector('[data-testid=connection]')?.textContent})`;

const eventsSeen = () => {
  const rows = Array.from(document.querySelectorAll('[data-testid=event-row]'));
  return `page ${document.querySelector('[data-testid=actor-page]')?.dataset.actorId ?? 'none'}, ${rows.length} event rows, last: ` +
    rows.slice(-5).map((r) => `${r.dataset.seq}:${r.dataset.type}`).join(', ') +
    `, details: ${Array.from(document.querySelectorAll('[data-testid=event-detail]'), (d) => `${d.dataset.seq}:${d.dataset.type}`).join(', ')}`;
};

const maxSeq = () => Math.max(-1, ...Array.from(document.querySelectorAll('[data-testid=event-row]'), (r) => Number(r.dataset.seq)));

async function main() {
  const artifacts = path.resolve(process.env.ARTIFACTS || fs.mkdtempSync(path.join(os.tmpdir(), 'theater-dashboard-artifacts-')));
  fs.mkdirSync(artifacts, { recursive: true });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'theater-dashboard-'));
  let server = null;
  let browser = null;
  const pageProblems = [];
  const shot = async (page, name) => page.screenshot({ path: path.join(artifacts, name) });
  try {
    const { listen, dashboard } = await step('start the server with --http', async () => {
      if (!fs.existsSync(THEATER)) fail(`no theater binary at ${THEATER} (set THEATER)`);
      for (const f of ['supervisor.toml', 'supervisor.wasm', 'worker.wasm']) {
        const p = path.join(SOURCE, 'examples', 'supervision', f);
        if (!fs.existsSync(p)) fail(`${p} is missing (build the examples, or set THEATER_SOURCE)`);
      }
      server = startServer(dataDir);
      const where = await server.ready;
      console.log(`  protocol on ${where.listen}, dashboard on ${where.dashboard}, data in ${dataDir}`);
      return where;
    });
    const env = { THEATER_SERVER: listen, THEATER_HOME: dataDir };

    const sup = await step('start the supervision tree and send it job 2', async () => {
      const r = await cliOk(env, 'start', path.join(SOURCE, 'examples', 'supervision', 'supervisor.toml'), '--json');
      let id = null;
      for (const line of r.stdout.split('\n')) {
        try { const j = JSON.parse(line); id = j.id ?? j.ActorStarted?.id ?? id; } catch { /* not JSON */ }
      }
      if (!id) fail(`theater start --json printed no id: ${r.stdout}`);
      const job = await cliOk(env, 'request', id, 'job 2');
      console.log(`  supervisor ${id}; job 2: ${job.stdout.trim()}`);
      return id;
    });

    const pw = await loadPlaywright();
    const page = await step('open the dashboard: live, the supervisor and its two workers', async () => {
      browser = await pw.chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
      const p = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      // Script errors and policy violations (an inline script or style) fail the test.
      p.on('pageerror', (e) => pageProblems.push(`page error: ${e.message}`));
      p.on('console', (m) => {
        if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) pageProblems.push(`policy: ${m.text()}`);
      });
      const response = await p.goto(dashboard);
      if (!response || !response.ok()) fail(`GET ${dashboard} answered ${response && response.status()}`);
      const csp = response.headers()['content-security-policy'] || '';
      if (!/script-src 'self'/.test(csp)) console.log(`  note: the page came without the expected Content-Security-Policy (got "${csp}")`);
      await waitFor(p, 'connection = live', () => document.querySelector('[data-testid=connection]')?.textContent === 'live', null, rowsSeen);
      await waitFor(p, '3 actor rows, the supervisor among them',
        (s) => document.querySelectorAll('[data-testid=actor-row]').length === 3 && !!document.querySelector(`[data-testid=actor-row][data-actor-id="${s}"]`),
        sup, rowsSeen);
      const count = await p.locator('[data-testid=actor-count]').textContent();
      if (count.trim() !== '3') fail(`actor-count says ${count}, expected 3`);
      await shot(p, 'tree.png');
      return p;
    });
    const workers = await page.$$eval('[data-testid=actor-row]', (rows, s) => rows.map((r) => r.dataset.actorId).filter((id) => id !== s), sup);

    const crashed = await step('job 3 crashes a worker: its row shows 1 restart, live', async () => {
      const r = await cli(env, 'request', sup, 'job 3');
      console.log(`  job 3 (exit ${r.code}): ${(r.stdout + r.stderr).trim()}`);
      const handle = await waitFor(page, 'a worker row with restarts = 1',
        (ws) => ws.find((w) => document.querySelector(`[data-testid=actor-row][data-actor-id="${w}"] [data-testid=actor-restarts]`)?.textContent === '1'),
        workers, rowsSeen);
      await shot(page, 'restart.png');
      return handle.jsonValue();
    });
    const healthy = workers.find((w) => w !== crashed);

    await step('the supervisor\'s timeline grows live with job 4', async () => {
      await page.click(`[data-testid=actor-row][data-actor-id="${sup}"] a`);
      await waitFor(page, 'the supervisor\'s page with its timeline',
        (s) => document.querySelector('[data-testid=actor-page]')?.dataset.actorId === s && document.querySelectorAll('[data-testid=event-row]').length > 0,
        sup, eventsSeen);
      // Let the subscription settle: the rows already shown are the loaded window.
      await page.waitForTimeout(300);
      const before = await page.evaluate(maxSeq);
      await cliOk(env, 'request', sup, 'job 4');
      await waitFor(page, `an event row with seq > ${before} (without reloading)`,
        (b) => Array.from(document.querySelectorAll('[data-testid=event-row]')).some((r) => Number(r.dataset.seq) > b),
        before, eventsSeen);
      const after = await page.evaluate(maxSeq);
      console.log(`  last seq ${before} -> ${after}`);
      await shot(page, 'live-event.png');
    });

    await step('a worker\'s call links to the supervisor\'s request that caused it', async () => {
      await page.evaluate((w) => { location.hash = `#/actor/${encodeURIComponent(w)}`; }, healthy);
      await waitFor(page, 'the worker\'s page with a handle-request call',
        (w) => document.querySelector('[data-testid=actor-page]')?.dataset.actorId === w &&
          Array.from(document.querySelectorAll('[data-testid=event-row][data-type="wasm/call"]')).some((r) => r.textContent.includes('handle-request')),
        healthy, eventsSeen);
      const call = page.locator('[data-testid=event-row][data-type="wasm/call"]', { hasText: 'handle-request' }).last();
      const seq = await call.getAttribute('data-seq');
      await call.click();
      await waitFor(page, `the detail of event ${seq}`,
        (s) => !!document.querySelector(`[data-testid=event-detail][data-seq="${s}"] [data-testid=cause-link]`), seq, eventsSeen);
      await page.click(`[data-testid=event-detail][data-seq="${seq}"] [data-testid=cause-link]`);
      const request = 'theater:simple/message-server-host/request';
      await waitFor(page, `the supervisor's page showing its ${request} event`,
        ([s, t]) => {
          const d = document.querySelector('[data-testid=event-detail]');
          const row = d && document.querySelector(`[data-testid=event-row][data-seq="${d.dataset.seq}"]`);
          return document.querySelector('[data-testid=actor-page]')?.dataset.actorId === s && row && row.dataset.type === t;
        },
        [sup, request], eventsSeen);
      const detail = await page.locator('[data-testid=event-detail]').first().textContent();
      if (!detail.includes(healthy)) fail(`the request event does not name the worker ${healthy}: ${detail.slice(0, 500)}`);
      if (!page.url().includes(`/actor/${sup}/event/`)) fail(`the address is ${page.url()}, expected #/actor/${sup}/event/SEQ`);
      await shot(page, 'causal-link.png');
    });

    await step('verify the supervisor\'s chain', async () => {
      await page.click('[data-testid=action-verify]');
      await waitFor(page, 'a verify result', () => /verified|FAILED|failed/.test(document.querySelector('[data-testid=verify-result]')?.textContent ?? ''),
        null, () => document.querySelector('[data-testid=verify-result]')?.textContent);
      const text = await page.locator('[data-testid=verify-result]').textContent();
      if (!text.includes('verified')) fail(`verify-result says: ${text}`);
      console.log(`  ${text.split('\n')[0]}`);
    });

    await step('replay the supervisor: identical', async () => {
      await page.click('[data-testid=action-replay]');
      await waitFor(page, 'a replay result', () => /identical|diverges|failed/.test(document.querySelector('[data-testid=replay-result]')?.textContent ?? ''),
        null, () => document.querySelector('[data-testid=replay-result]')?.textContent, SLOW_TIMEOUT);
      const text = await page.locator('[data-testid=replay-result]').textContent();
      if (!text.includes('identical')) fail(`replay-result says: ${text}`);
      console.log(`  ${text.split('\n')[0]}`);
    });

    await step('the server page shows at least 3 actors', async () => {
      await page.evaluate(() => { location.hash = '#/server'; });
      await waitFor(page, 'server-actors >= 3 and an uptime',
        () => Number(document.querySelector('[data-testid=server-actors]')?.textContent) >= 3 &&
          /\d/.test(document.querySelector('[data-testid=server-uptime]')?.textContent ?? ''),
        null, () => document.querySelector('[data-testid=server-page]')?.textContent);
      await shot(page, 'server.png');
    });

    await step('hostile text stays text: an actor started from the form with markup as its name and state', async () => {
      await page.evaluate(() => { location.hash = '#/'; });
      const component = path.join(SOURCE, 'examples', 'supervision', 'worker.wasm');
      const toml = `name = ${JSON.stringify(HOSTILE)}\nversion = "0.1.0"\ncomponent = ${JSON.stringify(component)}\n\n` +
        '[[handler]]\ntype = "runtime"\n\n[[handler]]\ntype = "message-server"\n';
      await page.fill('[data-testid=start-manifest]', toml);
      await page.fill('[data-testid=start-state]', HOSTILE);
      await page.click('[data-testid=start-submit]');
      await waitFor(page, 'the start result', () => /started|error/.test(document.querySelector('[data-testid=start-result]')?.textContent ?? ''),
        null, () => document.querySelector('[data-testid=start-result]')?.textContent);
      const result = await page.locator('[data-testid=start-result]').textContent();
      if (!result.startsWith('started')) fail(`start-result says: ${result}`);
      const id = await page.locator('[data-testid=start-result] a').getAttribute('title');
      await waitFor(page, 'its row, named with the markup as text',
        ([i, name]) => document.querySelector(`[data-testid=actor-row][data-actor-id="${i}"]`)?.textContent.includes(name), [id, HOSTILE], rowsSeen);
      await page.evaluate((i) => { location.hash = `#/actor/${encodeURIComponent(i)}`; }, id);
      await waitFor(page, 'its state shown as text', (name) => document.querySelector('[data-testid=actor-state]')?.textContent.includes(name),
        HOSTILE, () => document.querySelector('[data-testid=actor-state]')?.textContent);
      const images = await page.locator('img').count();
      const pwned = await page.evaluate(() => window.__pwned);
      if (images !== 0 || pwned !== undefined) fail(`markup from an actor became HTML: ${images} <img> elements, window.__pwned = ${pwned}`);
      await shot(page, 'hostile.png');
    });

    await step('no script errors or policy violations in the page', async () => {
      if (pageProblems.length) fail(pageProblems.join('\n'));
    });
  } finally {
    const t0 = Date.now();
    if (browser) await browser.close().catch(() => {});
    if (server) await stopServer(server.child);
    fs.rmSync(dataDir, { recursive: true, force: true });
    console.log(`cleanup: browser closed, server stopped (exit ${server ? server.child.exitCode ?? server.child.signalCode : '-'}), ${dataDir} removed (${Date.now() - t0} ms)`);
  }
  console.log(`dashboard test passed (screenshots in ${artifacts})`);
}

main().then(() => process.exit(0), (e) => {
  console.error(e instanceof StepFailure ? e.message : e && e.stack ? e.stack : String(e));
  process.exit(1);
});
