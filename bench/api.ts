// Controls API throughput: GET /api/controls/:id and GET /api/controls (50 rows) over real HTTP
// (a listening server, keep-alive connections, a valid token) beside the same reads issued
// straight through the pg driver, step by step: the bare tenant transaction (BEGIN, set_config,
// SELECT, COMMIT, four round trips: the baseline), tenantTransaction (two), the API's
// own read (one), a single plain query (the physical limit), and the API's read answered by a
// bare node:http server (no framework, no auth: what HTTP itself adds). The API's read and the
// app over HTTP run twice: with their statements named and prepared once per connection (the
// default on a direct connection, DB_PREPARED_STATEMENTS) and ", unprepared" (parsed and planned
// on every read, as behind a transaction pooler), so that step's before/after is in one run.
// Printed as throughput ratios with p50/p99, and the CPU per request of each step; no pass/fail
// on time. Where the server's CPU goes: bench/api-profile.ts under node --cpu-prof.
// The organisation has 500 controls and the four default strategies, as every registered one:
// the attention inputs of each read include them.
// Method, so both sides are measured alike:
// - The same closed loop on both sides: BENCH_CONCURRENCY (16) requests in flight, each issuing
//   its next as soon as its previous answered; the app pool (20) is larger, so neither side waits
//   for a connection.
// - The HTTP load generator runs in a child process (lib/http-load.ts), never on the server's
//   event loop nor in its process: this process's CPU over an HTTP case is the server's alone,
//   comparable to the driver cases' CPU (the driver and its loop). Until 2026-11-30 it ran in a
//   worker thread of this process with node's http client, whose CPU (~0.7 ms a request on the
//   loaded 2-core machine, a third of the server's) was counted in the CPU figure and taken from
//   the server's two cores; the lean client (prebuilt request text, answers read by their
//   Content-Length) takes about half of that.
// - Each case warms up before its timed loop, and its CPU is measured over the timed loop only.
// - Every case runs once per round, BENCH_ROUNDS (2) rounds one after the other, BENCH_SECONDS (2)
//   each: the other engineers' load on the shared machine changes within a minute, and a case
//   run once could meet a quiet spell while the case it is compared with met a busy one (single
//   4 s runs moved a ratio by ±0.2). A case's figure is over all its rounds: its operations over
//   its timed seconds, the median round's p50, the worst round's p99, CPU over all operations.
// Figures before and after the prepared statements (three back-to-back pairs, with their load):
// docs/architecture.md, "API read figures".
// Run: npx tsx bench/api.ts   (BENCH_ROUNDS=3 BENCH_SECONDS=2 BENCH_CONCURRENCY=16 to change the load)
import { randomInt } from 'node:crypto';
import http from 'node:http';
import { cpus } from 'node:os';
import { insertDefaultStrategies } from '../server/src/auth/default-strategies.ts';
import { readControlList } from '../server/src/controls/list.ts';
import { listControlsQuery } from '../server/src/controls/schema.ts';
import { readControl } from '../server/src/controls/service.ts';
import { preparesStatements, setPreparedStatements } from '../server/src/db/prepared.ts';
import { tenantTransaction } from '../server/src/db/tenant.ts';
import { allFeatures } from '../server/src/features.ts';
import { buildOrganization, buildUser } from '../server/test/helpers/factories.ts';
import { httpLoad } from './lib/http-load.ts';
import { benchSeconds, type LoopResult, printTable, timeLoop } from './lib/measure.ts';
import { startBenchServer, stopBenchServer } from './lib/server.ts';

const CONTROLS = 500;
const seconds = benchSeconds(2);
/** Every case runs once per round, the rounds one after another (see the header). */
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16);

const bench = await startBenchServer('api', { features: allFeatures });
const { config, db, app } = bench;
const address = await app.listen({ port: 0, host: '127.0.0.1' });

