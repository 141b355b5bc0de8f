// Noisy neighbour (issue 10): a victim organisation's p50/p99 for an API read (GET /api/controls)
// and for a live change reaching its shape (PATCH → the official client sees it), quiet and
// while an attacker organisation runs each of the issue's three attacks, printed as p99 ratios
// to the quiet phases of the same run, with the server's event-loop delay p99 (prom-client's
// nodejs_eventloop_lag_p99_seconds, reset at each scrape) during each phase. Goal: every p99
// ratio ≤ 2. Nothing passes or fails.
//
// Made to be comparable on a shared machine: the server (bench/lib/app-process.ts, default
// limits), the attacker (bench/lib/noisy-attacker.ts, at nice 10) and the victim (this process)
// are three processes; a quiet phase precedes each attack phase and the ratios use the quiet
// phases pooled, so a machine whose load drifts during the run skews both sides alike; the
// victim is measured the same way in every phase. Everything it starts is stopped at the end.
// Run: npx tsx bench/noisy-neighbour.ts   (BENCH_SECONDS=10 per phase; BENCH_ADMIN_URL=postgres://…
// runs on a fresh database of that server, dropped at the end, instead of an embedded one)
import { rmSync } from 'node:fs';
import path from 'node:path';
import { type Row, ShapeStream } from '@electric-sql/client';
import { loadConfig } from '../server/src/config.ts';
import { openDatabase } from '../server/src/db/database.ts';
import { bearer, buildOrganization, buildUser, type TestUser } from '../server/test/helpers/factories.ts';
import { startAppProcess } from './lib/app-process.ts';
import { freshDatabase, stopAll } from './lib/cluster-processes.ts';
import { benchSeconds, percentile } from './lib/measure.ts';
import {
  ATTACKER_NICE,
  type Attacker,
  type AttackName,
  type AttackReport,
  startAttacker,
} from './lib/noisy-attacker.ts';
import { BENCH_SECRET } from './lib/server.ts';

