// Noisy neighbour (issue 10): a victim organisation's p50/p99 for an API read (GET /api/controls)
// and for a live change reaching its shape (PATCH → the official client sees it), first alone,
// then while an attacker organisation runs each of the issue's three attacks, printed as ratios
// to the quiet run, with the server's event-loop delay p99 (prom-client's
// nodejs_eventloop_lag_p99_seconds, reset at each scrape) during each phase. The server runs in
// a process of its own (bench/lib/app-process.ts) with the default limits. Goal: every p99
// ratio ≤ 2. Everything it starts is stopped at the end. Nothing passes or fails.
// Run: npx tsx bench/noisy-neighbour.ts   (BENCH_SECONDS=8 for longer phases)
import { setMaxListeners } from 'node:events';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { type Row, ShapeStream } from '@electric-sql/client';
import { loadConfig } from '../server/src/config.ts';
import { openDatabase } from '../server/src/db/database.ts';
import { bearer, buildOrganization, buildUser, type TestUser } from '../server/test/helpers/factories.ts';
import { startAppProcess } from './lib/app-process.ts';
import { benchSeconds, percentile } from './lib/measure.ts';
import { BENCH_SECRET } from './lib/server.ts';

const seconds = benchSeconds(6);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const dataDir = path.resolve(import.meta.dirname, '../.data-bench-noisy');
rmSync(dataDir, { recursive: true, force: true });
const config = loadConfig({
  NODE_ENV: 'test',
  SHARED_TOKEN_SECRET: BENCH_SECRET,
  DATA_DIR: dataDir,
  SEED: 'false',
});
const db = await openDatabase({
  databaseUrl: undefined,
  dataDir,
  requireLogicalWal: true,
});
const server = await startAppProcess(db.ownerUrl, BENCH_SECRET);
const base = server.url;

const victim = await buildUser(db, config, await buildOrganization(db, 'Victim'));
const attacker = await buildUser(db, config, await buildOrganization(db, 'Attacker'));
await db.ownerPool.query(
  `INSERT INTO controls (organization_id, name, control_type, functional_range)
   SELECT $1, 'Victim control ' || i, 'technical', 'narrow' FROM generate_series(1, 100) i`,
  [victim.orgId],
);
const victimControl: string = (
  await db.ownerPool.query('SELECT id FROM controls WHERE organization_id = $1 LIMIT 1', [victim.orgId])
).rows[0].id;

const json = { 'content-type': 'application/json' };
const request = (user: TestUser, url: string, init: RequestInit = {}) =>
  fetch(`${base}${url}`, {
    ...init,
    headers: { ...bearer(user), ...(init.headers ?? {}) },
    signal: init.signal ?? AbortSignal.timeout(30_000),
  });
const syncUrl = (params: Record<string, string>) =>
  `/api/electric/sync?${new URLSearchParams({ table: 'controls', offset: '-1', ...params })}`;

// ── the victim ────────────────────────────────────────────────────────────────────────────────
type Sample = { ms: number[]; failed: number };

/** GET /api/controls in a closed loop (2 at a time) until `until`. */
async function victimReads(until: number): Promise<Sample> {
  const sample: Sample = { ms: [], failed: 0 };
  await Promise.all(
    [0, 1].map(async () => {
      while (performance.now() < until) {
        const t0 = performance.now();
        const response = await request(victim, '/api/controls').catch(() => undefined);
        await response?.arrayBuffer().catch(() => {});
        if (response?.status === 200) sample.ms.push(performance.now() - t0);
        else {
          sample.failed++;
          await sleep(200);
        }
      }
    }),
  );
  return sample;
}

/** The victim's live shape (official client): resolves each awaited name as it arrives. */
function victimShape() {
  const controller = new AbortController();
  const waiting = new Map<string, () => void>();
  const stream = new ShapeStream<Row>({
    url: `${base}/api/electric/sync`,
    params: { table: 'controls' } as never,
    headers: bearer(victim),
    signal: controller.signal,
  });
  const upToDate = new Promise<void>((resolve) => {
    stream.subscribe((messages) => {
      for (const m of messages) {
        if ('key' in m) waiting.get(String(m.value.name))?.();
        else if (m.headers.control === 'up-to-date') resolve();
      }
    });
  });
  return { upToDate, waiting, stop: () => controller.abort() };
}

