// Shape logs survive an engine restart (issue 12): with persistence, a new engine on the same
// database (a new app: a restarted process, or the next leader) restores the logs from
// PostgreSQL and resumes the group's permanent slot where they end. The official client, held
// across the restart, keeps its handle: no 409, no refetch, and every change — including those
// committed while no engine ran — arrives. Evicted logs are deleted from the store.
import { randomUUID } from 'node:crypto';
import { type Row, Shape, ShapeStream } from '@electric-sql/client';
import { afterAll, describe, expect, it } from 'vitest';
import { tenantTransaction } from '../../src/db/tenant.ts';
import { openTestDatabase } from '../helpers/app.ts';
import { buildOrganization } from '../helpers/factories.ts';
import {
  dropPersistedGroup,
  type EngineApp,
  eventually,
  getShape,
  insertControls,
  messages,
  type ProtocolMessage,
  shapeParams,
  shapeUrl,
  startEngineApp,
  syncToUpToDate,
  writeAs,
} from './engine-harness.ts';

const groups: string[] = [];
const newGroup = () => {
  const group = `test-restart-${randomUUID()}`;
  groups.push(group);
  return { group, intervalMs: 50 };
};

// Each group's permanent slot and stored logs go with the test.
afterAll(async () => {
  const db = await openTestDatabase();
  try {
    for (const group of groups) await dropPersistedGroup(db, group);
  } finally {
    await db.close();
  }
});

async function tableRows(e: Pick<EngineApp, 'db'>, orgId: string) {
  return tenantTransaction(e.db.appPool, { orgId }, async (tx) => {
    const { rows } = await tx.query('SELECT id::text, name FROM controls');
    return Object.fromEntries(rows.map((r) => [r.id as string, r.name as string]));
  });
}