const org = await buildOrganization(db, 'Bench org');
const user = await buildUser(db, config, org, 'viewer');
// As every registered organisation: the four default strategies, which each read's attention reads.
await tenantTransaction(db.appPool, { orgId: org.id }, (tx) => insertDefaultStrategies(tx, org.id));
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
  `server at ${address}; ${CONTROLS} controls; ${concurrency} concurrent clients; ${seconds} s per case, ${rounds} rounds`,
);

const POINT = 'SELECT * FROM controls WHERE id = $1';
const POINT_PLAIN = 'SELECT * FROM controls WHERE id = $1 AND organization_id = $2';
const LIST = `SELECT * FROM controls ORDER BY lower(name), id LIMIT 50`;
const LIST_PLAIN = `SELECT * FROM controls WHERE organization_id = $1 ORDER BY lower(name), id LIMIT 50`;
const context = { orgId: org.id, userId: user.id };
const pickId = () => ids[randomInt(ids.length)]!;
const loop = { seconds, concurrency };

/** Whether the app pool prepares its reads (DB_PREPARED_STATEMENTS: on here, a direct connection). */
const prepared = preparesStatements(db.appPool);

/** Runs `measure` with the app pool's reads unnamed (DB_PREPARED_STATEMENTS=false), for the step's before/after. */
async function unprepared(measure: () => Promise<void>) {
  setPreparedStatements(db.appPool, false);
  try {
    await measure();
  } finally {
    setPreparedStatements(db.appPool, prepared);
  }
}
/** Each case's rounds so far: its operations, timed seconds, percentiles and CPU (ms) in total. */
type Sum = {
  ops: number;
  seconds: number;
  p50s: number[];
  p99s: number[];
  cpuMs: number;
  clientCpuMs?: number;
  machineMs: number;
};
const sums = new Map<string, Sum>();

/**
 * The machine's busy CPU time so far (ms, all cores, every process: this one, PostgreSQL's
 * backends, the load generator): on a saturated machine throughput follows it, not one process's.
 */
function machineBusyMs(): number {
  return cpus().reduce((sum, { times }) => sum + times.user + times.nice + times.sys + times.irq, 0);
}

function record(name: string, measured: LoopResult, cpuMs: number, machineMs: number, clientCpuMs?: number) {
  const sum = sums.get(name) ?? { ops: 0, seconds: 0, p50s: [], p99s: [], cpuMs: 0, machineMs: 0 };
  sum.machineMs += machineMs;
  sum.ops += measured.ops;
  sum.seconds += measured.ops / measured.opsPerSec;
  sum.p50s.push(measured.p50Ms);
  sum.p99s.push(measured.p99Ms);
  sum.cpuMs += cpuMs;
  if (clientCpuMs !== undefined) sum.clientCpuMs = (sum.clientCpuMs ?? 0) + clientCpuMs;
  sums.set(name, sum);
}

/** A driver case: warmed up, then timed; this process's CPU is the driver's and its loop's. */
async function run(name: string, operation: () => Promise<unknown>) {
  for (let i = 0; i < 50; i++) await operation();
  const from = process.cpuUsage();
  const machineFrom = machineBusyMs();
  const measured = await timeLoop(operation, { ...loop, warmupOps: 0 });
  const used = process.cpuUsage(from);
  record(name, measured, (used.user + used.system) / 1000, machineBusyMs() - machineFrom);
}

/** An HTTP case: load from the child process; this process's CPU is the server's alone. */
async function runHttp(name: string, base: string, paths: string[]) {
  let from = process.cpuUsage();
  let machineFrom = machineBusyMs();
  const measured = await httpLoad({ address: base, paths, token: user.token, seconds, concurrency }, () => {
    from = process.cpuUsage(); // the timed loop starts: measure past the warm-up
    machineFrom = machineBusyMs();
  });
  const used = process.cpuUsage(from);
  const machineMs = machineBusyMs() - machineFrom;
  record(
    name,
    measured,
    (used.user + used.system) / 1000,
    machineMs,
    measured.clientCpuMsPerOp * measured.ops,
  );
}

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

const listQuery = listControlsQuery.parse({ limit: '50' });

/**
 * What HTTP itself adds: the API's own reads answered by a bare node:http server, no framework,
 * no token, no hooks, JSON.stringify of the same answer (a floor for the app's HTTP path).
 */