/** PATCH the victim's control, then wait for the change on its shape, until `until`. */
async function victimChanges(shape: ReturnType<typeof victimShape>, until: number): Promise<Sample> {
  const sample: Sample = { ms: [], failed: 0 };
  while (performance.now() < until) {
    const name = `live ${process.hrtime.bigint()}`;
    const seen = new Promise<boolean>((resolve) => {
      shape.waiting.set(name, () => resolve(true));
      setTimeout(() => resolve(false), 15_000).unref();
    });
    const t0 = performance.now();
    const response = await request(victim, `/api/controls/${victimControl}`, {
      method: 'PATCH',
      headers: json,
      body: JSON.stringify({ name }),
    }).catch(() => undefined);
    await response?.arrayBuffer().catch(() => {});
    if (response?.status !== 200 || !(await seen)) sample.failed++;
    else sample.ms.push(performance.now() - t0);
    shape.waiting.delete(name);
    await sleep(100);
  }
  return sample;
}

// ── the attacks (each runs until `stop` is aborted) ──────────────────────────────────────────
const longPattern = (n: number) => `%${'a'.repeat(2500)}b${n}%`;

/** Attack 1: a 5,000-character description, 20 live shapes ORing six LIKEs on it, PATCHes. */
async function likeAttack(stop: AbortSignal) {
  const created = await request(attacker, '/api/controls', {
    method: 'POST',
    headers: json,
    body: JSON.stringify({
      name: 'Long one',
      control_type: 'technical',
      functional_range: 'narrow',
      description: 'a'.repeat(5000),
    }),
  });
  const { data } = (await created.json()) as { data: { id: string } };
  const params: Record<string, string> = {};
  for (let n = 1; n <= 6; n++) params[`params[${n}]`] = longPattern(n);
  const where = [1, 2, 3, 4, 5, 6].map((n) => `description LIKE $${n}`).join(' OR ');
  const streams = Array.from({ length: 20 }, (_, s) => {
    const stream = new ShapeStream<Row>({
      url: `${base}/api/electric/sync`,
      params: { table: 'controls', where: `(${where}) AND name <> 's${s}'`, ...params } as never,
      headers: bearer(attacker),
      signal: stop,
      onError: () => undefined, // a refused shape (400 after the where limits) stays refused
    });
    stream.subscribe(() => {});
    return stream;
  });
  for (let i = 0; !stop.aborted; i++) {
    await request(attacker, `/api/controls/${data.id}`, {
      method: 'PATCH',
      headers: json,
      body: JSON.stringify({ name: `Long one ${i}` }),
    })
      .then((r) => r.arrayBuffer())
      .catch(() => {});
    await sleep(200);
  }
  return streams.length;
}

/**
 * Attack 2: 190 controls of 5 kB (imported below), then rounds of 20 costly snapshots at once:
 * the issue's 2,500-character pattern (refused with 400 by the where limits) and one just under
 * the pattern limit, which PostgreSQL still matches in O(text × pattern) for every row.
 */
async function snapshotAttack(stop: AbortSignal) {
  for (let round = 0; !stop.aborted; round++) {
    const batch = Array.from({ length: 20 }, (_, n) => {
      const pattern = n % 2 === 0 ? longPattern(round * 100 + n) : `%${'a'.repeat(480)}b${round * 100 + n}%`;
      return request(attacker, syncUrl({ where: 'description LIKE $1', 'params[1]': pattern }), {
        signal: stop,
      })
        .then((r) => r.arrayBuffer())
        .catch(() => {});
    });
    await Promise.all(batch);
    await sleep(100);
  }
}