describe('shape logs across an engine restart', () => {
  it('the official client continues with the same handle (no 409) and loses no change', async () => {
    const persist = newGroup();
    let current: EngineApp | undefined = await startEngineApp({ liveTimeoutMs: 1_000 }, 0, persist);
    let up = Promise.resolve();
    let release = () => {};
    const statuses: number[] = [];
    // A front door that holds requests while no engine runs (as a balancer would).
    const fetchClient: typeof fetch = async (input, init) => {
      await up;
      const url = new URL(String(input));
      url.host = new URL(shapeUrl(current as EngineApp)).host;
      const response = await fetch(url, init);
      statuses.push(response.status);
      return response;
    };
    const controller = new AbortController();
    try {
      const org = await buildOrganization(current.db);
      await insertControls(current, org.id, ['before 1', 'before 2']);
      const query = shapeParams(current, 'controls', org.id, { columns: 'id,name' });
      const stream = new ShapeStream<Row>({
        url: shapeUrl(current),
        params: query,
        signal: controller.signal,
        fetchClient,
      });
      const shape = new Shape(stream);
      await shape.rows;
      await insertControls(current, org.id, ['live 1']);
      await eventually(() => expect(shape.currentRows).toHaveLength(3));
      const handle = stream.shapeHandle;
      // A second client that stopped reading before the restart holds an older offset.
      const behind = await syncToUpToDate(current, query);
      await insertControls(current, org.id, ['live 2']);
      await eventually(() => expect(shape.currentRows).toHaveLength(4));

      up = new Promise((resolve) => {
        release = resolve;
      });
      await current.close();
      // Writes while no engine runs: the permanent slot keeps them for the next one.
      const writer = await openTestDatabase();
      try {
        await insertControls({ db: writer }, org.id, ['while down']);
        await writeAs(
          { db: writer },
          org.id,
          `UPDATE controls SET name = 'renamed while down' WHERE name = 'before 1'`,
        );
        await writeAs({ db: writer }, org.id, `DELETE FROM controls WHERE name = 'before 2'`);
      } finally {
        await writer.close();
      }
      current = await startEngineApp({ liveTimeoutMs: 1_000 }, 0, persist);
      expect(current.engine.health().detail.persisted).toBe(true);
      const resumed = await getShape(current, { ...query, offset: behind.offset, handle: behind.handle });
      expect(resumed.status).toBe(200);
      expect(resumed.headers['electric-handle']).toBe(behind.handle);
      release();

      const expected = await tableRows(current, org.id);
      await eventually(() => {
        const synced = Object.fromEntries(shape.currentRows.map((r) => [r.id as string, r.name as string]));
        expect(synced).toEqual(expected);
      }, 15_000);
      await insertControls(current, org.id, ['after restart']);
      await eventually(() => expect(shape.currentRows.map((r) => r.name)).toContain('after restart'));
      expect(statuses).not.toContain(409);
      expect(stream.shapeHandle).toBe(handle);
    } finally {
      controller.abort();
      await current?.close();
    }
  });

  it('logs are stored (changes-only ones too); an evicted log is deleted and a restart does not bring it back', async () => {
    const persist = newGroup();
    let e = await startEngineApp({ idleMs: 300, sweepMs: 100, liveTimeoutMs: 300 }, 0, persist);
    const stored = () =>
      e.db.ownerPool
        .query('SELECT count(*)::int AS n FROM sync_shape_logs WHERE election_group = $1', [persist.group])
        .then((r) => r.rows[0].n as number);
    try {
      const org = await buildOrganization(e.db);
      const query = shapeParams(e, 'controls', org.id);
      const first = await syncToUpToDate(e, query);
      await syncToUpToDate(e, { ...query, log: 'changes_only' }); // another log of the shape
      await eventually(async () => expect(await stored()).toBe(2));
      await eventually(async () => expect(await stored()).toBe(0)); // idle: evicted, then deleted
      await e.close();
      e = await startEngineApp({ liveTimeoutMs: 300 }, 0, persist);
      const back = await getShape(e, { ...query, offset: first.offset, handle: first.handle });
      expect(back.status).toBe(409);
    } finally {
      await e.close();
    }
  });

  it('a compacted log is stored compacted: after a restart, clients before and inside the compacted range end with the table', async () => {
    const persist = newGroup();
    const options = { maxLogChanges: 20, liveTimeoutMs: 300 };
    let e = await startEngineApp(options, 0, persist);
    type Rows = Map<string, Record<string, unknown>>;
    const apply = (rows: Rows, batch: ProtocolMessage[]) => {
      for (const m of batch) {
        if (m.key === undefined) continue;
        if (m.headers.operation === 'insert') rows.set(m.key, { ...m.value });
        else if (m.headers.operation === 'update') rows.set(m.key, { ...rows.get(m.key), ...m.value });
        else rows.delete(m.key);
      }
      return rows;
    };
    /** Non-live requests from (handle, offset) until up-to-date, applied over `rows`. */
    const catchUp = async (query: Record<string, string>, handle: string, offset: string, rows: Rows) => {
      for (let i = 0; i < 20; i++) {
        const answer = await getShape(e, { ...query, handle, offset });
        expect(answer.status).toBe(200);
        apply(rows, messages(answer));
        offset = answer.headers['electric-offset'] as string;
        if (messages(answer).at(-1)?.headers.control === 'up-to-date') break;
      }
      return Object.fromEntries([...rows.values()].map((row) => [row.id as string, row.name as string]));
    };
    try {
      const org = await buildOrganization(e.db);
      const { ids } = await insertControls(e, org.id, ['a', 'b', 'c', 'd', 'e', 'f']);
      const query = shapeParams(e, 'controls', org.id, { columns: 'id,name' });
      const before = await syncToUpToDate(e, query);
      const rowsBefore = apply(new Map(), before.seen);
      const rename = (i: number) =>
        writeAs(e, org.id, 'UPDATE controls SET name = $2 WHERE id = $1', [ids[i % ids.length], `v${i}`]);
      for (let i = 0; i < 8; i++) await rename(i);
      const middle = await eventually(async () => {
        const answer = await getShape(e, { ...query, handle: before.handle, offset: before.offset });
        expect(messages(answer).filter((m) => m.key !== undefined)).toHaveLength(8);
        return answer;
      });
      const rowsMiddle = apply(new Map(rowsBefore), messages(middle));
      for (let i = 8; i < 40; i++) await rename(i);
      await eventually(async () =>
        expect(await e.metrics.registry.metrics()).toMatch(/sync_shape_log_compactions_total [1-9]/),
      );
      // The stored copy was written again compacted (one entry per row key), not appended to.
      const storedEntries = async () =>
        (
          await e.db.ownerPool.query(
            'SELECT count(*)::int AS n FROM sync_shape_log_entries WHERE election_group = $1',
            [persist.group],
          )
        ).rows[0].n as number;
      await eventually(async () => expect(await storedEntries()).toBeLessThanOrEqual(20));
      expect(await storedEntries()).toBeGreaterThan(0);
      await e.close();
      e = await startEngineApp(options, 0, persist);
      const expected = await tableRows(e, org.id);
      expect(await catchUp(query, before.handle, before.offset, rowsBefore)).toEqual(expected);
      expect(
        await catchUp(query, before.handle, middle.headers['electric-offset'] as string, rowsMiddle),
      ).toEqual(expected);
    } finally {
      await e.close();
    }
  });
});
