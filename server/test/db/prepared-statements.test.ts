// tenantRead as a named prepared statement (DB_PREPARED_STATEMENTS, db/prepared.ts), on one
// pipelined connection of the runtime role so every read reuses the same session: the statement
// is parsed once per connection and still binds each read to its own organisation; with the
// setting off nothing is prepared; and when a migration really changes the result of a prepared
// statement (SQLSTATE 0A000) the read is answered anyway, on a new connection.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readControl } from '../../src/controls/service.ts';
import type { Database } from '../../src/db/database.ts';
import { preparesStatements, setPreparedStatements } from '../../src/db/prepared.ts';
import { tenantRead } from '../../src/db/tenant.ts';
import { openTestDatabase } from '../helpers/app.ts';
import { buildTenantGraph, type TenantGraph } from './tenant-graph.ts';

let db: Database;
let a: TenantGraph;
let b: TenantGraph;
let single: pg.Pool;
/** A table of this test process alone: altering it cannot disturb tests running beside this one. */
const probe = `prepared_probe_${process.pid}`;

beforeAll(async () => {
  db = await openTestDatabase();
  a = await buildTenantGraph(db);
  b = await buildTenantGraph(db);
  single = new pg.Pool({ connectionString: db.appUrl, max: 1, pipeline: true } as pg.PoolConfig);
  await db.ownerPool.query(`DROP TABLE IF EXISTS ${probe}`);
  await db.ownerPool.query(`CREATE TABLE ${probe} (id int PRIMARY KEY, label text NOT NULL)`);
  await db.ownerPool.query(`INSERT INTO ${probe} VALUES (1, 'one')`);
  await db.ownerPool.query(`GRANT SELECT ON ${probe} TO "${db.appRole}"`);
});
afterAll(async () => {
  await single.end();
  await db.ownerPool.query(`DROP TABLE IF EXISTS ${probe}`);
  await db.close();
});

/** The statements prepared on the single connection's session (its own view, outside any transaction). */
async function preparedTexts(): Promise<string[]> {
  const { rows } = await single.query(`SELECT statement FROM pg_prepared_statements`);
  return rows.map((row) => row.statement);
}

async function backendPid(): Promise<number> {
  return (await single.query(`SELECT pg_backend_pid() AS pid`)).rows[0].pid;
}

describe('tenantRead as a prepared statement', () => {
  it('the app pool prepares statements on a direct connection (the default)', () => {
    expect(preparesStatements(db.appPool)).toBe(true);
  });

  it('parses the read and the settings once per connection, and binds every read to its organisation', async () => {
    setPreparedStatements(single, true);
    const sql = 'SELECT id, organization_id FROM controls /* prepared isolation */';
    // More than five executions: PostgreSQL may switch to a generic plan, which must still filter by organisation.
    for (let i = 0; i < 12; i++) {
      const org = i % 2 === 0 ? a : b;
      expect(await tenantRead(single, { orgId: org.orgId }, sql, [])).toEqual([
        { id: org.ids.controls, organization_id: org.orgId },
      ]);
    }
    const reads = Array.from({ length: 10 }, (_, i) => {
      const org = i % 2 === 0 ? a : b;
      return tenantRead(single, { orgId: org.orgId }, sql, []).then((rows) => ({ org, rows }));
    });
    for (const { org, rows } of await Promise.all(reads)) {
      expect(rows).toEqual([{ id: org.ids.controls, organization_id: org.orgId }]);
    }
    const prepared = await preparedTexts();
    expect(prepared.filter((text) => text === sql)).toHaveLength(1);
    expect(prepared.some((text) => text.includes(`set_config('app.current_org_id'`))).toBe(true);
  });

  it('readControl names its columns: its prepared statement has no c.*', async () => {
    setPreparedStatements(single, true);
    const row = await readControl(single, { orgId: a.orgId }, a.ids.controls, new Date());
    expect(row).toMatchObject({ id: a.ids.controls, organization_id: a.orgId, attention: expect.any(Array) });
    const statement = (await preparedTexts()).find((text) =>
      text.includes('FROM controls c WHERE c.id = $1'),
    );
    expect(statement).toContain('c.id, c.organization_id, c.name');
    expect(statement).not.toContain('c.*');
  });

  it('a failed prepared read leaves the statement usable for the next', async () => {
    setPreparedStatements(single, true);
    const sql = `SELECT 10 / $1::int AS n FROM ${probe}`;
    await expect(tenantRead(single, { orgId: a.orgId }, sql, [0])).rejects.toThrow(/division by zero/);
    expect(await tenantRead(single, { orgId: a.orgId }, sql, [5])).toEqual([{ n: 2 }]);
  });

  it('with the setting off prepares nothing', async () => {
    setPreparedStatements(single, false);
    const sql = 'SELECT id FROM controls /* unprepared */';
    expect(await tenantRead(single, { orgId: a.orgId }, sql, [])).toEqual([{ id: a.ids.controls }]);
    expect(await tenantRead(single, { orgId: b.orgId }, sql, [])).toEqual([{ id: b.ids.controls }]);
    const prepared = await preparedTexts();
    expect(prepared).not.toContain(sql);
    expect(prepared.some((text) => text.includes('unprepared'))).toBe(false);
  });

  it('answers a read whose prepared result changed under it (0A000): new connection, read again unnamed', async () => {
    setPreparedStatements(single, true);
    const sql = `SELECT * FROM ${probe} ORDER BY id`;
    expect(await tenantRead(single, { orgId: a.orgId }, sql, [])).toEqual([{ id: 1, label: 'one' }]);
    const before = await backendPid();
    // A rolling migration: the prepared `*` now has one more column.
    await db.ownerPool.query(`ALTER TABLE ${probe} ADD COLUMN added int NOT NULL DEFAULT 7`);
    expect(await tenantRead(single, { orgId: a.orgId }, sql, [])).toEqual([
      { id: 1, label: 'one', added: 7 },
    ]);
    // The stale statement's connection was discarded, not returned to the pool.
    expect(await backendPid()).not.toBe(before);
    // A type change of a named column does the same.
    const named = `SELECT id, label FROM ${probe} ORDER BY id`;
    await tenantRead(single, { orgId: a.orgId }, named, []);
    await db.ownerPool.query(`ALTER TABLE ${probe} ALTER COLUMN label TYPE varchar(50)`);
    expect(await tenantRead(single, { orgId: a.orgId }, named, [])).toEqual([{ id: 1, label: 'one' }]);
  });

  it('with the setting off, the same change needs no retry', async () => {
    setPreparedStatements(single, false);
    const sql = `SELECT id, added FROM ${probe} /* unprepared change */`;
    expect(await tenantRead(single, { orgId: a.orgId }, sql, [])).toEqual([{ id: 1, added: 7 }]);
    const before = await backendPid();
    await db.ownerPool.query(`ALTER TABLE ${probe} ALTER COLUMN added TYPE bigint`);
    expect(await tenantRead(single, { orgId: a.orgId }, sql, [])).toEqual([{ id: 1, added: 7 }]);
    expect(await backendPid()).toBe(before);
  });
});
