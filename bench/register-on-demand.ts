// Issue 15's benchmark: a register of 100,000 controls in Chromium, in one run:
//   1. sign-in → first register page shown (the click on "Sign in" to the end of the frame that
//      paints the first rows, both read in the page: lib/first-page-timeline.ts; the wall clock around
//      Playwright's click and wait, which adds its own round trips, is printed beside), on-demand sync (a changes-only
//      log plus a subset snapshot of the first page) vs full sync (the whole register loaded
//      before the page shows), alternately, each in a fresh browser context (no offline copy);
//      goal ≤ 300 ms for on-demand; each round's breakdown from the browser's performance
//      timeline (lib/first-page-timeline.ts; BENCH_TRACE=1 lists every request);
//   2. one subset request (the first 50 controls by name) vs the REST list of the same rows
//      (GET /api/controls?limit=50&sort=name), alternately, as a ratio of medians.
// Two app processes on one fresh database of the machine's PostgreSQL, the same organisation:
// one with SYNC_ON_DEMAND_CONTROLS=50000 (on demand), one with 10,000,000 (full); each elects
// its own engine (its own SYNC_ENGINE_GROUP), so neither forwards to the other. Each process's
// sync engine is started before the rounds (lib/warm-sync-engine.ts: another organisation's shape),
// and each round starts BENCH_SETTLE_MS (3,000) after the previous one ended: the full-sync
// process keeps working after its round (the whole register's shape), which the next on-demand
// sign-in would otherwise share 2 cores with.
// Prints only. Run: npx tsx bench/register-on-demand.ts
//   (BENCH_CONTROLS=100000, BENCH_ROUNDS=3, BENCH_ADMIN_URL=postgres://postgres@127.0.0.1:5432/postgres;
//   BENCH_PROFILE=<dir> keeps Chromium's trace of each on-demand round, for DevTools' performance
//   panel or bench/trace-summary.ts)
import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { type Browser, chromium } from 'playwright-core';
import { chromiumLaunchOptions } from '../e2e/chromium.ts';
import { startAppProcess } from './lib/app-process.ts';
import { freshDatabase, stopAll } from './lib/cluster-processes.ts';
import {
  describeTimeline,
  type FirstPageTimeline,
  instrument,
  readTimeline,
} from './lib/first-page-timeline.ts';
import { recordRatio } from './lib/measure.ts';
import { warmSyncEngine } from './lib/warm-sync-engine.ts';

const CONTROLS = Number(process.env.BENCH_CONTROLS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SETTLE_MS = Number(process.env.BENCH_SETTLE_MS ?? 3_000);
/** BENCH_PROFILE=<dir>: Chromium's trace of each on-demand round, <dir>/on-demand-<round>.trace.json. */
const profileDir = process.env.BENCH_PROFILE;
/** What the DevTools performance panel records: the main thread's tasks, scripts, layout, paint, the click's mark. */
const TRACE_CATEGORIES = [
  'devtools.timeline',
  'disabled-by-default-devtools.timeline',
  'v8.execute',
  'blink.user_timing',
  'loading',
  'disabled-by-default-v8.cpu_profiler',
];
const adminUrl = process.env.BENCH_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SECRET = 'bench-register-on-demand-secret-of-32-bytes!';
const root = path.resolve(import.meta.dirname, '..');

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

async function firstRegisterPage(
  browser: Browser,
  base: string,
  email: string,
  password: string,
  profileAs?: string,
) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await instrument(context);
  try {
    const page = await context.newPage();
    await page.goto(`${base}/sign-in?next=/controls`);
    // A person takes seconds to type an e-mail and a password: by then the sign-in page has
    // loaded and its service worker has cached the app (~100 files from the same server, which
    // a click at once would share the server and the browser with). The bench waits for that,
    // not for a typing speed.
    const settleStart = Date.now();
    await page.waitForLoadState('load');
    await page.evaluate(() => navigator.serviceWorker?.ready.then(() => undefined));
    const settled = Date.now() - settleStart;
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Password').fill(password);
    if (profileAs) await browser.startTracing(page, { categories: TRACE_CATEGORIES });
    const start = Date.now();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForSelector('[data-testid="register-row"]', { timeout: 300_000 });
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => resolve(null))));
    const end = Date.now();
    if (profileAs) {
      mkdirSync(path.dirname(profileAs), { recursive: true });
      writeFileSync(profileAs, await browser.stopTracing());
    }
    const rows = await page.locator('[data-testid="register-row"]').count();
    const timeline = await readTimeline(page);
    // In the page: the click event to the first rows painted (no automation in it).
    const ms = Math.round(timeline.frame);
    const afterSignIn = Math.round(timeline.frame - (timeline.login?.end ?? 0));
    return { ms, wallClock: end - start, afterSignIn, rows, timeline, settled };
  } finally {
    await context.close();
  }
}

