// Controls API throughput: GET /api/controls/:id and GET /api/controls (50 rows) over real HTTP
// (a listening server, keep-alive connections, a valid token) beside the same reads issued
// straight through the pg driver, step by step: the bare tenant transaction (BEGIN, set_config,
// SELECT, COMMIT, four round trips: the baseline), tenantTransaction (two), the API's
// own read (one), and a single plain query (the physical limit). Printed as throughput ratios
// with p50/p99; no pass/fail on time.
// Run: npx tsx bench/api.ts   (BENCH_SECONDS=5 BENCH_CONCURRENCY=16 to change the load)
import { randomInt } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { readControlList } from '../server/src/controls/list.ts';
import { listControlsQuery } from '../server/src/controls/schema.ts';
import { readControl } from '../server/src/controls/service.ts';
import { tenantTransaction } from '../server/src/db/tenant.ts';
import { allFeatures } from '../server/src/features.ts';
import { buildOrganization, buildUser } from '../server/test/helpers/factories.ts';
import { benchSeconds, type LoopResult, printTable, timeLoop } from './lib/measure.ts';
import { startBenchServer, stopBenchServer } from './lib/server.ts';

const CONTROLS = 500;
const seconds = benchSeconds(4);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16);

const bench = await startBenchServer('api', { features: allFeatures });
const { config, db, app } = bench;
const address = await app.listen({ port: 0, host: '127.0.0.1' });

const org = await buildOrganization(db, 'Bench org');
const user = await buildUser(db, config, org, 'viewer');
await tenantTransaction(db.appPool, { orgId: org.id }, (tx) =>
  tx.query(
    `INSERT INTO controls (organization_id, name, control_type, functional_range, current_quadrant, last_touched_at)
     SELECT $1, 'Control ' || i, 'physical', 'narrow', (ARRAY['self','specialist','service','strange'])[1 + i % 4],
            now() - (i % 90) * interval '1 day'
     FROM generate_series(1, ${CONTROLS}) i`,
    [org.id],
  ),
);
await db.ownerPool.query('ANALYZE controls');
const ids: string[] = (
  await tenantTransaction(db.appPool, { orgId: org.id }, (tx) => tx.query('SELECT id FROM controls'))
).rows.map((r) => r.id);
console.log(
  `server at ${address}; ${CONTROLS} controls; ${concurrency} concurrent clients; ${seconds} s per case`,
);

/** Where the current case's CPU measurement starts (moved past warm-ups). */
let cpuFrom = process.cpuUsage();