const bareHttp = http.createServer((request, response) => {
  const url = request.url ?? '';
  const answer = url.startsWith('/api/controls/')
    ? readControl(db.appPool, context, url.slice('/api/controls/'.length), new Date()).then((data) => ({
        data,
      }))
    : readControlList(db.appPool, context, listQuery, new Date()).then((page) => ({
        data: page.rows,
        next_cursor: page.nextCursor,
      }));
  answer.then(
    (body) => {
      const json = JSON.stringify(body);
      response.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(json),
      });
      response.end(json);
    },
    () => {
      response.writeHead(500);
      response.end();
    },
  );
});
await new Promise<void>((resolve) => bareHttp.listen(0, '127.0.0.1', resolve));
const bareAddress = `http://127.0.0.1:${(bareHttp.address() as { port: number }).port}`;

// Each step of an API read: the bare four-round-trip transaction; tenantTransaction (BEGIN and
// settings pipelined with the first statement, COMMIT its own: two round trips); the API's own
// read (tenantRead: rows and attention in one statement, one round trip); that read behind a
// bare node:http server; the app over HTTP.
const pointPaths = ids.slice(0, 200).map((id) => `/api/controls/${id}`);
for (let round = 1; round <= rounds; round++) {
  await runHttp('point: API over HTTP', address, pointPaths);
  await run('point: driver, bare tenant transaction', () => bareTenantTransaction(POINT, [pickId()]));
  await run('point: driver, tenantTransaction', () =>
    tenantTransaction(db.appPool, context, (tx) => tx.query(POINT, [pickId()]), { readOnly: true }),
  );
  await run('point: driver, the API read (readControl)', () =>
    readControl(db.appPool, context, pickId(), new Date()),
  );
  await unprepared(() =>
    run('point: driver, the API read, unprepared', () =>
      readControl(db.appPool, context, pickId(), new Date()),
    ),
  );
  await unprepared(() => runHttp('point: API over HTTP, unprepared', address, pointPaths));
  await runHttp('point: node:http + the API read', bareAddress, pointPaths);
  await run('point: driver, plain query', () => db.ownerPool.query(POINT_PLAIN, [pickId(), org.id]));
  await runHttp('list 50: API over HTTP', address, ['/api/controls?limit=50']);
  await run('list 50: driver, bare tenant transaction', () => bareTenantTransaction(LIST, []));
  await run('list 50: driver, tenantTransaction', () =>
    tenantTransaction(db.appPool, context, (tx) => tx.query(LIST), { readOnly: true }),
  );
  await run('list 50: driver, the API read (readControlList)', () =>
    readControlList(db.appPool, context, listQuery, new Date()),
  );
  await unprepared(() =>
    run('list 50: driver, the API read, unprepared', () =>
      readControlList(db.appPool, context, listQuery, new Date()),
    ),
  );
  await unprepared(() => runHttp('list 50: API over HTTP, unprepared', address, ['/api/controls?limit=50']));
  await runHttp('list 50: node:http + the API read', bareAddress, ['/api/controls?limit=50']);
  await run('list 50: driver, plain query', () => db.ownerPool.query(LIST_PLAIN, [org.id]));
}

// Per case over all rounds: throughput of all its operations in all its timed seconds, the
// median round's p50 and the worst round's p99, CPU per operation over all of them.
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const results: Array<LoopResult & { name: string }> = [...sums].map(([name, sum]) => ({
  name,
  ops: sum.ops,
  opsPerSec: sum.ops / sum.seconds,
  p50Ms: median(sum.p50s),
  p99Ms: Math.max(...sum.p99s),
}));
/** CPU per operation (ms) of this process over each case's timed loops, and of the load generator's. */
const cpu = [...sums].map(([name, sum]) => ({
  name,
  ms: sum.cpuMs / sum.ops,
  machineMs: sum.machineMs / sum.ops,
  clientMs: sum.clientCpuMs === undefined ? undefined : sum.clientCpuMs / sum.ops,
}));

