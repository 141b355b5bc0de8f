// The demo seed on its own fresh database: two organisations, every role can sign in with its
// printed password, controls in all four quadrants with real history; a second run is a no-op.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { verifyPassword } from '../../src/auth/passwords.ts';
import { ManualClock } from '../../src/clock.ts';
import { type Database, openDatabase } from '../../src/db/database.ts';
import { tenantTransaction } from '../../src/db/tenant.ts';
import { seedDemoData } from '../../src/seed/seed.ts';

const name = `sertantai_seed_${randomBytes(4).toString('hex')}`;
const serverUrl = new URL(inject('databaseUrl'));
let admin: pg.Client;
let db: Database;
const clock = new ManualClock(new Date('2026-06-15T10:00:00Z'));

beforeAll(async () => {
  admin = new pg.Client({ connectionString: serverUrl.toString() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  db = await openDatabase({
    databaseUrl: url.toString(),
    dataDir: '',
    requireLogicalWal: false,
  });
});
afterAll(async () => {
  await db?.close();
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`DROP ROLE IF EXISTS ${name}_app`);
  await admin.end();
});

const count = async (orgId: string, sql: string) =>
  tenantTransaction(db.appPool, { orgId }, async (tx) => (await tx.query(sql)).rows);

describe('demo seed', () => {
  it('seeds an empty database once; the second run changes nothing', async () => {
    const first = await seedDemoData(db, clock);
    expect(first.seeded).toBe(true);
    expect(first.logins).toHaveLength(8);
    const orgs = (await db.appPool.query('SELECT id FROM organization_ids() AS id')).rows.map((r) => r.id);
    expect(orgs).toHaveLength(2);
    const snapshot = async () =>
      (
        await db.ownerPool.query(`SELECT (SELECT count(*) FROM controls) AS c, (SELECT count(*) FROM quadrant_classifications) AS q,
        (SELECT count(*) FROM control_interactions) AS i, (SELECT count(*) FROM users) AS u, (SELECT max(id) FROM audit_log) AS a`)
      ).rows[0];
    const before = await snapshot();
    const second = await seedDemoData(db, clock);
    expect(second.seeded).toBe(false);
    expect(second.logins).toEqual(first.logins);
    expect(await snapshot()).toEqual(before);
  });

  it('every printed login works with its password, in every role', async () => {
    const { logins } = await seedDemoData(db, clock);
    expect(new Set(logins.map((l) => l.role))).toEqual(new Set(['owner', 'admin', 'member', 'viewer']));
    expect(logins.map((l) => l.email)).toContain('owner@acme.test');
    for (const login of logins) {
      const entry = (
        await db.appPool.query(`SELECT organization_id FROM directory_lookup('email', $1)`, [login.email])
      ).rows[0];
      const user = (
        await count(
          entry.organization_id,
          `SELECT password_hash, role FROM users WHERE email = '${login.email}'`,
        )
      )[0];
      expect(user.role).toBe(login.role);
      expect(await verifyPassword(user.password_hash, login.password)).toBe(true);
    }
  });

  it('each organisation has controls in all four quadrants, a network, history and evidence', async () => {
    const orgs = (await db.appPool.query('SELECT id FROM organization_ids() AS id')).rows.map((r) => r.id);
    for (const orgId of orgs) {
      const quadrants = await count(
        orgId,
        'SELECT current_quadrant, count(*)::int AS n FROM controls GROUP BY 1 ORDER BY 1',
      );
      expect(quadrants.map((q) => q.current_quadrant)).toEqual(['self', 'service', 'specialist', 'strange']);
      const distances = await count(orgId, 'SELECT DISTINCT provider_distance AS d FROM controls ORDER BY 1');
      expect(distances.map((r) => r.d)).toEqual([0, 1, 2.5, 4.5, null]);
      const reasons = (
        await count(orgId, 'SELECT DISTINCT reason FROM quadrant_classifications ORDER BY 1')
      ).map((r) => r.reason);
      expect(reasons).toEqual(expect.arrayContaining(['created', 'touch', 'time_elapsed']));
      const [evidence] = await count(
        orgId,
        `SELECT (SELECT count(*) FROM organizational_traces)::int AS traces,
                (SELECT count(*) FROM competency_records WHERE next_refresher_due BETWEEN '2026-06-15' AND '2026-06-22')::int AS due_soon,
                (SELECT count(*) FROM service_level_agreements WHERE performance_current < uptime_percentage)::int AS breached,
                (SELECT count(*) FROM verification_strategies)::int AS strategies,
                (SELECT count(*) FROM provider_networks)::int AS links,
                (SELECT count(*) FROM control_interactions)::int AS interactions`,
      );
      expect(evidence.traces).toBeGreaterThanOrEqual(5);
      expect(evidence.due_soon).toBe(1); // the member's rescue-kit refresher, 5 days after the seed's clock
      expect(evidence.breached).toBe(1);
      expect(evidence.strategies).toBe(4);
      expect(evidence.links).toBe(3);
      expect(evidence.interactions).toBeGreaterThanOrEqual(10);
      const strategies = await count(
        orgId,
        'SELECT quadrant, method, frequency_days FROM verification_strategies ORDER BY frequency_days',
      );
      expect(strategies.map((s) => [s.quadrant, s.method, s.frequency_days])).toEqual([
        ['service', 'sla_monitoring', 7],
        ['self', 'user_reporting', 30],
        ['specialist', 'toolbox_talk', 90],
        ['strange', 'proactive_sampling', 180],
      ]);
    }
  });
});
