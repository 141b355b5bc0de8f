// A long import, side by side in one run (compare figures of the same run only): 10,000
// controls imported in one request answered at the end (201) against the same file with
// ?progress=true (streamed NDJSON, a line per batch of 1000 written), each into a fresh
// organisation — the cost of reporting progress as a ratio, and how often a person sees it
// move (time to the first line, the longest gap between lines). Plus the dashboard's
// quadrants-over-time read (365 days) over that register against a plain count of its controls.
// Requests go through app.inject (in process): server work without HTTP.
// Run: npx tsx bench/import.ts   (BENCH_IMPORT_ROWS=10000; DATABASE_URL to use a server)
import { tenantTransaction } from '../server/src/db/tenant.ts';
import { allFeatures } from '../server/src/features.ts';
import { quadrantCountsOverTime } from '../server/src/trends/service.ts';
import { buildOrganization, buildUser } from '../server/test/helpers/factories.ts';
import { benchSeconds, printTable, recordRatio, timeLoop } from './lib/measure.ts';
import { startBenchServer, stopBenchServer } from './lib/server.ts';

const ROWS = Number(process.env.BENCH_IMPORT_ROWS ?? 10_000);
const bench = await startBenchServer('import', { features: allFeatures });
const { config, db, app } = bench;

const csv = [
  'name,control_type,functional_range',
  ...Array.from({ length: ROWS }, (_, i) => `Imported ${i},physical,${i % 2 ? 'wide' : 'narrow'}`),
].join('\n');

async function importOnce(progress: boolean) {
  const org = await buildOrganization(db);
  const admin = await buildUser(db, config, org, 'admin');
  const started = performance.now();
  const response = await app.inject({
    method: 'POST',
    url: `/api/controls/import${progress ? '?progress=true' : ''}`,
    headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'text/csv' },
    payload: csv,
    payloadAsStream: true,
  });
  const lineTimes: number[] = [];
  let text = '';
  for await (const chunk of response.stream()) {
    text += String(chunk);
    for (const _line of String(chunk).split('\n').filter(Boolean))
      lineTimes.push(performance.now() - started);
  }
  const seconds = (performance.now() - started) / 1000;
  if (!text.includes(`"imported":${ROWS}`)) throw new Error(`import failed: ${text.slice(0, 300)}`);
  return { seconds, lineTimes, orgId: org.id };
}

const plain = await importOnce(false);
const streamed = await importOnce(true);
const gaps = streamed.lineTimes.slice(1).map((t, i) => t - streamed.lineTimes[i]!);

console.log(`\n1. ${ROWS} controls: import answered at the end vs with streamed progress`);
console.log(
  `  at the end        ${plain.seconds.toFixed(2)} s  (${(ROWS / plain.seconds).toFixed(0)} rows/s)`,
);
console.log(
  `  with progress     ${streamed.seconds.toFixed(2)} s  (${(ROWS / streamed.seconds).toFixed(0)} rows/s)`,
);
console.log(`  ratio progress / at the end = ${(streamed.seconds / plain.seconds).toFixed(2)}`);
recordRatio('import with streamed progress / answered at the end (time)', streamed.seconds / plain.seconds);
console.log(
  `  progress lines ${streamed.lineTimes.length}: first after ${(streamed.lineTimes[0]! / 1000).toFixed(2)} s, longest gap ${(Math.max(...gaps) / 1000).toFixed(2)} s`,
);

console.log(`\n2. quadrants over time (365 days) over ${ROWS} controls vs a count of them`);
const inOrg = <T>(work: (tx: Parameters<Parameters<typeof tenantTransaction>[2]>[0]) => Promise<T>) =>
  tenantTransaction(db.appPool, { orgId: streamed.orgId }, work, { readOnly: true });
const loop = { seconds: benchSeconds(3), concurrency: 2, warmupOps: 5 };
const trend = await timeLoop(() => inOrg((tx) => quadrantCountsOverTime(tx, 365, new Date())), loop);
const count = await timeLoop(() => inOrg((tx) => tx.query('SELECT count(*) FROM controls')), loop);
printTable(
  [
    { name: 'quadrants over time, 365 days', ...trend },
    { name: 'count of controls', ...count },
  ],
  [['quadrants over time, 365 days', 'count of controls']],
);

await stopBenchServer(bench);