/** Attack 3: hundreds of distinct shapes over the attacker's megabyte of rows. */
async function manyShapesAttack(stop: AbortSignal) {
  let n = 0;
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      while (!stop.aborted) {
        const k = n++;
        await request(attacker, syncUrl({ where: `name <> 'k${k}'` }), { signal: stop })
          .then((r) => r.arrayBuffer())
          .catch(() => {});
      }
    }),
  );
}

// ── phases ──────────────────────────────────────────────────────────────────────────────────
async function eventLoopP99Ms(): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return Number(/^nodejs_eventloop_lag_p99_seconds (\S+)/m.exec(text)?.[1] ?? Number.NaN) * 1000;
}

type Phase = { name: string; reads: Sample; changes: Sample; loopP99Ms: number };

async function phase(name: string, attack?: (stop: AbortSignal) => Promise<unknown>): Promise<Phase> {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal); // every attacker request listens on it
  const attacking = attack?.(controller.signal).catch((error) => console.error(`${name}: ${error}`));
  if (attack) await sleep(1000); // let the attack take hold
  await eventLoopP99Ms(); // the scrape resets the histogram: what follows is this phase's
  const shape = victimShape();
  await shape.upToDate;
  const until = performance.now() + seconds * 1000;
  const [reads, changes] = await Promise.all([victimReads(until), victimChanges(shape, until)]);
  const loopP99Ms = await eventLoopP99Ms();
  shape.stop();
  controller.abort();
  await attacking;
  await sleep(1000); // let the server settle before the next phase
  return { name, reads, changes, loopP99Ms };
}

// CSV import of attack 2 (once: its rows also serve attack 3).
const csv = [
  'name,control_type,functional_range,description',
  ...Array.from({ length: 190 }, (_, i) => `Bulk ${i},technical,narrow,${'a'.repeat(5000)}`),
].join('\n');
const imported = await request(attacker, '/api/controls/import', {
  method: 'POST',
  headers: { 'content-type': 'text/csv' },
  body: csv,
});
console.log(`server at ${base}; ${seconds} s per phase; attacker imported: ${imported.status}`);

const phases: Phase[] = [];
try {
  await phase('warm-up (not reported)'); // JIT, pools and caches warm before the quiet baseline
  phases.push(await phase('alone'));
  phases.push(await phase('attack 1: LIKE shapes + PATCH', likeAttack));
  phases.push(await phase('attack 2: 20 costly snapshots', snapshotAttack));
  phases.push(await phase('attack 3: distinct shapes', manyShapesAttack));
} finally {
  await server.stop();
  await db.close();
}

const [alone] = phases as [Phase];
const stat = (s: Sample) => {
  const sorted = [...s.ms].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), n: sorted.length, failed: s.failed };
};
const cell = (value: number) => (Number.isFinite(value) ? value.toFixed(1) : '-').padStart(8);
console.log(
  `\n${'phase'.padEnd(32)} ${'read p50'.padStart(8)} ${'read p99'.padStart(8)} ${'×alone'.padStart(7)} ${'n/fail'.padStart(9)}` +
    ` ${'live p50'.padStart(8)} ${'live p99'.padStart(8)} ${'×alone'.padStart(7)} ${'n/fail'.padStart(8)} ${'loop p99'.padStart(9)}`,
);
for (const p of phases) {
  const r = stat(p.reads);
  const c = stat(p.changes);
  const ar = stat(alone.reads);
  const ac = stat(alone.changes);
  console.log(
    `${p.name.padEnd(32)} ${cell(r.p50)} ${cell(r.p99)} ${(r.p99 / ar.p99).toFixed(2).padStart(7)} ${`${r.n}/${r.failed}`.padStart(9)}` +
      ` ${cell(c.p50)} ${cell(c.p99)} ${(c.p99 / ac.p99).toFixed(2).padStart(7)} ${`${c.n}/${c.failed}`.padStart(8)} ${cell(p.loopP99Ms)} ms`,
  );
}
console.log(
  '\nms; ×alone = p99 during the attack / p99 alone (goal ≤ 2); n/fail = answered / failed or refused;' +
    '\nloop p99 = the server’s event-loop delay p99 during the phase.',
);
