// Controls API throughput: GET /api/controls/:id and GET /api/controls (50 rows) over real HTTP
// (a listening server, keep-alive connections, a valid token) beside the same reads issued
// straight through the pg driver — once as the API's exact database work (the tenant
// transaction: BEGIN, set_config, SELECT, COMMIT) and once as a single plain query (the
// physical limit). Printed as throughput ratios with p50/p99; no pass/fail on time.
// Run: npx tsx bench/api.ts   (BENCH_SECONDS=5 BENCH_CONCURRENCY=16 to change the load)
import { randomInt } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { listControls } from '../server/src/controls/list.ts';
import { listControlsQuery } from '../server/src/controls/schema.ts';
import { getControl } from '../server/src/controls/service.ts';
import { tenantTransaction } from '../server/src/db/tenant.ts';
import { allFeatures } from '../server/src/features.ts';
import { attentionForIds } from '../server/src/strategies/attention.ts';
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

await run('point: API over HTTP', httpLoad(ids.slice(0, 200).map((id) => `${address}/api/controls/${id}`)));
await run(
  'point: driver, tenant transaction',
  timeLoop(
    () => tenantTransaction(db.appPool, context, (tx) => tx.query(POINT, [pickId()]), { readOnly: true }),
    loop,
  ),
);
// The API's read of one control also asks the attention rules for its reasons: the same two
// statements through the driver, without HTTP.
await run(
  'point: driver, all of the API queries',
  timeLoop(
    () =>
      tenantTransaction(
        db.appPool,
        context,
        async (tx) => {
          const row = await getControl(tx, pickId());
          await attentionForIds(tx, [row.id as string], new Date());
        },
        { readOnly: true },
      ),
    loop,
  ),
);
await run(
  'point: driver, plain query',
  timeLoop(() => db.ownerPool.query(POINT_PLAIN, [pickId(), org.id]), loop),
);
await run('list 50: API over HTTP', httpLoad([`${address}/api/controls?limit=50`]));
await run(
  'list 50: driver, tenant transaction',
  timeLoop(() => tenantTransaction(db.appPool, context, (tx) => tx.query(LIST), { readOnly: true }), loop),
);
// The list also asks the attention rules (registered by the strategies feature) for each row's
// reasons: the same statements, issued through the driver without HTTP.
const listQuery = listControlsQuery.parse({ limit: '50' });
await run(
  'list 50: driver, all of the API queries',
  timeLoop(
    () =>
      tenantTransaction(db.appPool, context, (tx) => listControls(tx, listQuery, new Date()), {
        readOnly: true,
      }),
    loop,
  ),
);
await run(
  'list 50: driver, plain query',
  timeLoop(() => db.ownerPool.query(LIST_PLAIN, [org.id]), loop),
);

printTable(results, [
  ['point: API over HTTP', 'point: driver, all of the API queries'],
  ['point: API over HTTP', 'point: driver, tenant transaction', { atLeast: 0.5 }],
  ['point: API over HTTP', 'point: driver, plain query'],
  ['list 50: API over HTTP', 'list 50: driver, all of the API queries'],
  ['list 50: API over HTTP', 'list 50: driver, tenant transaction', { atLeast: 0.6 }],
  ['list 50: API over HTTP', 'list 50: driver, plain query'],
]);
console.log('\nCPU of this process per operation (ms, including the HTTP load worker):');
for (const [name, ms] of cpu) console.log(`  ${name.padEnd(40)} ${ms.toFixed(3)}`);
console.log(
  '\nThe "plain query" driver uses the owner pool (max 4 connections, a superuser: no RLS, one round trip);' +
    '\nthe "tenant transaction" driver does the core statements of an API read (app pool, RLS, 4 round trips);' +
    '\n"all of the API queries" adds the attention look-ups the API makes for the rows it returns.',
);

await stopBenchServer(bench);
