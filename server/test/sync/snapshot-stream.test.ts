// The snapshot streamed (issue 16, item 1): a shape's snapshot is read through a cursor, a batch
// at a time, into its log, and the first chunk is served while PostgreSQL still reads the rest;
// the read stops when nobody wants the rest, and its statement timeout bounds the whole read.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTableInfo, readSnapshot } from '../../src/sync/engine/snapshot.ts';
import { tenantScope } from '../../src/sync/tenant-scope.ts';
import type { ShapeDefinition } from '../../src/sync/upstream.ts';
import { buildOrganization } from '../helpers/factories.ts';
import {
  type EngineApp,
  eventually,
  type ProtocolMessage,
  startEngineApp,
  writeAs,
} from './engine-harness.ts';

let e: EngineApp;
beforeAll(async () => {
  // Small chunks: a few rows each, so a few thousand rows make many of them.
  e = await startEngineApp({ chunkBytes: 4096 });
});
afterAll(() => e?.close());

/** `count` controls named `<prefix> <n>` in one statement (heap order is insertion order). */
async function fill(orgId: string, count: number, prefix = 'Row') {
  await writeAs(
    e,
    orgId,
    `INSERT INTO controls (organization_id, name, control_type, functional_range)
       SELECT $1, $2 || ' ' || g, 'technical', 'narrow' FROM generate_series(1, $3::int) g`,
    [orgId, prefix, count],
  );
}

const shape = (orgId: string, extraSql = ''): ShapeDefinition => ({
  table: 'controls',
  columns: ['id', 'organization_id', 'name'],
  orgId,
  filter: { sql: `"organization_id" = $1::uuid${extraSql}`, params: [orgId], matches: () => true },
  key: `stream-${orgId}-${extraSql}`,
});

describe('streamed snapshot', () => {
  it('hands the rows over in batches after the snapshot boundary, and stops when told', async () => {
    const org = await buildOrganization(e.db);
    await fill(org.id, 4_500);
    const { primaryKey } = await loadTableInfo(e.db, 'controls');
    const calls: Array<string | number> = [];
    const names: string[] = [];
    const complete = await readSnapshot(tenantScope(e.db).runSnapshot, shape(org.id), primaryKey, 30_000, {
      begin: (snapshot) => calls.push(snapshot),
      rows: (batch) => {
        calls.push(batch.length);
        for (const row of batch) names.push(JSON.parse(row).value.name);
        return true;
      },
    });
    expect(complete).toBe(true);
    expect(calls[0]).toMatch(/^\d+:\d+:[\d,]*$/);
    expect(calls.slice(1)).toEqual([2_000, 2_000, 500]);
    expect(new Set(names).size).toBe(4_500);

    let batches = 0;
    const stopped = await readSnapshot(tenantScope(e.db).runSnapshot, shape(org.id), primaryKey, 30_000, {
      begin: () => {},
      rows: () => ++batches < 1,
    });
    expect(stopped).toBe(false);
    expect(batches).toBe(1);
  });

  it('bounds the whole read by its timeout, as a statement timeout', async () => {
    const org = await buildOrganization(e.db);
    await fill(org.id, 4_500);
    const { primaryKey } = await loadTableInfo(e.db, 'controls');
    // 1 ms: past by the second FETCH at the latest (the first already waits for a round trip).
    const read = readSnapshot(tenantScope(e.db).runSnapshot, shape(org.id), primaryKey, 1, {
      begin: () => {},
      rows: () => true,
    });
    await expect(read).rejects.toMatchObject({ code: '57014' });
  });

  it('answers 400 for a where PostgreSQL refuses, when declaring the cursor or at its first FETCH', async () => {
    const org = await buildOrganization(e.db);
    await fill(org.id, 3);
    for (const extra of [' AND no_such_column > 0', ' AND name::int > 0']) {
      const response = await e.engine.engine.fetchShape(
        shape(org.id, extra),
        new URLSearchParams({ offset: '-1' }),
        new AbortController().signal,
      );
      expect(response.status).toBe(400);
      expect(JSON.stringify(await response.json())).toContain('the shape could not be read');
    }
  });

  it('serves the first chunk while the rest of the snapshot is still being read', async () => {
    const org = await buildOrganization(e.db);
    await fill(org.id, 2_500);
    await fill(org.id, 1, 'Stall');
    await fill(org.id, 10, 'After');
    // The read stops at the row named Stall 1 (past the first FETCH) while the test holds a lock.
    const LOCK = 16_001;
    const holder = await e.db.ownerPool.connect();
    await holder.query('SELECT pg_advisory_lock($1)', [LOCK]);
    const def = shape(org.id, ` AND (name <> 'Stall 1' OR pg_advisory_xact_lock_shared(${LOCK})::text = '')`);
    const get = async (params: Record<string, string>) => {
      const response = await e.engine.engine.fetchShape(
        def,
        new URLSearchParams(params),
        new AbortController().signal,
      );
      return { response, body: (await response.json()) as ProtocolMessage[] };
    };
    try {
      const first = await get({ offset: '-1' });
      expect(first.response.status).toBe(200);
      expect(first.body.length).toBeGreaterThan(0);
      expect(first.body.some((m) => m.headers.control === 'snapshot-end')).toBe(false);
      // Answered while the read still waits for the lock on the Stall row.
      await eventually(async () => {
        const { rows: waiting } = await e.db.ownerPool.query(
          `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND NOT granted`,
          [LOCK],
        );
        expect(waiting).toHaveLength(1);
      });
      await holder.query('SELECT pg_advisory_unlock($1)', [LOCK]);

      const names = first.body.flatMap((m) => (m.value ? [m.value.name] : []));
      let offset = first.response.headers.get('electric-offset') as string;
      const handle = first.response.headers.get('electric-handle') as string;
      let last = first.body;
      while (!last.some((m) => m.headers.control === 'snapshot-end')) {
        const next = await get({ offset, handle });
        expect(next.response.status).toBe(200);
        last = next.body;
        names.push(...last.flatMap((m) => (m.value ? [m.value.name] : [])));
        offset = next.response.headers.get('electric-offset') as string;
      }
      expect(names).toHaveLength(2_511);
      expect(new Set(names).size).toBe(2_511);
      expect(names).toContain('Stall 1');
    } finally {
      await holder.query('SELECT pg_advisory_unlock_all()');
      holder.release();
    }
  });
});
