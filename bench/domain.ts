// Domain feature costs, side by side in one run (compare figures of the same run only):
//  1. CSV import (one all-or-nothing request) against the same controls created one POST at a
//     time — rows per second, as a ratio;
//  2. the controls list with attention: a 50-row page (reasons for 50 controls) against
//     ?attention=true (the rules run over the whole register) against the page without the
//     attention reasons (the list's own cost), each as the list's work in one tenant transaction;
//  3. risk re-scoring of the whole register (one sweep's work) — controls per second.
// Requests of 1 go through app.inject (in process), so the figures are server work without HTTP.
// Run: npx tsx bench/domain.ts   (BENCH_SECONDS=3 BENCH_CONTROLS=2000; DATABASE_URL to use a server)
import { listControlPage, listControls } from '../server/src/controls/list.ts';
import { listControlsQuery } from '../server/src/controls/schema.ts';
import { tenantTransaction } from '../server/src/db/tenant.ts';
import { allFeatures } from '../server/src/features.ts';
import { recomputeAllRisk } from '../server/src/predictions/service.ts';
import { attentionForIds } from '../server/src/strategies/attention.ts';
import { buildOrganization, buildUser } from '../server/test/helpers/factories.ts';
import { benchSeconds, printTable, recordRatio, timeLoop } from './lib/measure.ts';
import { startBenchServer, stopBenchServer } from './lib/server.ts';

const CONTROLS = Number(process.env.BENCH_CONTROLS ?? 2000);
const IMPORT_ROWS = 500;
const seconds = benchSeconds(3);

const bench = await startBenchServer('domain', { features: allFeatures });
const { config, db, app } = bench;

async function timeOnce(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return (performance.now() - started) / 1000;
}

// 1. Import against one-by-one creation, each into a fresh organisation.
const csv = [
  'name,control_type,functional_range,description',
  ...Array.from(
    { length: IMPORT_ROWS },
    (_, i) => `Imported ${i},physical,${i % 2 ? 'wide' : 'narrow'},row ${i}`,
  ),
].join('\n');
const importer = await buildUser(db, config, await buildOrganization(db), 'admin');
const creator = await buildUser(db, config, await buildOrganization(db), 'admin');
const headers = (token: string) => ({ authorization: `Bearer ${token}` });
const importSeconds = await timeOnce(async () => {
  const response = await app.inject({
    method: 'POST',
    url: '/api/controls/import',
    headers: { ...headers(importer.token), 'content-type': 'text/csv' },
    payload: csv,
  });
  if (response.statusCode !== 201) throw new Error(`import failed: ${response.body}`);
});
const createSeconds = await timeOnce(async () => {
  for (let i = 0; i < IMPORT_ROWS; i++) {
    const response = await app.inject({
      method: 'POST',
      url: '/api/controls',
      headers: headers(creator.token),
      payload: {
        name: `Created ${i}`,
        control_type: 'physical',
        functional_range: 'narrow',
        description: `row ${i}`,
      },
    });
    if (response.statusCode !== 201) throw new Error(`create failed: ${response.body}`);
  }
});