async function timed(fn: () => Promise<Response>): Promise<number> {
  const start = performance.now();
  const response = await fn();
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`request failed: ${response.status}`);
  return performance.now() - start;
}

async function main() {
  if (!existsSync(path.join(root, 'web/build/index.html')))
    execSync('npm run build:web', { cwd: root, stdio: 'ignore' });
  const databaseUrl = await freshDatabase(adminUrl);
  // A loaded shared machine is not an overloaded server: no shedding during the 100k import.
  const common = { SHED_EVENT_LOOP_DELAY_MS: '0', DB_ACQUIRE_TIMEOUT_MS: '30000' };
  const onDemand = await startAppProcess(databaseUrl, SECRET, {
    ...common,
    SYNC_ON_DEMAND_CONTROLS: '50000',
    SYNC_ENGINE_GROUP: 'on-demand',
  });
  const full = await startAppProcess(databaseUrl, SECRET, {
    ...common,
    SYNC_ON_DEMAND_CONTROLS: '10000000',
    SYNC_ENGINE_GROUP: 'full',
  });
  const browser = await chromium.launch(chromiumLaunchOptions);
  try {
    const email = `bench-${Date.now()}@example.test`;
    const password = 'correct horse battery';
    const registered = await fetch(`${onDemand.url}/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password, organization_name: 'Bench Large Register' }),
    });
    const answer = (await registered.json()) as { access_token: string; organization: { id: string } };
    const token = answer.access_token;
    const auth = { authorization: `Bearer ${token}` };
    // Rows straight into the table (as the owner, triggers and all): the import API's checks and
    // reclassification are not what is measured here, and take minutes for 100,000 rows.
    const importStart = Date.now();
    const owner = new pg.Client({ connectionString: databaseUrl });
    await owner.connect();
    await owner.query(
      `INSERT INTO controls (organization_id, name, control_type, functional_range)
       SELECT $1, 'Control ' || lpad(i::text, 6, '0'), 'physical', CASE WHEN i % 2 = 1 THEN 'wide' ELSE 'narrow' END
         FROM generate_series(0, $2 - 1) AS i`,
      [answer.organization.id, CONTROLS],
    );
    await owner.query('ANALYZE controls');
    await owner.end();
    const importSeconds = (Date.now() - importStart) / 1000;
    await warmSyncEngine(onDemand.url);
    await warmSyncEngine(full.url);

    const demand: number[] = [];
    const whole: number[] = [];
    const demandAfter: number[] = [];
    const wholeAfter: number[] = [];
    const demandTimelines: FirstPageTimeline[] = [];
    const wholeTimelines: FirstPageTimeline[] = [];
    let demandRows = 0;
    let wholeRows = 0;
    const demandWall: number[] = [];
    const wholeWall: number[] = [];
    /** How long each sign-in page took to load and cache the app before the form was filled. */
    const settles: number[] = [];
    const settle = () => new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    for (let round = 0; round < ROUNDS; round++) {
      await settle();
      const profileAs = profileDir && path.join(profileDir, `on-demand-${round + 1}.trace.json`);
      const a = await firstRegisterPage(browser, onDemand.url, email, password, profileAs);
      demandWall.push(a.wallClock);
      settles.push(a.settled);
      demand.push(a.ms);
      demandAfter.push(a.afterSignIn);
      demandRows = a.rows;
      demandTimelines.push(a.timeline);
      await settle();
      const b = await firstRegisterPage(browser, full.url, email, password);
      wholeWall.push(b.wallClock);
      settles.push(b.settled);
      whole.push(b.ms);
      wholeAfter.push(b.afterSignIn);
      wholeRows = b.rows;
      wholeTimelines.push(b.timeline);
    }

    // Subset vs REST, the same 50 rows, alternately (warm: the first of each is not counted).
    const subsetUrl = `${onDemand.url}/api/electric/sync?table=controls&offset=now&log=changes_only&subset__order_by=name&subset__limit=50`;
    const restUrl = `${onDemand.url}/api/controls?limit=50&sort=name`;
    const subset: number[] = [];
    const rest: number[] = [];
    for (let i = 0; i < 41; i++) {
      const s = await timed(() => fetch(subsetUrl, { headers: auth }));
      const r = await timed(() => fetch(restUrl, { headers: auth }));
      if (i > 0) {
        subset.push(s);
        rest.push(r);
      }
    }

    console.log(
      `register-on-demand bench: ${CONTROLS} controls (inserted in ${importSeconds.toFixed(1)} s), Chromium ${browser.version()}, ${new Date().toISOString()}`,
    );
    console.log(
      `  sign-in → first register page shown, ${ROUNDS} rounds alternating, fresh browser context each:`,
    );
    console.log(
      `    on demand (changes-only log + subset of the first page): ${demand.map((ms) => `${ms} ms`).join(', ')} → median ${median(demand)} ms (${demandRows} rows drawn; goal ≤ 300 ms)`,
    );
    console.log(
      `    full sync (whole register first):                         ${whole.map((ms) => `${ms} ms`).join(', ')} → median ${median(whole)} ms (${wholeRows} rows drawn)`,
    );
    console.log(`    full / on demand: ${(median(whole) / median(demand)).toFixed(1)}x`);
    recordRatio('sign-in → first register page, on demand (s)', median(demand) / 1000, { atMost: 0.3 });
    recordRatio('sign-in → first register page, full / on demand', median(whole) / median(demand));
    recordRatio('first 50 controls: subset snapshot / REST list', median(subset) / median(rest));
    console.log(
      `    of which after the sign-in answer (/auth/login): on demand median ${median(demandAfter)} ms, full median ${median(wholeAfter)} ms`,
    );
    console.log(
      `    wall clock around Playwright's click and wait (its own overhead included): on demand ${demandWall.map((ms) => `${ms} ms`).join(', ')}; full ${wholeWall.map((ms) => `${ms} ms`).join(', ')}`,
    );
    console.log(
      `    the sign-in page settled (loaded, app cached by its service worker) before the form was filled, in ${settles.map((ms) => `${ms} ms`).join(', ')}`,
    );
    console.log('  where the time goes (browser performance timeline, ms after the click, start→end):');
    demandTimelines.forEach((t, i) => {
      console.log(`    on demand #${i + 1}: ${describeTimeline(t)}`);
      if (process.env.BENCH_TRACE) for (const r of t.requests) console.log(`      ${r}`);
    });
    for (const [i, t] of wholeTimelines.entries())
      console.log(`    full sync #${i + 1}: ${describeTimeline(t)}`);
    console.log(
      `  first 50 controls by name, ${subset.length} requests each, alternating: subset snapshot median ${median(subset).toFixed(1)} ms, REST list median ${median(rest).toFixed(1)} ms → subset/REST ${(median(subset) / median(rest)).toFixed(2)}x`,
    );
  } finally {
    await browser.close();
    await full.stop();
    await onDemand.stop();
    await stopAll();
  }
}

main().catch(async (error) => {
  console.error(error);
  await stopAll().catch(() => {});
  process.exit(1);
});
