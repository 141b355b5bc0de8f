// Row-Level Security at the database layer, attacked directly as the runtime role: every
// tenant table hides and protects another organisation's rows, nothing is visible without an
// organisation, the setting never outlives its transaction, and the runtime role cannot
// switch RLS off or become someone who can.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { tenantTransaction } from '../../src/db/tenant.ts';
import { openTestDatabase } from '../helpers/app.ts';
import { buildTenantGraph, TENANT_TABLES, type TenantGraph, type TenantTable } from './tenant-graph.ts';

let db: Database;
let a: TenantGraph;
let b: TenantGraph;
const ALL_TABLES: TenantTable[] = ['organizations', ...TENANT_TABLES];

beforeAll(async () => {
  db = await openTestDatabase();
  a = await buildTenantGraph(db);
  b = await buildTenantGraph(db);
});
afterAll(() => db.close());

const asOrg = <T>(orgId: string, work: (tx: pg.PoolClient) => Promise<T>) =>
  tenantTransaction(db.appPool, { orgId }, work);

/** Runs `sql` as org A and returns the SQLSTATE it failed with (or 'ok'). */
async function sqlStateAsA(sql: string, values: unknown[] = []): Promise<string> {
  try {
    await asOrg(a.orgId, (tx) => tx.query(sql, values));
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? 'unknown';
  }
}

describe.each(ALL_TABLES)('RLS on %s', (table) => {
  it("hides the other organisation's rows", async () => {
    const seen = await asOrg(a.orgId, (tx) =>
      tx.query(`SELECT count(*)::int AS n FROM ${table} WHERE id = $1`, [b.ids[table]]),
    );
    expect(seen.rows[0].n).toBe(0);
    const own = await asOrg(a.orgId, (tx) =>
      tx.query(`SELECT count(*)::int AS n FROM ${table} WHERE id = $1`, [a.ids[table]]),
    );
    expect(own.rows[0].n).toBe(1);
  });

  it("cannot update or delete the other organisation's rows", async () => {
    if (table === 'audit_log') return; // no UPDATE/DELETE grant at all: tested below
    const updated = await asOrg(a.orgId, (tx) =>
      tx.query(`UPDATE ${table} SET id = id WHERE id = $1`, [b.ids[table]]),
    );
    const deleted = await asOrg(a.orgId, (tx) =>
      tx.query(`DELETE FROM ${table} WHERE id = $1`, [b.ids[table]]),
    );
    expect(updated.rowCount).toBe(0);
    expect(deleted.rowCount).toBe(0);
    const stillThere = await asOrg(b.orgId, (tx) =>
      tx.query(`SELECT count(*)::int AS n FROM ${table} WHERE id = $1`, [b.ids[table]]),
    );
    expect(stillThere.rows[0].n).toBe(1);
  });

  it('cannot insert a row into the other organisation', async () => {
    const column = table === 'organizations' ? 'id' : 'organization_id';
    // Copy one of A's own rows (which A can read) with a fresh id and B's organisation.
    const sql =
      table === 'audit_log'
        ? `INSERT INTO audit_log (organization_id, action, entity_type) SELECT $2, 'insert', 'forged' WHERE $1::bigint > 0`
        : `INSERT INTO ${table} SELECT (jsonb_populate_record(NULL::${table},
             to_jsonb(t) || jsonb_build_object('id', gen_random_uuid(), '${column}', $2::uuid))).*
           FROM ${table} t WHERE t.id = $1`;
    expect(await sqlStateAsA(sql, [a.ids[table], b.orgId])).toBe('42501');
  });

  it('cannot move its own row into the other organisation', async () => {
    if (table === 'audit_log') return;
    const column = table === 'organizations' ? 'id' : 'organization_id';
    const state = await sqlStateAsA(`UPDATE ${table} SET ${column} = $2 WHERE id = $1`, [
      a.ids[table],
      b.orgId,
    ]);
    expect(state).toBe('42501');
  });

  it('shows nothing when no organisation is set', async () => {
    const client = await db.appPool.connect();
    try {
      const { rows } = await client.query(`SELECT count(*)::int AS n FROM ${table}`);
      expect(rows[0].n).toBe(0);
    } finally {
      client.release();
    }
  });
});

describe('the organisation setting', () => {
  it('does not survive into the next transaction on the same pooled connection', async () => {
    const single = new pg.Pool({ connectionString: db.appUrl, max: 1 });
    try {
      await tenantTransaction(single, { orgId: a.orgId }, async (tx) => {
        const { rows } = await tx.query('SELECT count(*)::int AS n FROM controls');
        expect(rows[0].n).toBeGreaterThan(0);
      });
      const after = await single.query(
        `SELECT pg_backend_pid() AS pid, current_setting('app.current_org_id', true) AS org, (SELECT count(*)::int FROM controls) AS n`,
      );
      expect(after.rows[0].org ?? '').toBe('');
      expect(after.rows[0].n).toBe(0);
    } finally {
      await single.end();
    }
  });

  it('is also cleared when the transaction fails', async () => {
    const single = new pg.Pool({ connectionString: db.appUrl, max: 1 });
    try {
      await expect(
        tenantTransaction(single, { orgId: a.orgId }, async (tx) => {
          await tx.query('SELECT 1/0');
        }),
      ).rejects.toThrow();
      const after = await single.query(`SELECT (SELECT count(*)::int FROM controls) AS n`);
      expect(after.rows[0].n).toBe(0);
    } finally {
      await single.end();
    }
  });

  it('set_current_org_id is transaction-local', async () => {
    const single = new pg.Pool({ connectionString: db.appUrl, max: 1 });
    try {
      const client = await single.connect();
      await client.query('BEGIN');
      await client.query('SELECT set_current_org_id($1)', [a.orgId]);
      const inside = await client.query('SELECT count(*)::int AS n FROM controls');
      await client.query('COMMIT');
      const outside = await client.query('SELECT count(*)::int AS n FROM controls');
      client.release();
      expect(inside.rows[0].n).toBe(1);
      expect(outside.rows[0].n).toBe(0);
    } finally {
      await single.end();
    }
  });
});

