// Benchmark of the web app in a real browser (Debian's Chromium), for registers of 10,000 and
// 50,000 controls in one run (one organisation each, same server), each in a fresh context:
//   1. sign-in → all points drawn: from the page's own click on "Sign in" until every control's
//      mark is drawn on the 2x2 matrix (SVG links, or the canvas's data-drawn for large
//      matrices), with its timeline from the browser's resource timing
//      (lib/dashboard-timeline.ts): the login, the sync plan, the matrix shape's snapshot answer
//      and its up-to-date answer, the first and the last mark drawn (goals 0.8 s and 2 s).
//      Printed beside: the same from before Playwright's click, whose own round trips to the
//      browser (actionability checks, scrolling) added 0.1-0.25 s on the loaded machine;
//   2. a write elsewhere → repaint of its point: an interaction logged through the API by
//      another client, until the matrix has drawn it in Self (median of 7; goal 100 ms),
//      beside the API round trip of the write itself as a ratio.
// The server's sync engine is started first (its one-time start would land on the first sign-in).
// Prints only. Run: npx tsx bench/web.ts
//   (BENCH_CONTROLS=10000,50000 a comma list of sizes; CHROMIUM_PATH overrides /usr/bin/chromium;
//   BENCH_PROFILE=<dir> writes Chromium's CPU profiles of the load and of the repaints there,
//   <dir>/<count>-load.cpuprofile and <count>-repaint.cpuprofile, for DevTools or bench/profile-top.ts,
//   and every request after the click as start→end ms, <dir>/<count>-requests.txt;
//   BENCH_SERVER_LOG=<file> with BENCH_LOG_LEVEL=info keeps the server's log of each request and its time)
import { type ChildProcess, execSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { chromiumLaunchOptions } from '../e2e/chromium.ts';
import {
  allDrawn,
  describeDashboardTimeline,
  instrumentDashboard,
  readDashboardTimeline,
} from './lib/dashboard-timeline.ts';
import { recordRatio } from './lib/measure.ts';

const SIZES = (process.env.BENCH_CONTROLS ?? '10000,50000').split(',').map(Number);
/** Issue 16's goals for sign-in → all points drawn, in seconds. */
const GOALS: Record<number, number> = { 10000: 0.8, 50000: 2 };
const IMPORT_BATCH = 10_000; // the CSV import's limit per file
const root = path.resolve(import.meta.dirname, '..');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
}