// 2 and 3. A register of CONTROLS controls in all quadrants, with some SLAs, competencies and audits.
const org = await buildOrganization(db, 'Bench register');
await tenantTransaction(db.appPool, { orgId: org.id }, async (tx) => {
  await tx.query(
    `INSERT INTO verification_strategies (organization_id, quadrant, method, frequency_days)
     VALUES ($1, 'self', 'user_reporting', 30), ($1, 'specialist', 'toolbox_talk', 90),
            ($1, 'service', 'sla_monitoring', 7), ($1, 'strange', 'proactive_sampling', 180)`,
    [org.id],
  );
  await tx.query(
    `INSERT INTO control_providers (organization_id, name, provider_type) VALUES ($1, 'Vendor', 'vendor')`,
    [org.id],
  );
  await tx.query(
    `INSERT INTO controls (organization_id, name, control_type, functional_range, current_quadrant, last_touched_at,
       provider_distance)
     SELECT $1, 'Control ' || i, 'physical', 'narrow', (ARRAY['self','specialist','service','strange'])[1 + i % 4],
            now() - (i % 200) * interval '1 day', i % 5
       FROM generate_series(1, ${CONTROLS}) i`,
    [org.id],
  );
  await tx.query(
    `INSERT INTO service_level_agreements (organization_id, control_id, provider_id, service_name, uptime_percentage,
       start_date, performance_current)
     SELECT $1, c.id, p.id, 'SLA', 99, '2020-01-01', 95 + random() * 5
       FROM controls c, control_providers p WHERE c.current_quadrant = 'service'`,
    [org.id],
  );
  await tx.query(
    `INSERT INTO control_interactions (organization_id, control_id, interaction_type, occurred_at)
     SELECT $1, id, 'inspect', now() - (random() * 300) * interval '1 day' FROM controls WHERE current_quadrant = 'strange'`,
    [org.id],
  );
});
await db.ownerPool.query('ANALYZE');

// The list's own work in one read-only tenant transaction (no HTTP), with and without the
// attention reasons, so the ratio is what attention adds.
const listPage = (read: typeof listControls, url: Record<string, string>) => {
  const query = listControlsQuery.parse({ limit: '50', ...url });
  return () =>
    tenantTransaction(db.appPool, { orgId: org.id }, (tx) => read(tx, query, new Date()), { readOnly: true });
};
const page = await timeLoop(listPage(listControls, {}), { seconds, concurrency: 4, warmupOps: 10 });
const filtered = await timeLoop(listPage(listControls, { attention: 'true' }), {
  seconds,
  concurrency: 4,
  warmupOps: 5,
});
const everyReason = await timeLoop(
  () => tenantTransaction(db.appPool, { orgId: org.id }, (tx) => attentionForIds(tx, undefined, new Date())),
  { seconds, concurrency: 2, warmupOps: 3 },
);
const bare = await timeLoop(listPage(listControlPage, {}), { seconds, concurrency: 4, warmupOps: 10 });

const riskSeconds = await timeOnce(() =>
  tenantTransaction(db.appPool, { orgId: org.id }, (tx) => recomputeAllRisk(tx, new Date())),
);
const riskAgainSeconds = await timeOnce(() =>
  tenantTransaction(db.appPool, { orgId: org.id }, (tx) => recomputeAllRisk(tx, new Date())),
);

console.log(`\n1. ${IMPORT_ROWS} controls: CSV import vs one POST /api/controls each`);
console.log(
  `  import   ${(IMPORT_ROWS / importSeconds).toFixed(0).padStart(6)} rows/s  (${importSeconds.toFixed(2)} s)`,
);
console.log(
  `  one-by-one ${(IMPORT_ROWS / createSeconds).toFixed(0).padStart(4)} rows/s  (${createSeconds.toFixed(2)} s)`,
);
console.log(`  ratio import / one-by-one = ${(createSeconds / importSeconds).toFixed(2)}`);
recordRatio('CSV import / one POST per control (rows/s)', createSeconds / importSeconds);

console.log(`\n2. controls list, register of ${CONTROLS} controls`);
printTable(
  [
    { name: 'page of 50, no attention', ...bare },
    { name: 'page of 50 with attention reasons', ...page },
    { name: 'page of 50, ?attention=true', ...filtered },
    { name: `attention reasons for all ${CONTROLS}`, ...everyReason },
  ],
  [
    ['page of 50 with attention reasons', 'page of 50, no attention'],
    ['page of 50, ?attention=true', 'page of 50, no attention'],
  ],
);

console.log(`\n3. risk re-scoring of all ${CONTROLS} controls (one sweep's work)`);
console.log(
  `  first run (writes ${CONTROLS} predictions)  ${(CONTROLS / riskSeconds).toFixed(0)} controls/s`,
);
console.log(
  `  second run (nothing changed, no writes)     ${(CONTROLS / riskAgainSeconds).toFixed(0)} controls/s`,
);

await stopBenchServer(bench);
