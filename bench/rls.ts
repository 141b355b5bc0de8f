// RLS cost: a point select and an org-wide list over 100,000 controls in 100 organisations,
// through tenantTransaction (runtime role, policies applied) versus the same queries issued
// by the owner (a superuser in the embedded server, so RLS does not apply), measured side by
// side in one run and printed as ratios. Run: npx tsx bench/rls.ts
import { randomInt } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { openDatabase } from '../server/src/db/database.ts';
import { tenantTransaction } from '../server/src/db/tenant.ts';
import { printTable, timeLoop } from './lib/measure.ts';

const ORGS = 100;
const PER_ORG = 1000;
const dataDir = path.resolve(import.meta.dirname, '../.data-bench-rls');
rmSync(dataDir, { recursive: true, force: true });
const db = await openDatabase({
  databaseUrl: undefined,
  dataDir,
  requireLogicalWal: false,
});

console.log(`filling ${ORGS * PER_ORG} controls in ${ORGS} organisations…`);
const owner = await db.ownerPool.connect();
await owner.query(`SET session_replication_role = replica`); // skip audit triggers while filling
await owner.query(`INSERT INTO organizations (id, name, slug)
  SELECT gen_random_uuid(), 'Bench ' || i, 'bench-' || i FROM generate_series(1, ${ORGS}) i`);
await owner.query(`INSERT INTO controls (organization_id, name, control_type, functional_range, current_quadrant, last_touched_at)
  SELECT o.id, 'Control ' || i, 'physical', 'narrow',
         (ARRAY['self','specialist','service','strange'])[1 + i % 4], now() - (i % 90) * interval '1 day'
  FROM organizations o, generate_series(1, ${PER_ORG}) i`);
await owner.query('ANALYZE');
owner.release();

const orgIds: string[] = (await db.ownerPool.query('SELECT id FROM organizations')).rows.map((r) => r.id);
const controlsByOrg = new Map<string, string[]>();
for (const row of (await db.ownerPool.query('SELECT id, organization_id FROM controls')).rows) {
  const list = controlsByOrg.get(row.organization_id) ?? [];
  list.push(row.id);
  controlsByOrg.set(row.organization_id, list);
}
const pick = () => {
  const orgId = orgIds[randomInt(orgIds.length)]!;
  const ids = controlsByOrg.get(orgId)!;
  return { orgId, controlId: ids[randomInt(ids.length)]! };
};

const POINT = 'SELECT * FROM controls WHERE id = $1';
const POINT_OWNER = 'SELECT * FROM controls WHERE id = $1 AND organization_id = $2';
const LIST = `SELECT * FROM controls WHERE organization_id = $1 ORDER BY last_touched_at DESC LIMIT 50`;
const LIST_RLS = 'SELECT * FROM controls ORDER BY last_touched_at DESC LIMIT 50'; // RLS adds the org filter

async function inOwnerTransaction(work: (client: pg.PoolClient) => Promise<unknown>) {
  const client = await db.ownerPool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT set_config('app.current_org_id', '', true)`);
    await work(client);
    await client.query('COMMIT');
  } finally {
    client.release();
  }
}

const seconds = Number(process.env.BENCH_SECONDS ?? 3);
const results = [];
for (const [name, run] of [
  [
    'point: owner, plain query',
    () => {
      const { orgId, controlId } = pick();
      return db.ownerPool.query(POINT_OWNER, [controlId, orgId]);
    },
  ],
  [
    'point: owner, same transaction shape',
    () => {
      const { orgId, controlId } = pick();
      return inOwnerTransaction((c) => c.query(POINT_OWNER, [controlId, orgId]));
    },
  ],
  [
    'point: tenantTransaction + RLS',
    () => {
      const { orgId, controlId } = pick();
      return tenantTransaction(db.appPool, { orgId }, (tx) => tx.query(POINT, [controlId]));
    },
  ],
  ['list 50: owner, plain query', () => db.ownerPool.query(LIST, [pick().orgId])],
  ['list 50: owner, same transaction shape', () => inOwnerTransaction((c) => c.query(LIST, [pick().orgId]))],
  [
    'list 50: tenantTransaction + RLS',
    () => {
      const { orgId } = pick();
      return tenantTransaction(db.appPool, { orgId }, (tx) => tx.query(LIST_RLS));
    },
  ],
] as const) {
  results.push({ name, ...(await timeLoop(run, { seconds, concurrency: 4 })) });
}

printTable(results, [
  ['point: tenantTransaction + RLS', 'point: owner, plain query'],
  ['point: tenantTransaction + RLS', 'point: owner, same transaction shape'],
  ['list 50: tenantTransaction + RLS', 'list 50: owner, plain query'],
  ['list 50: tenantTransaction + RLS', 'list 50: owner, same transaction shape'],
]);
await db.close();
rmSync(dataDir, { recursive: true, force: true });