printTable(results, [
  ['point: API over HTTP', 'point: driver, bare tenant transaction', { atLeast: 0.5 }],
  ['point: API over HTTP, unprepared', 'point: driver, bare tenant transaction'],
  ['point: driver, the API read (readControl)', 'point: driver, the API read, unprepared'],
  ['point: API over HTTP', 'point: driver, the API read (readControl)'],
  ['point: API over HTTP', 'point: node:http + the API read'],
  ['point: node:http + the API read', 'point: driver, the API read (readControl)'],
  ['point: driver, the API read (readControl)', 'point: driver, bare tenant transaction'],
  ['point: driver, tenantTransaction', 'point: driver, bare tenant transaction'],
  ['point: API over HTTP', 'point: driver, plain query'],
  ['list 50: API over HTTP', 'list 50: driver, bare tenant transaction', { atLeast: 0.6 }],
  ['list 50: API over HTTP, unprepared', 'list 50: driver, bare tenant transaction'],
  ['list 50: driver, the API read (readControlList)', 'list 50: driver, the API read, unprepared'],
  ['list 50: API over HTTP', 'list 50: driver, the API read (readControlList)'],
  ['list 50: API over HTTP', 'list 50: node:http + the API read'],
  ['list 50: node:http + the API read', 'list 50: driver, the API read (readControlList)'],
  ['list 50: driver, the API read (readControlList)', 'list 50: driver, bare tenant transaction'],
  ['list 50: driver, tenantTransaction', 'list 50: driver, bare tenant transaction'],
  ['list 50: API over HTTP', 'list 50: driver, plain query'],
]);

const width = Math.max(...cpu.map((c) => c.name.length));
console.log(
  '\nCPU per operation, ms (this process: the server, or the driver and its loop; the whole machine,' +
    '\nevery process with PostgreSQL, which throughput follows on a saturated machine; the load generator):',
);
for (const c of cpu) {
  const client = c.clientMs === undefined ? '' : `   load generator ${c.clientMs.toFixed(3)}`;
  console.log(`  ${c.name.padEnd(width)}  ${c.ms.toFixed(3)}   machine ${c.machineMs.toFixed(3)}${client}`);
}
const cpuOf = (name: string) => cpu.find((c) => c.name === name)?.ms ?? Number.NaN;
console.log('\nStep by step, CPU of the serving process per request (ms):');
for (const [kind, read] of [
  ['point', 'point: driver, the API read (readControl)'],
  ['list 50', 'list 50: driver, the API read (readControlList)'],
] as const) {
  const driver = cpuOf(read);
  const node = cpuOf(`${kind}: node:http + the API read`);
  const app = cpuOf(`${kind}: API over HTTP`);
  console.log(
    `  ${kind.padEnd(7)}  the API read ${driver.toFixed(3)}  + node:http ${(node - driver).toFixed(3)}` +
      `  + the app's HTTP path (Fastify, hooks, auth, validation, serialization) ${(app - node).toFixed(3)}` +
      `  = ${app.toFixed(3)}`,
  );
}
console.log(
  '\nThe "plain query" driver uses the owner pool (max 4 connections, a superuser: no RLS, one round trip);' +
    '\n"bare tenant transaction": BEGIN, settings, the statement, COMMIT, each awaited (app pool, RLS, 4 round trips);' +
    '\n"tenantTransaction": the same statements, BEGIN and settings pipelined with the statement (2 round trips);' +
    '\n"the API read": what the route runs, rows and their attention in one statement, all in 1 round trip;' +
    `\n  its statements named and prepared once per connection (DB_PREPARED_STATEMENTS, ${prepared ? 'on' : 'OFF'} here);` +
    '\n  ", unprepared": the same with DB_PREPARED_STATEMENTS=false (parsed and planned on every read);' +
    '\n"node:http + the API read": that read answered by a bare node:http server (no framework, no token).',
);

bareHttp.closeAllConnections();
await new Promise<void>((resolve) => bareHttp.close(() => resolve()));
await stopBenchServer(bench);
