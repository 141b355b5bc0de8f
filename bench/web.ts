// Benchmark of the web app in a real browser (Debian's Chromium), with 10,000 controls:
//   1. sign-in → first full dashboard: from the click on "Sign in" until all 10,000 points are
//      drawn on the 2x2 matrix (local database filled over the shape stream, live queries run);
//   2. a write elsewhere → repaint of its point: an interaction logged through the API by
//      another client, until the point has moved to Self on the open dashboard (median of 7),
//      printed beside the API round trip of the write itself as a ratio.
// Prints only. Run: npx tsx bench/web.ts   (CHROMIUM_PATH overrides /usr/bin/chromium)
import { type ChildProcess, execSync, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { recordRatio } from './lib/measure.ts';

const CONTROLS = Number(process.env.BENCH_CONTROLS ?? 10_000);
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

async function main() {
  if (!existsSync(path.join(root, 'web/build/index.html'))) {
    execSync('npm run build:web', { cwd: root, stdio: 'ignore' });
  }
  const port = await freePort();
  const base = `http://localhost:${port}`;
  const dataDir = path.join(tmpdir(), `sertantai-bench-web-${Date.now().toString(36)}`);
  // Node itself (not npx, whose SIGTERM never reached the server it started), in a process
  // group of its own so the stop below reaches the server and its embedded PostgreSQL.
  const server = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
    cwd: root,
    env: { ...process.env, PORT: String(port), DATA_DIR: dataDir, SEED: 'false', LOG_LEVEL: 'warn' },
    stdio: 'ignore',
    detached: true,
  });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    await waitForHealth(base, server);
    const email = `bench-${Date.now()}@example.test`;
    const password = 'correct horse battery';
    const registered = await fetch(`${base}/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password, organization_name: 'Bench Works' }),
    });
    const { access_token: token } = (await registered.json()) as { access_token: string };
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    for (const provider of [
      { name: 'Our crew', provider_type: 'internal', is_user_themselves: true },
      { name: 'Far vendor', provider_type: 'vendor' },
    ]) {
      await fetch(`${base}/api/providers`, { method: 'POST', headers: auth, body: JSON.stringify(provider) });
    }
    const lines = ['name,control_type,functional_range,provider'];
    for (let i = 0; i < CONTROLS; i++) {
      const provider = i % 4 === 0 ? 'Far vendor' : i % 4 === 1 ? '' : 'Our crew';
      lines.push(`Control ${String(i).padStart(5, '0')},physical,${i % 2 ? 'wide' : 'narrow'},${provider}`);
    }
    const imported = await fetch(`${base}/api/controls/import`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'text/csv' },
      body: lines.join('\n'),
    });
    if (imported.status !== 201)
      throw new Error(`import failed: ${imported.status} ${await imported.text()}`);

    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    await page.goto(`${base}/sign-in`);
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Password').fill(password);
    let snapshotDone = 0;
    page.on('response', (response) => {
      const url = response.url();
      if (
        !snapshotDone &&
        url.includes('/api/electric/sync') &&
        url.includes('table=controls') &&
        'electric-up-to-date' in response.headers()
      ) {
        snapshotDone = Date.now();
      }
    });
    const signInStart = Date.now();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForFunction(
      (n) => document.querySelectorAll('[data-testid="point"]').length >= n,
      CONTROLS,
      { timeout: 300_000, polling: 50 },
    );
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => resolve(null))));
    const dashboardMs = Date.now() - signInStart;

    // Writes elsewhere: controls with the self provider that were never touched (Specialist).
    const list = (await (
      await fetch(`${base}/api/controls?limit=50&quadrant=specialist`, { headers: auth })
    ).json()) as { data: { id: string }[] };
    const repaint: number[] = [];
    const roundTrip: number[] = [];
    const delivered: number[] = [];
    let lastControlsLive = 0;
    page.on('response', (response) => {
      const url = response.url();
      if (url.includes('/api/electric/sync') && url.includes('table=controls') && url.includes('live=true')) {
        lastControlsLive = Date.now();
      }
    });
    for (const { id } of list.data.slice(0, 7)) {
      await page.evaluate((controlId) => {
        const w = window as unknown as { __moved?: number };
        w.__moved = undefined;
        const point = document.querySelector(`[data-testid="point"][data-id="${controlId}"]`);
        if (!point) throw new Error('point not found');
        const observer = new MutationObserver(() => {
          if (point.getAttribute('data-quadrant') === 'self') {
            observer.disconnect();
            requestAnimationFrame(() => {
              w.__moved = Date.now();
            });
          }
        });
        observer.observe(point, { attributes: true, subtree: true });
      }, id);
      const start = Date.now();
      const response = await fetch(`${base}/api/controls/${id}/interactions`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ interaction_type: 'use' }),
      });
      roundTrip.push(Date.now() - start);
      if (response.status !== 201) throw new Error(`interaction failed: ${response.status}`);
      await page.waitForFunction(
        () => (window as unknown as { __moved?: number }).__moved !== undefined,
        null,
        {
          timeout: 60_000,
          polling: 10,
        },
      );
      const moved = await page.evaluate(() => (window as unknown as { __moved: number }).__moved);
      repaint.push(moved - start);
      delivered.push(lastControlsLive - start);
    }
    const write = median(roundTrip);
    const paint = median(repaint);
    console.log(
      `web bench: ${CONTROLS} controls, Chromium ${browser.version()}, ${new Date().toISOString()}`,
    );
    console.log(
      `  sign-in → full dashboard (${CONTROLS} points drawn): ${(dashboardMs / 1000).toFixed(2)} s`,
    );
    console.log(
      `  of which: the controls shape fully received after ${((snapshotDone - signInStart) / 1000).toFixed(2)} s`,
    );
    console.log(
      `  write elsewhere → point repainted: median ${paint} ms (min ${Math.min(...repaint)}, max ${Math.max(...repaint)}, n=${repaint.length})`,
    );
    console.log(`  of which: change delivered on the controls stream after median ${median(delivered)} ms`);
    console.log(
      `  the write's own API round trip: median ${write} ms → repaint/write ratio ${(paint / write).toFixed(1)}x`,
    );
    recordRatio("repaint after a write elsewhere / the write's API round trip", paint / write);
    recordRatio('sign-in → all points drawn (s)', dashboardMs / 1000, { atMost: 0.8 });
    recordRatio('write elsewhere → point repainted (s)', paint / 1000, { atMost: 0.1 });
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