describe('the runtime role', () => {
  it('is not superuser, not BYPASSRLS, and owns no table', async () => {
    const { rows } = await db.appPool.query(
      `SELECT r.rolsuper, r.rolbypassrls, r.rolcreaterole, r.rolreplication,
              (SELECT count(*)::int FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user) AS owned
       FROM pg_roles r WHERE r.rolname = current_user`,
    );
    expect(rows[0]).toEqual({
      rolsuper: false,
      rolbypassrls: false,
      rolcreaterole: false,
      rolreplication: false,
      owned: 0,
    });
  });

  it.each([
    'ALTER TABLE controls DISABLE ROW LEVEL SECURITY',
    'ALTER TABLE controls NO FORCE ROW LEVEL SECURITY',
    'DROP POLICY controls_select ON controls',
    'CREATE POLICY open_door ON controls FOR SELECT USING (true)',
    'ALTER ROLE CURRENT_USER BYPASSRLS',
    'UPDATE audit_log SET action = action',
    'DELETE FROM audit_log',
    'SELECT * FROM directory',
    'SELECT * FROM schema_migrations',
  ])('is refused: %s', async (sql) => {
    const state = await sqlStateAsA(sql);
    expect(state).toBe('42501');
  });

  it('cannot switch to the owner or a superuser', async () => {
    const owner = (await db.ownerPool.query('SELECT current_user AS name')).rows[0].name;
    for (const sql of [`SET ROLE "${owner}"`, `SET SESSION AUTHORIZATION "${owner}"`, 'SET ROLE postgres']) {
      const state = await sqlStateAsA(sql);
      expect(['42501', '22023', '42704']).toContain(state);
      expect(state).not.toBe('ok');
    }
  });

  it('cannot read around RLS by turning row_security off', async () => {
    const state = await sqlStateAsA(`SET LOCAL row_security = off; SELECT count(*) FROM controls`);
    expect(state).toBe('42501');
  });

  it("looks up a key's organisation only through directory_lookup, never a listing", async () => {
    const email = `graph-${b.orgId}@example.test`;
    const found = await db.appPool.query(`SELECT * FROM directory_lookup('email', $1)`, [email]);
    expect(found.rows).toEqual([{ organization_id: b.orgId, entity_id: b.ids.users }]);
    const organizations = await db.appPool.query(`SELECT * FROM directory_lookup('organization', $1)`, [
      b.orgId,
    ]);
    expect(organizations.rows).toEqual([]);
  });
});

describe('foreign keys across organisations', () => {
  it("refuses a control pointing at another organisation's provider", async () => {
    const state = await sqlStateAsA(
      `INSERT INTO controls (organization_id, name, control_type, functional_range, primary_provider_id)
       VALUES ($1, 'Smuggled', 'physical', 'narrow', $2)`,
      [a.orgId, b.ids.control_providers],
    );
    expect(state).toBe('23503');
  });

  it("refuses a network link to another organisation's provider", async () => {
    const state = await sqlStateAsA(
      `INSERT INTO provider_networks (organization_id, from_provider_id, to_provider_id, relationship_type, path_weight)
       VALUES ($1, $2, $3, 'contracts', 1)`,
      [a.orgId, a.ids.control_providers, b.ids.control_providers],
    );
    expect(state).toBe('23503');
  });

  it("refuses an interaction on another organisation's control", async () => {
    const state = await sqlStateAsA(
      `INSERT INTO control_interactions (organization_id, control_id, interaction_type) VALUES ($1, $2, 'use')`,
      [a.orgId, b.ids.controls],
    );
    expect(state).toBe('23503');
  });
});

describe('the audit trail', () => {
  it('records a change in the same transaction, and loses it with a rollback', async () => {
    const controlId = randomUUID();
    await expect(
      asOrg(a.orgId, async (tx) => {
        await tx.query(
          `INSERT INTO controls (id, organization_id, name, control_type, functional_range) VALUES ($1, $2, 'Doomed', 'procedural', 'wide')`,
          [controlId, a.orgId],
        );
        const inside = await tx.query(`SELECT action FROM audit_log WHERE entity_id = $1`, [controlId]);
        expect(inside.rows).toEqual([{ action: 'insert' }]);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    const after = await asOrg(a.orgId, (tx) =>
      tx.query(`SELECT count(*)::int AS n FROM audit_log WHERE entity_id = $1`, [controlId]),
    );
    expect(after.rows[0].n).toBe(0);
  });

  it('never stores a password hash', async () => {
    await asOrg(a.orgId, (tx) =>
      tx.query(`UPDATE users SET password_hash = 'secret-hash' WHERE id = $1`, [a.ids.users]),
    );
    const { rows } = await asOrg(a.orgId, (tx) =>
      tx.query(
        `SELECT coalesce(before::text, '') || coalesce(after::text, '') AS body FROM audit_log WHERE entity_id = $1`,
        [a.ids.users],
      ),
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row.body).not.toContain('secret-hash');
  });
});
