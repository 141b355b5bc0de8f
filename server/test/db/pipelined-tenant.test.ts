// The tenant transaction in pg's pipeline mode (the app pool's mode): BEGIN, the settings, the
// statement and COMMIT leave in one write, and the organisation still binds every row read
// and never outlives its transaction, whether the read succeeds or fails. Attacked as the
// runtime role on a single pooled connection, so every transaction reuses the same session.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { isPipelined } from '../../src/db/pipeline.ts';
import { tenantRead, tenantTransaction } from '../../src/db/tenant.ts';
import { openTestDatabase } from '../helpers/app.ts';
import { flushesDuring } from '../helpers/socket-flushes.ts';
import { buildTenantGraph, type TenantGraph } from './tenant-graph.ts';

let db: Database;
let a: TenantGraph;
let b: TenantGraph;
let single: pg.Pool;

beforeAll(async () => {
  db = await openTestDatabase();
  a = await buildTenantGraph(db);
  b = await buildTenantGraph(db);
  single = new pg.Pool({ connectionString: db.appUrl, max: 1, pipeline: true } as pg.PoolConfig);
});
afterAll(async () => {
  await single.end();
  await db.close();
});

/** What the session sees with no transaction open: no organisation, so no control. */
async function outsideAnyTransaction() {
  const { rows } = await single.query(
    `SELECT current_setting('app.current_org_id', true) AS org, (SELECT count(*)::int FROM controls) AS n`,
  );
  return { org: rows[0].org ?? '', controls: rows[0].n };
}

describe('pipelined tenant transactions', () => {
  it('the app pool is in pipeline mode', async () => {
    const client = await db.appPool.connect();
    try {
      expect(isPipelined(client)).toBe(true);
    } finally {
      client.release();
    }
  });

  it('tenantRead writes BEGIN, settings, statement and COMMIT at once: one round trip', async () => {
    let rows: { id: string }[] = [];
    const flushes = await flushesDuring(single, async () => {
      rows = await tenantRead(single, { orgId: a.orgId }, 'SELECT id FROM controls', []);
    });
    expect(rows.map((row) => row.id)).toEqual([a.ids.controls]);
    expect(flushes).toBe(1);
  });

  it('binds each read to its own organisation, also when reads of two organisations queue on one connection', async () => {
    const reads = Array.from({ length: 10 }, (_, i) => {
      const org = i % 2 === 0 ? a : b;
      return tenantRead(single, { orgId: org.orgId }, 'SELECT id, organization_id FROM controls', []).then(
        (rows) => ({ org, rows }),
      );
    });
    for (const { org, rows } of await Promise.all(reads)) {
      expect(rows).toEqual([{ id: org.ids.controls, organization_id: org.orgId }]);
    }
  });

  it('cannot read another organisation by id', async () => {
    const rows = await tenantRead(single, { orgId: a.orgId }, 'SELECT id FROM controls WHERE id = $1', [
      b.ids.controls,
    ]);
    expect(rows).toEqual([]);
  });

  it('leaves no organisation behind after a read', async () => {
    await tenantRead(single, { orgId: a.orgId }, 'SELECT id FROM controls', []);
    expect(await outsideAnyTransaction()).toEqual({ org: '', controls: 0 });
  });

  it('leaves no organisation behind, nor an open transaction, after a failed read', async () => {
    await expect(tenantRead(single, { orgId: a.orgId }, 'SELECT 1/0 FROM controls', [])).rejects.toThrow(
      /division by zero/,
    );
    expect(await outsideAnyTransaction()).toEqual({ org: '', controls: 0 });
    const client = await single.connect();
    try {
      const { rows } = await client.query(`SELECT now() = statement_timestamp() AS outside`);
      expect(rows[0].outside).toBe(true); // inside a leftover transaction now() would be older
    } finally {
      client.release();
    }
  });

  it('a read is read-only: a write inside it is refused and not kept', async () => {
    await expect(
      tenantRead(single, { orgId: a.orgId }, `UPDATE controls SET name = 'changed' RETURNING id`, []),
    ).rejects.toMatchObject({ code: '25006' });
    const rows = await tenantRead(single, { orgId: a.orgId }, 'SELECT name FROM controls', []);
    expect(rows[0]?.name).not.toBe('changed');
  });

  it('tenantTransaction (settings pipelined with the first statement) waits for its work and rolls back on failure', async () => {
    let finished = false;
    await expect(
      tenantTransaction(single, { orgId: a.orgId }, async (tx) => {
        await tx.query(`UPDATE controls SET name = 'rolled back'`);
        finished = true;
        await tx.query('SELECT 1/0');
      }),
    ).rejects.toThrow(/division by zero/);
    expect(finished).toBe(true);
    expect(await outsideAnyTransaction()).toEqual({ org: '', controls: 0 });
    const rows = await tenantRead(single, { orgId: a.orgId }, 'SELECT name FROM controls', []);
    expect(rows[0]?.name).not.toBe('rolled back');
  });
});