const seconds = benchSeconds(10);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const dataDir = path.resolve(import.meta.dirname, '../.data-bench-noisy');
rmSync(dataDir, { recursive: true, force: true });
const adminUrl = process.env.BENCH_ADMIN_URL;
const config = loadConfig({
  NODE_ENV: 'test',
  SHARED_TOKEN_SECRET: BENCH_SECRET,
  DATA_DIR: dataDir,
  SEED: 'false',
});
const db = await openDatabase({
  databaseUrl: adminUrl ? await freshDatabase(adminUrl) : undefined,
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
/** Two controls, one per writer loop, so the live-change samples double. */
const victimControls: string[] = (
  await db.ownerPool.query('SELECT id FROM controls WHERE organization_id = $1 LIMIT 2', [victim.orgId])
).rows.map((row) => row.id);

const json = { 'content-type': 'application/json' };
const request = (user: TestUser, url: string, init: RequestInit = {}) =>
  fetch(`${base}${url}`, {
    ...init,
    headers: { ...bearer(user), ...(init.headers ?? {}) },
    signal: init.signal ?? AbortSignal.timeout(30_000),
  });

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

/** Two writers, each PATCHing its control and waiting for the change on the shape, until `until`. */
async function victimChanges(shape: ReturnType<typeof victimShape>, until: number): Promise<Sample> {
  const sample: Sample = { ms: [], failed: 0 };
  await Promise.all(
    victimControls.map(async (controlId) => {
      while (performance.now() < until) {
        const name = `live ${process.hrtime.bigint()}`;
        const seen = new Promise<boolean>((resolve) => {
          shape.waiting.set(name, () => resolve(true));
          setTimeout(() => resolve(false), 15_000).unref();
        });
        const t0 = performance.now();
        const response = await request(victim, `/api/controls/${controlId}`, {
          method: 'PATCH',
          headers: json,
          body: JSON.stringify({ name }),
        }).catch(() => undefined);
        await response?.arrayBuffer().catch(() => {});
        if (response?.status !== 200 || !(await seen)) sample.failed++;
        else sample.ms.push(performance.now() - t0);
        shape.waiting.delete(name);
        await sleep(50);
      }
    }),
  );
  return sample;
}

// ── phases ──────────────────────────────────────────────────────────────────────────────────
async function eventLoopP99Ms(): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return Number(/^nodejs_eventloop_lag_p99_seconds (\S+)/m.exec(text)?.[1] ?? Number.NaN) * 1000;
}

type Phase = {
  name: string;
  quiet: boolean;
  reads: Sample;
  changes: Sample;
  loopP99Ms: number;
  attack?: AttackReport;
  attackSeconds?: number;
};

async function phase(name: string, attack?: AttackName): Promise<Phase> {
  let attacking: Attacker | undefined;
  const started = performance.now();
  if (attack) {
    attacking = await startAttacker(attack, base, attacker.token);
    await sleep(1000); // let the attack take hold
  }
  await eventLoopP99Ms(); // the scrape resets the histogram: what follows is this phase's
  const shape = victimShape();
  await shape.upToDate;
  const until = performance.now() + seconds * 1000;
  const [reads, changes] = await Promise.all([victimReads(until), victimChanges(shape, until)]);
  const loopP99Ms = await eventLoopP99Ms();
  shape.stop();
  const report = await attacking?.stop();
  const attackSeconds = (performance.now() - started) / 1000;
  await sleep(1000); // let the server settle before the next phase
  return { name, quiet: !attack, reads, changes, loopP99Ms, attack: report, attackSeconds };
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
console.log(
  `server at ${base} (${adminUrl ? 'fresh database on BENCH_ADMIN_URL' : 'embedded PostgreSQL'}); ` +
    `${seconds} s per phase; attacker imported: ${imported.status}\n` +
    `processes: server (nice 0), victim = this process (nice 0), attacker (nice ${ATTACKER_NICE}); no CPU pinning`,
);

const attacks: Array<[string, AttackName]> = [
  ['attack 1: LIKE shapes + PATCH', 'like'],
  ['attack 2: 20 costly snapshots', 'snapshots'],
  ['attack 3: distinct shapes', 'shapes'],
];
const phases: Phase[] = [];
try {
  await phase('warm-up (not reported)'); // JIT, pools and caches warm before the first quiet phase
  for (const [name, attack] of attacks) {
    phases.push(await phase('quiet'));
    phases.push(await phase(name, attack));
  }
} finally {
  await server.stop();
  await db.close();
  await stopAll();
  rmSync(dataDir, { recursive: true, force: true });
}

const pooled = (pick: (p: Phase) => Sample): Sample => ({
  ms: phases.filter((p) => p.quiet).flatMap((p) => pick(p).ms),
  failed: phases.filter((p) => p.quiet).reduce((sum, p) => sum + pick(p).failed, 0),
});
const quietPhases = phases.filter((p) => p.quiet);
const alone: Phase = {
  name: 'quiet, pooled (the baseline)',
  quiet: true,
  reads: pooled((p) => p.reads),
  changes: pooled((p) => p.changes),
  loopP99Ms: Math.max(...quietPhases.map((p) => p.loopP99Ms)),
};
const stat = (s: Sample) => {
  const sorted = [...s.ms].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), n: sorted.length, failed: s.failed };
};
const cell = (value: number) => (Number.isFinite(value) ? value.toFixed(1) : '-').padStart(8);
console.log(
  `\n${'phase'.padEnd(32)} ${'read p50'.padStart(8)} ${'read p99'.padStart(8)} ${'×quiet'.padStart(7)} ${'n/fail'.padStart(9)}` +
    ` ${'live p50'.padStart(8)} ${'live p99'.padStart(8)} ${'×quiet'.padStart(7)} ${'n/fail'.padStart(8)} ${'loop p99'.padStart(9)}  attacker requests/s (by status)`,
);
const ar = stat(alone.reads);
const ac = stat(alone.changes);
for (const p of [...phases, alone]) {
  const r = stat(p.reads);
  const c = stat(p.changes);
  const attack = p.attack
    ? `  ${(p.attack.requests / (p.attackSeconds ?? 1)).toFixed(0)}/s (${Object.entries(p.attack.byStatus)
        .map(([status, n]) => `${status}: ${n}`)
        .join(', ')})`
    : '';
  console.log(
    `${p.name.padEnd(32)} ${cell(r.p50)} ${cell(r.p99)} ${(r.p99 / ar.p99).toFixed(2).padStart(7)} ${`${r.n}/${r.failed}`.padStart(9)}` +
      ` ${cell(c.p50)} ${cell(c.p99)} ${(c.p99 / ac.p99).toFixed(2).padStart(7)} ${`${c.n}/${c.failed}`.padStart(8)} ${cell(p.loopP99Ms)} ms${attack}`,
  );
}
console.log(
  '\nms; ×quiet = p99 of the phase / p99 of all quiet phases pooled (goal ≤ 2 for the attacks);' +
    '\nn/fail = answered / failed or refused; loop p99 = the server’s event-loop delay p99 during the phase' +
    ' (pooled row: the worst quiet phase).',
);
