// Profiles the app's HTTP path for one read: a listening server and the load child of bench/api.ts
// (lib/http-load.ts) for BENCH_SECONDS; run this process under `node --cpu-prof` to see where the
// server's CPU per request goes. Run:
//   DATABASE_URL=… npx tsx --cpu-prof --cpu-prof-dir=/tmp/prof bench/api-profile.ts [point|list]
//   npx tsx bench/profile-top.ts /tmp/prof/<file>.cpuprofile 40
import { insertDefaultStrategies } from '../server/src/auth/default-strategies.ts';
import { tenantTransaction } from '../server/src/db/tenant.ts';
import { allFeatures } from '../server/src/features.ts';
import { buildOrganization, buildUser } from '../server/test/helpers/factories.ts';
import { httpLoad } from './lib/http-load.ts';
import { benchSeconds } from './lib/measure.ts';
import { startBenchServer, stopBenchServer } from './lib/server.ts';

const kind = process.argv[2] === 'list' ? 'list' : 'point';
const bench = await startBenchServer('api-profile', { features: allFeatures });
const { config, db, app } = bench;
const address = await app.listen({ port: 0, host: '127.0.0.1' });
const org = await buildOrganization(db, 'Profile org');
const user = await buildUser(db, config, org, 'viewer');
await tenantTransaction(db.appPool, { orgId: org.id }, (tx) => insertDefaultStrategies(tx, org.id));
const ids: string[] = (
  await tenantTransaction(db.appPool, { orgId: org.id }, (tx) =>
    tx.query(
      `INSERT INTO controls (organization_id, name, control_type, functional_range)
       SELECT $1, 'Control ' || i, 'physical', 'narrow' FROM generate_series(1, 200) i RETURNING id`,
      [org.id],
    ),
  )
).rows.map((row) => row.id);
const paths = kind === 'list' ? ['/api/controls?limit=50'] : ids.map((id) => `/api/controls/${id}`);
const result = await httpLoad(
  { address, paths, token: user.token, seconds: benchSeconds(6), concurrency: 16 },
  () => {},
);
console.log(`${kind}: ${Math.round(result.opsPerSec)} req/s`);
await stopBenchServer(bench);