/** Drives HTTP load from a worker thread, so the client does not share the server's event loop. */
function httpLoad(urls: string[]): Promise<LoopResult> {
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    const http = require('node:http');
    const { urls, token, seconds, concurrency } = workerData;
    const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
    const get = (url) => new Promise((resolve, reject) => {
      const req = http.get(url, { agent, headers: { authorization: 'Bearer ' + token } }, (res) => {
        if (res.statusCode !== 200) reject(new Error('status ' + res.statusCode + ' for ' + url));
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
    });
    const pick = () => urls[Math.floor(Math.random() * urls.length)];
    (async () => {
      for (let i = 0; i < 200; i++) await get(pick());
      parentPort.postMessage({ ready: true });
      const latencies = [];
      const started = performance.now();
      const deadline = started + seconds * 1000;
      await Promise.all(Array.from({ length: concurrency }, async () => {
        while (performance.now() < deadline) {
          const t0 = performance.now();
          await get(pick());
          latencies.push(performance.now() - t0);
        }
      }));
      const elapsed = (performance.now() - started) / 1000;
      latencies.sort((a, b) => a - b);
      const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p / 100 * latencies.length))];
      agent.destroy();
      parentPort.postMessage({ ops: latencies.length, opsPerSec: latencies.length / elapsed, p50Ms: pct(50), p99Ms: pct(99) });
    })().catch((error) => { throw error; });
  `;
  return new Promise((resolve, reject) => {
    const worker = new Worker(source, {
      eval: true,
      workerData: { urls, token: user.token, seconds, concurrency },
    });
    worker.on('message', (message) => {
      if (message.ready)
        cpuFrom = process.cpuUsage(); // measure after the worker's warm-up
      else resolve(message);
    });
    worker.once('error', reject);
  });
}

const POINT = 'SELECT * FROM controls WHERE id = $1';
const POINT_PLAIN = 'SELECT * FROM controls WHERE id = $1 AND organization_id = $2';
const LIST = `SELECT * FROM controls ORDER BY lower(name), id LIMIT 50`;
const LIST_PLAIN = `SELECT * FROM controls WHERE organization_id = $1 ORDER BY lower(name), id LIMIT 50`;
const context = { orgId: org.id, userId: user.id };
const pickId = () => ids[randomInt(ids.length)]!;
const loop = { seconds, concurrency };

const results: Array<LoopResult & { name: string }> = [];
const cpu: Array<[string, number]> = [];
/** Also records this process's CPU per operation (server, driver and the load worker alike): */
/** on a shared, busy machine it says where the time goes better than throughput does. */
const run = async (name: string, result: Promise<LoopResult>) => {
  cpuFrom = process.cpuUsage();
  const measured = await result;
  const used = process.cpuUsage(cpuFrom);
  cpu.push([name, (used.user + used.system) / 1000 / measured.ops]);
  results.push({ name, ...measured });
};

/**
 * The baseline, "the driver's bare tenant transaction": BEGIN, the settings, the
 * statement and COMMIT, each awaited before the next (four round trips), on the app pool.
 */
async function bareTenantTransaction(sql: string, params: unknown[]) {
  const client = await db.appPool.connect();
  try {
    await client.query('BEGIN READ ONLY');
    await client.query(
      `SELECT set_config('app.current_org_id', $1, true), set_config('app.current_user_id', $2, true),
              set_config('app.request_id', '', true), set_config('statement_timeout', '15000', true)`,
      [context.orgId, context.userId],
    );
    const result = await client.query(sql, params);
    await client.query('COMMIT');
    return result;
  } finally {
    client.release();
  }
}

// Each step of an API read, measured: the bare four-round-trip transaction; tenantTransaction
// (BEGIN and settings pipelined with the first statement, COMMIT its own: two round trips);
// the API's own read (tenantRead: rows and attention in one statement, one round trip); HTTP.
await run('point: API over HTTP', httpLoad(ids.slice(0, 200).map((id) => `${address}/api/controls/${id}`)));
await run(
  'point: driver, bare tenant transaction',
  timeLoop(() => bareTenantTransaction(POINT, [pickId()]), loop),
);
await run(
  'point: driver, tenantTransaction',
  timeLoop(
    () => tenantTransaction(db.appPool, context, (tx) => tx.query(POINT, [pickId()]), { readOnly: true }),
    loop,
  ),
);
await run(
  'point: driver, the API read (readControl)',
  timeLoop(() => readControl(db.appPool, context, pickId(), new Date()), loop),
);
await run(
  'point: driver, plain query',
  timeLoop(() => db.ownerPool.query(POINT_PLAIN, [pickId(), org.id]), loop),
);
const listQuery = listControlsQuery.parse({ limit: '50' });
await run('list 50: API over HTTP', httpLoad([`${address}/api/controls?limit=50`]));
await run(
  'list 50: driver, bare tenant transaction',
  timeLoop(() => bareTenantTransaction(LIST, []), loop),
);
await run(
  'list 50: driver, tenantTransaction',
  timeLoop(() => tenantTransaction(db.appPool, context, (tx) => tx.query(LIST), { readOnly: true }), loop),
);
await run(
  'list 50: driver, the API read (readControlList)',
  timeLoop(() => readControlList(db.appPool, context, listQuery, new Date()), loop),
);
await run(
  'list 50: driver, plain query',
  timeLoop(() => db.ownerPool.query(LIST_PLAIN, [org.id]), loop),
);

printTable(results, [
  ['point: API over HTTP', 'point: driver, bare tenant transaction', { atLeast: 0.5 }],
  ['point: API over HTTP', 'point: driver, the API read (readControl)'],
  ['point: driver, the API read (readControl)', 'point: driver, bare tenant transaction'],
  ['point: driver, tenantTransaction', 'point: driver, bare tenant transaction'],
  ['point: API over HTTP', 'point: driver, plain query'],
  ['list 50: API over HTTP', 'list 50: driver, bare tenant transaction', { atLeast: 0.6 }],
  ['list 50: API over HTTP', 'list 50: driver, the API read (readControlList)'],
  ['list 50: driver, the API read (readControlList)', 'list 50: driver, bare tenant transaction'],
  ['list 50: driver, tenantTransaction', 'list 50: driver, bare tenant transaction'],
  ['list 50: API over HTTP', 'list 50: driver, plain query'],
]);
console.log('\nCPU of this process per operation (ms, including the HTTP load worker):');
for (const [name, ms] of cpu) console.log(`  ${name.padEnd(40)} ${ms.toFixed(3)}`);
console.log(
  '\nThe "plain query" driver uses the owner pool (max 4 connections, a superuser: no RLS, one round trip);' +
    '\n"bare tenant transaction": BEGIN, settings, the statement, COMMIT, each awaited (app pool, RLS, 4 round trips);' +
    '\n"tenantTransaction": the same statements, BEGIN and settings pipelined with the statement (2 round trips);' +
    '\n"the API read": what the route runs, rows and their attention in one statement, all in 1 round trip.',
);

await stopBenchServer(bench);
