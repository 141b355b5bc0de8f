// The shape endpoint's own costs, side by side in one run (compare figures of the same run only):
//  1. where handling per request: parse (libpg-query) + check + type + render, for a typical
//     four-condition where — requests per second;
//  2. where routing per change: evaluate() of the same where on one row — rows per second (the
//     built-in engine calls it for every replicated change of the organisation's shapes);
//     Electric's published reference: 0.17–0.27 ms per change for writes that hit shapes;
//  3. a 20-row initial sync (offset=-1) through GET /api/electric/sync (auth, allow-lists,
//     where, streaming) against the same request sent straight to the engine's internal
//     protocol route — the ratio is what the endpoint adds.
// Run: npx tsx bench/sync-endpoint.ts   (BENCH_SECONDS=3; DATABASE_URL to use a server)
import { allFeatures } from '../server/src/features.ts';
import { engineSecret } from '../server/src/sync/engine/index.ts';
import { type ColumnTypes, loadWhereParser, parseWhere } from '../server/src/sync/where/index.ts';
import { buildOrganization, buildUser, insertRow } from '../server/test/helpers/factories.ts';
import { benchSeconds, printTable, timeLoop } from './lib/measure.ts';
import { startBenchServer, stopBenchServer } from './lib/server.ts';

const seconds = benchSeconds(3);

// 1 and 2: pure where costs.
await loadWhereParser();
const columns: ColumnTypes = {
  name: 'text',
  current_quadrant: 'text',
  last_touched_at: 'timestamptz',
  failure_probability: 'numeric',
  requires_refresher_training: 'bool',
};
const WHERE =
  "current_quadrant IN ('strange', 'service') AND last_touched_at < $1 AND failure_probability >= 0.5 AND name ILIKE '%door%'";
const params = { '1': '2024-06-01T00:00:00Z' };
const clause = parseWhere(WHERE, columns, params);
const row = {
  name: 'Fire door 3',
  current_quadrant: 'strange',
  last_touched_at: '2024-01-15 10:00:00.123456+00',
  failure_probability: '0.72',
  requires_refresher_training: 'f',
};
const BATCH = 1000;
const parseResult = await timeLoop(async () => parseWhere(WHERE, columns, params).renderSql(1), {
  seconds,
  concurrency: 1,
});
const evaluateResult = await timeLoop(
  async () => {
    for (let i = 0; i < BATCH; i++) clause.evaluate(row);
  },
  { seconds, concurrency: 1 },
);

// 3: the endpoint against the engine's internal route, over HTTP on loopback.
const bench = await startBenchServer('sync-endpoint', {
  features: allFeatures,
  requireLogicalWal: true,
});
const { config, db, app } = bench;
const base = await app.listen({ port: 0, host: '127.0.0.1' });
const org = await buildOrganization(db);
const user = await buildUser(db, config, org);
for (let i = 0; i < 20; i++) {
  await insertRow(db, org.id, 'controls', {
    name: `Control ${i}`,
    control_type: 'technical',
    functional_range: 'narrow',
    failure_probability: i / 20,
  });
}
const endpointUrl = `${base}/api/electric/sync?table=controls&offset=-1&where=${encodeURIComponent('failure_probability >= 0')}`;
const internal = new URL(`${base}/internal/electric/v1/shape`);
internal.search = new URLSearchParams({
  table: 'controls',
  offset: '-1',
  where: '"organization_id" = $1::uuid AND ("failure_probability" >= $2::numeric)',
  'params[1]': org.id,
  'params[2]': '0',
  secret: engineSecret(config),
}).toString();
const headers = { authorization: `Bearer ${user.token}` };
const get = async (url: string, init?: RequestInit) => {
  const response = await fetch(url, init);
  const body = (await response.json()) as unknown[];
  if (response.status !== 200 || body.length < 20) throw new Error(`unexpected ${response.status}`);
};
const direct = await timeLoop(() => get(internal.toString()), { seconds, concurrency: 4 });
const endpoint = await timeLoop(() => get(endpointUrl, { headers }), { seconds, concurrency: 4 });

printTable(
  [
    { name: 'where parse+check+render (per request)', ...parseResult },
    {
      name: `where evaluate (per row, x${BATCH} per op)`,
      ...evaluateResult,
      opsPerSec: evaluateResult.opsPerSec * BATCH,
    },
    { name: 'initial sync 20 rows: engine internal route', ...direct },
    { name: 'initial sync 20 rows: /api/electric/sync', ...endpoint },
  ],
  [['initial sync 20 rows: /api/electric/sync', 'initial sync 20 rows: engine internal route']],
);
const perChangeMs = 1000 / (evaluateResult.opsPerSec * BATCH);
console.log(
  `\nwhere routing: ${(perChangeMs * 1000).toFixed(2)} µs per change and shape ` +
    `(Electric reference: 170–270 µs per change for writes that hit shapes, whole pipeline)`,
);

app.server.closeAllConnections();
await stopBenchServer(bench);
