// Routing in slices (engine/routing.ts): with a slice of 0 ms it yields after every change, and
// other work that runs in between never sees part of a transaction in a log; transactions kept
// during a snapshot and those routed while they are replayed are appended in commit order; a
// costly filter is paid in slices, not in one stretch of the event loop.
import { describe, expect, it } from 'vitest';
import type { Transaction } from '../../src/sync/engine/replication.ts';
import { replayPending, routeTransaction } from '../../src/sync/engine/routing.ts';
import { parsePgSnapshot, ShapeLog } from '../../src/sync/engine/shape-log.ts';
import type { ShapeDefinition } from '../../src/sync/upstream.ts';

const ORG = '00000000-0000-4000-8000-000000000001';

function newLog(matches: (row: Record<string, string | null>) => boolean = () => true) {
  const def: ShapeDefinition = {
    table: 'controls',
    columns: ['id', 'organization_id', 'name'],
    orgId: ORG,
    filter: { sql: '', params: [], matches },
    key: 'k',
  };
  return new ShapeLog(def.key, def, 'default', {
    columns: new Map(),
    primaryKey: ['id'],
    partitionColumn: 'organization_id',
  });
}

function tx(xid: number, lsn: number, count: number): Transaction {
  return {
    xid,
    commitLsn: lsn,
    endLsn: lsn + 10,
    commitTime: Date.now(),
    changes: Array.from({ length: count }, (_, i) => ({
      op: 'insert' as const,
      table: 'controls',
      new: { id: `${xid}-${i}`, organization_id: ORG, name: `n${i}` },
    })),
    truncated: [],
    relationsChanged: [],
  };
}

describe('routing in slices', () => {
  it('yields between changes and appends each transaction whole', async () => {
    const log = newLog();
    log.completeSnapshot(parsePgSnapshot('100:110:'), [], 1 << 20);
    const seen: number[] = [];
    let routing = true;
    const observer = (async () => {
      while (routing) {
        seen.push(log.entries.length);
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const t = tx(200, 1000, 50);
    const stats = await routeTransaction(t, new Map([[log, [...t.changes.keys()]]]), 0, () => {});
    routing = false;
    await observer;
    expect(stats.slices).toBeGreaterThan(10);
    expect(seen.length).toBeGreaterThan(10);
    expect(seen.every((n) => n === 0 || n === 50)).toBe(true);
    expect(log.entries).toHaveLength(50);
    expect(JSON.parse(log.entries.at(-1)!.json).headers.last).toBe(true);
  });

  it('replays kept transactions, and those routed meanwhile, in commit order', async () => {
    const log = newLog();
    const early = tx(200, 1000, 20);
    const late = tx(201, 2000, 20);
    log.accepts(early); // kept while the snapshot is under way
    log.setSnapshotRows(parsePgSnapshot('100:110:'), [], 1 << 20);
    const replay = replayPending(log, 0);
    // Routed while the replay yields: still kept, appended after the earlier one.
    expect(log.accepts(late)).toBe(false);
    await replay;
    expect(log.state).toBe('ready');
    expect(log.entries.map((e) => e.lsn)).toEqual([...Array(20).fill(1000), ...Array(20).fill(2000)]);
  });

  it('pays a costly filter in slices of about sliceMs', async () => {
    const spin = (ms: number) => {
      const end = performance.now() + ms;
      while (performance.now() < end) {}
      return true;
    };
    const log = newLog(() => spin(2));
    log.completeSnapshot(parsePgSnapshot('100:110:'), [], 1 << 20);
    const t = tx(200, 1000, 20);
    const stats = await routeTransaction(t, new Map([[log, [...t.changes.keys()]]]), 5, () => {});
    // 20 changes of 2 ms each: about 40 ms of work in slices of 5–7 ms, not one stretch.
    expect(stats.slices).toBeGreaterThanOrEqual(5);
    expect(log.entries).toHaveLength(20);
  });
});
