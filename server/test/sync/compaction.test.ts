// Compaction of an over-cap shape log (issue 15, item 5): the log keeps one entry per row key
// instead of being reset, the handle stays, and clients of the official client holding an
// offset before, inside or after the compacted range — or none — end with the table's rows.
import { type Message, type Row, ShapeStream } from '@electric-sql/client';
import { describe, expect, it } from 'vitest';
import { tenantTransaction } from '../../src/db/tenant.ts';
import { buildOrganization } from '../helpers/factories.ts';
import {
  type EngineApp,
  eventually,
  getShape,
  insertControls,
  messages,
  shapeParams,
  shapeUrl,
  startEngineApp,
  syncToUpToDate,
  writeAs,
} from './engine-harness.ts';

type Rows = Map<string, Record<string, unknown>>;

/** Applies change messages as the official client's Shape does (insert sets, update merges). */
function apply(rows: Rows, batch: Array<{ key?: string; value?: object; headers: Record<string, unknown> }>) {
  for (const m of batch) {
    if (m.key === undefined) continue;
    const operation = m.headers.operation;
    if (operation === 'insert') rows.set(m.key, { ...m.value });
    else if (operation === 'update') rows.set(m.key, { ...rows.get(m.key), ...m.value });
    else rows.delete(m.key);
  }
}

const byId = (rows: Rows) =>
  Object.fromEntries([...rows.values()].map((row) => [row.id as string, row.name as string]));

async function tableRows(e: Pick<EngineApp, 'db'>, orgId: string) {
  return tenantTransaction(e.db.appPool, { orgId }, async (tx) => {
    const { rows } = await tx.query('SELECT id::text, name FROM controls');
    return Object.fromEntries(rows.map((r) => [r.id as string, r.name as string]));
  });
}

/** The official client resumed at (handle, offset) over `rows`, until it is up to date with the table. */
async function resume(e: EngineApp, orgId: string, rows: Rows, handle: string | undefined, offset: string) {
  const controller = new AbortController();
  let refetched = false;
  const stream = new ShapeStream<Row>({
    url: shapeUrl(e),
    params: shapeParams(e, 'controls', orgId, { columns: 'id,name' }),
    offset: offset as `${number}_${number}`,
    ...(handle ? { handle } : {}),
    signal: controller.signal,
  });
  stream.subscribe((batch: Message<Row>[]) => {
    for (const m of batch) if ('headers' in m && m.headers.control === 'must-refetch') refetched = true;
    apply(rows, batch as never);
  });
  try {
    const expected = await tableRows(e, orgId);
    await eventually(() => expect(byId(rows)).toEqual(expected), 15_000);
    return { refetched, handle: stream.shapeHandle };
  } finally {
    controller.abort();
  }
}

describe('shape log compaction', () => {
  it('compacts instead of resetting; clients at any offset end with the same rows as the table', async () => {
    const e = await startEngineApp({ maxLogChanges: 20, liveTimeoutMs: 500 });
    try {
      const org = await buildOrganization(e.db);
      const { ids } = await insertControls(e, org.id, ['a', 'b', 'c', 'd', 'e', 'f']);
      const query = shapeParams(e, 'controls', org.id, { columns: 'id,name' });

      const before = await syncToUpToDate(e, query);
      const rowsBefore: Rows = new Map();
      apply(rowsBefore, before.seen);

      const write = async (i: number) => {
        const id = ids[i % ids.length] as string;
        if (i === 9) await writeAs(e, org.id, 'DELETE FROM controls WHERE id = $1', [ids[0]]);
        else if (i === 11) await insertControls(e, org.id, ['late']);
        else await writeAs(e, org.id, 'UPDATE controls SET name = $2 WHERE id = $1', [id, `v${i}`]);
      };
      for (let i = 0; i < 8; i++) await write(i);
      // A client that read up to here holds an offset inside what will be compacted.
      const middle = await eventually(async () => {
        const answer = await getShape(e, { ...query, offset: before.offset, handle: before.handle });
        expect(messages(answer).filter((m) => m.key !== undefined)).toHaveLength(8);
        return answer;
      });
      const rowsMiddle = new Map(rowsBefore);
      apply(rowsMiddle, messages(middle));
      const middleOffset = middle.headers['electric-offset'] as string;

      for (let i = 8; i < 40; i++) await write(i);
      await eventually(async () => {
        const text = await e.metrics.registry.metrics();
        expect(text).toMatch(/sync_shape_log_compactions_total [1-9]/);
        const head = await getShape(e, { ...query, offset: before.offset, handle: before.handle });
        expect(head.status).toBe(200);
        expect(messages(head).filter((m) => m.key !== undefined).length).toBeGreaterThan(0);
      });
      expect(await e.metrics.registry.metrics()).not.toMatch(
        /sync_shape_logs_evicted_total\{reason="cap"\} [1-9]/,
      );
      // The log holds at most one entry per row key past its cap, under the same handle.
      const all = await getShape(e, { ...query, offset: before.offset, handle: before.handle });
      const keys = messages(all).flatMap((m) => (m.key ? [m.key] : []));
      expect(keys.length).toBeLessThanOrEqual(20);

      const fromBefore = await resume(e, org.id, new Map(rowsBefore), before.handle, before.offset);
      const fromMiddle = await resume(e, org.id, rowsMiddle, before.handle, middleOffset);
      const fresh = await resume(e, org.id, new Map(), undefined, '-1');
      for (const client of [fromBefore, fromMiddle, fresh]) {
        expect(client.refetched).toBe(false);
        expect(client.handle).toBe(before.handle);
      }
    } finally {
      await e.close();
    }
  });
});