async function waitForHealth(base: string, child: ChildProcess) {
  for (let i = 0; i < 240; i++) {
    if (child.exitCode !== null) throw new Error('the server exited during start-up');
    try {
      if ((await fetch(`${base}/health`)).ok) return;
    } catch {
      // not yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error('the server did not become healthy');
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

type Account = { email: string; password: string; auth: Record<string, string> };

/** A new organisation with `count` controls (CSV imports of 10,000), never touched. */
async function organisation(base: string, count: number): Promise<Account> {
  const email = `bench-${count}-${Date.now()}@example.test`;
  const password = 'correct horse battery';
  const registered = await fetch(`${base}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password, organization_name: `Bench Works ${count}` }),
  });
  const { access_token: token } = (await registered.json()) as { access_token: string };
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  for (const provider of [
    { name: 'Our crew', provider_type: 'internal', is_user_themselves: true },
    { name: 'Far vendor', provider_type: 'vendor' },
  ]) {
    await fetch(`${base}/api/providers`, { method: 'POST', headers: auth, body: JSON.stringify(provider) });
  }
  for (let from = 0; from < count; from += IMPORT_BATCH) {
    const lines = ['name,control_type,functional_range,provider'];
    for (let i = from; i < Math.min(count, from + IMPORT_BATCH); i++) {
      const provider = i % 4 === 0 ? 'Far vendor' : i % 4 === 1 ? '' : 'Our crew';
      lines.push(`Control ${String(i).padStart(6, '0')},physical,${i % 2 ? 'wide' : 'narrow'},${provider}`);
    }
    const imported = await fetch(`${base}/api/controls/import`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'text/csv' },
      body: lines.join('\n'),
    });
    if (imported.status !== 201)
      throw new Error(`import failed: ${imported.status} ${await imported.text()}`);
  }
  return { email, password, auth };
}

/**
 * Starts the server's sync engine before anything is measured: it starts replication on the
 * first shape request of the process (~0.5 s here), a one-time cost a running server has long
 * paid, which the first measured sign-in would otherwise carry. A separate organisation's shape,
 * so the measured ones start cold.
 */
async function startSyncEngine(base: string) {
  const registered = await fetch(`${base}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      email: `bench-warm-${Date.now()}@example.test`,
      password: 'correct horse battery',
      organization_name: 'Bench warm-up',
    }),
  });
  const { access_token: token } = (await registered.json()) as { access_token: string };
  const shape = await fetch(`${base}/api/electric/sync?table=control_providers&offset=-1`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (!shape.ok) throw new Error(`warm-up shape request failed: ${shape.status}`);
  await shape.arrayBuffer();
}

// The scripts run in the page are plain text: named functions passed from here would carry
// tsx's `__name` helper, which the page does not have.

/** Sets window.__moved once the control is drawn in Self (on a canvas: one more mark in Self). */
const watchMove = (controlId: string) => `{
  window.__moved = undefined;
  const done = (observer) => {
    observer.disconnect();
    requestAnimationFrame(() => { window.__moved = Date.now(); });
  };
  const canvas = document.querySelector('[data-testid="matrix-canvas"]');
  if (canvas) {
    const before = Number(canvas.dataset.drawnSelf);
    const observer = new MutationObserver(() => {
      if (Number(canvas.dataset.drawnSelf) > before) done(observer);
    });
    observer.observe(canvas, { attributes: true });
  } else {
    const point = document.querySelector('[data-testid="point"][data-id="${controlId}"]');
    if (!point) throw new Error('point not found');
    const observer = new MutationObserver(() => {
      if (point.getAttribute('data-quadrant') === 'self') done(observer);
    });
    observer.observe(point, { attributes: true, subtree: true });
  }
}`;

async function measure(browser: Browser, base: string, count: number, account: Account) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const page = await context.newPage();
    page.on('pageerror', (error) => console.error(`  page error: ${error.message}`));
    await instrumentDashboard(context, count);
    await page.goto(`${base}/sign-in`);
    await page.getByLabel('E-mail').fill(account.email);
    await page.getByLabel('Password').fill(account.password);
    let lastLive = 0;
    let start = 0;
    const profileDir = process.env.BENCH_PROFILE;
    page.on('requestfinished', (request) => {
      const url = request.url();
      // The dashboard's stream of changes (a live request of the controls shape) for the repaints.
      if (url.includes('/api/electric/sync') && url.includes('table=controls') && url.includes('live=true'))
        lastLive = Date.now();
    });
    const cdp = profileDir ? await context.newCDPSession(page) : undefined;
    const profile = async (name: string) => {
      if (!cdp || !profileDir) return;
      const { profile } = await cdp.send('Profiler.stop');
      mkdirSync(profileDir, { recursive: true });
      writeFileSync(path.join(profileDir, `${count}-${name}.cpuprofile`), JSON.stringify(profile));
    };
    if (cdp) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
      await cdp.send('Profiler.start');
    }
    start = Date.now();
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Predicates are anonymous arrows (a string would be eval'd, which the app's CSP refuses).
    await page.waitForFunction(allDrawn, null, { timeout: 300_000, polling: 100 });
    const timeline = await readDashboardTimeline(page);
    const rendering = await page.getByTestId('matrix').getAttribute('data-rendering');
    await profile('load');
    if (profileDir)
      writeFileSync(path.join(profileDir, `${count}-requests.txt`), `${timeline.requests.join('\n')}\n`);
    if (cdp) await cdp.send('Profiler.start');

    // Writes elsewhere: controls with the self provider that were never touched (Specialist).
    const list = (await (
      await fetch(`${base}/api/controls?limit=50&quadrant=specialist`, { headers: account.auth })
    ).json()) as { data: { id: string }[] };
    const repaint: number[] = [];
    const roundTrip: number[] = [];
    const delivered: number[] = [];
    for (const { id } of list.data.slice(0, 7)) {
      await page.evaluate(watchMove(id));
      const t0 = Date.now();
      const response = await fetch(`${base}/api/controls/${id}/interactions`, {
        method: 'POST',
        headers: account.auth,
        body: JSON.stringify({ interaction_type: 'use' }),
      });
      roundTrip.push(Date.now() - t0);
      if (response.status !== 201) throw new Error(`interaction failed: ${response.status}`);
      await page.waitForFunction(
        () => (window as unknown as { __moved?: number }).__moved !== undefined,
        null,
        {
          timeout: 60_000,
          polling: 10,
        },
      );
      repaint.push(((await page.evaluate('window.__moved')) as number) - t0);
      delivered.push(lastLive - t0);
    }
    await profile('repaint');
    return {
      rendering,
      timeline,
      wall: timeline.allWall - start,
      repaint,
      roundTrip,
      delivered,
    };
  } finally {
    await context.close();
  }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function main() {
  if (!existsSync(path.join(root, 'web/build/index.html'))) {
    execSync('npm run build:web', { cwd: root, stdio: 'ignore' });
  }
  const port = await freePort();
  const base = `http://localhost:${port}`;
  const dataDir = path.join(tmpdir(), `sertantai-bench-web-${Date.now().toString(36)}`);
  const serverLog = process.env.BENCH_SERVER_LOG ? openSync(process.env.BENCH_SERVER_LOG, 'a') : undefined;
  // Node itself (not npx, whose SIGTERM never reached the server it started), in a process
  // group of its own so the stop below reaches the server and its embedded PostgreSQL.
  const server = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      PORT: String(port),
      DATA_DIR: dataDir,
      SEED: 'false',
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
      // A loaded shared machine is not an overloaded server: no shedding on event-loop delay
      // (a shed sync request waits out the client's backoff) and a patient pool.
      SHED_EVENT_LOOP_DELAY_MS: '0',
      DB_ACQUIRE_TIMEOUT_MS: '30000',
    },
    // BENCH_SERVER_LOG=<file> keeps the server's output there (a run that hangs says why).
    stdio: serverLog === undefined ? 'ignore' : ['ignore', serverLog, serverLog],
    detached: true,
  });
  const browser = await chromium.launch(chromiumLaunchOptions);
  try {
    await waitForHealth(base, server);
    const accounts = new Map<number, Account>();
    for (const count of SIZES) accounts.set(count, await organisation(base, count));
    await startSyncEngine(base);
    console.log(
      `web bench: ${SIZES.join(' and ')} controls, Chromium ${browser.version()}, ${new Date().toISOString()}`,
    );
    for (const count of SIZES) {
      const r = await measure(browser, base, count, accounts.get(count)!);
      const paint = median(r.repaint);
      const write = median(r.roundTrip);
      const goal = GOALS[count];
      const label = count.toLocaleString('en');
      console.log(`\n  ${label} controls (matrix drawn as ${r.rendering})`);
      const all = r.timeline.all;
      console.log(`    sign-in → all points drawn: ${seconds(all)}${goal ? `  (goal ≤ ${goal} s)` : ''}`);
      console.log(`      from the page's click, ms: ${describeDashboardTimeline(r.timeline)}`);
      console.log(`      from before Playwright's click (its own round trips included): ${seconds(r.wall)}`);
      console.log(
        `    write elsewhere → point repainted: median ${paint} ms (min ${Math.min(...r.repaint)}, max ${Math.max(...r.repaint)}, n=${r.repaint.length})  (goal ≤ 100 ms)`,
      );
      console.log(
        `      of which: change delivered on the dashboard's stream after median ${median(r.delivered)} ms`,
      );
      console.log(
        `      the write's own API round trip: median ${write} ms → repaint/write ratio ${(paint / write).toFixed(1)}x`,
      );
      recordRatio(`sign-in → all ${label} points drawn (s)`, all / 1000, goal ? { atMost: goal } : undefined);
      recordRatio(`write elsewhere → point repainted, ${label} controls (s)`, paint / 1000, { atMost: 0.1 });
      recordRatio(
        `repaint after a write elsewhere / the write's API round trip, ${label} controls`,
        paint / write,
      );
    }
  } finally {
    await browser.close();
    await stopServer(server);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** SIGTERM to the server's process group (its graceful shutdown stops PostgreSQL), SIGKILL after 15 s. */
async function stopServer(server: ChildProcess) {
  if (server.exitCode !== null || server.pid === undefined) return;
  const exited = new Promise((resolve) => server.once('exit', resolve));
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-server.pid!, name);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
