// Pure parts of the engine: snapshot visibility (with xid wraparound), offsets, whole-transaction
// slicing, and how a change becomes insert/update/delete for a shape in each replica mode.
import { describe, expect, it } from 'vitest';
import type { Transaction } from '../../src/sync/engine/replication.ts';
import { lsnToNumber } from '../../src/sync/engine/replication.ts';
import { parsePgSnapshot, ShapeLog, visibleInSnapshot } from '../../src/sync/engine/shape-log.ts';
import type { ShapeDefinition } from '../../src/sync/upstream.ts';

const ORG = '00000000-0000-4000-8000-000000000001';
const OTHER = '00000000-0000-4000-8000-000000000002';

function log(replica: 'default' | 'full' = 'default', quadrant = 'self') {
  const def: ShapeDefinition = {
    table: 'controls',
    columns: ['id', 'organization_id', 'name', 'current_quadrant'],
    orgId: ORG,
    filter: { sql: '', params: [], matches: (row) => row.current_quadrant === quadrant },
    key: `k-${replica}-${quadrant}`,
  };
  const l = new ShapeLog(def.key, def, replica, {
    columns: new Map(),
    primaryKey: ['id'],
    partitionColumn: 'organization_id',
  });
  l.completeSnapshot(parsePgSnapshot('100:110:105'), [], 1 << 20);
  return l;
}

const row = (id: string, name: string, quadrant = 'self', org = ORG) => ({
  id,
  organization_id: org,
  name,
  current_quadrant: quadrant,
  updated_at: '2026-01-01 00:00:00+00',
});

function tx(xid: number, lsn: number, changes: Transaction['changes']): Transaction {
  return {
    xid,
    commitLsn: lsn,
    endLsn: lsn + 10,
    commitTime: Date.now(),
    changes,
    truncated: [],
    relationsChanged: [],
  };
}

const bodies = (l: ShapeLog) => l.entries.map((e) => JSON.parse(e.json));

describe('snapshot visibility', () => {
  it('skips transactions the snapshot contains and keeps the others', () => {
    const s = parsePgSnapshot('100:110:103,105');
    expect(visibleInSnapshot(s, 99)).toBe(true);
    expect(visibleInSnapshot(s, 104)).toBe(true);
    expect(visibleInSnapshot(s, 103)).toBe(false); // in progress at snapshot time
    expect(visibleInSnapshot(s, 110)).toBe(false);
    expect(visibleInSnapshot(s, 4000)).toBe(false);
  });

  it('maps 32-bit xids onto the snapshot epoch across wraparound', () => {
    const epoch = 2 ** 32;
    const s = parsePgSnapshot(`${epoch + 5}:${epoch + 20}:${epoch + 7}`);
    expect(visibleInSnapshot(s, 10)).toBe(true); // epoch+10
    expect(visibleInSnapshot(s, 7)).toBe(false);
    expect(visibleInSnapshot(s, 25)).toBe(false);
    expect(visibleInSnapshot(s, 2 ** 32 - 10)).toBe(true); // previous epoch, long committed
  });

  it('reads LSNs as numbers', () => {
    expect(lsnToNumber('0/16B3F70')).toBe(0x16b3f70);
    expect(lsnToNumber('1/0')).toBe(2 ** 32);
  });
});

describe('shape log', () => {
  it('ignores a transaction already in the snapshot and other organisations', () => {
    const l = log();
    expect(l.apply(tx(104, 1000, [{ op: 'insert', table: 'controls', new: row('a', 'A') }]))).toBe(false);
    expect(
      l.apply(tx(120, 1100, [{ op: 'insert', table: 'controls', new: row('b', 'B', 'self', OTHER) }])),
    ).toBe(false);
    expect(l.entries).toHaveLength(0);
  });

  it('offsets are <lsn>_<op>, the last change is marked, and slicing keeps transactions whole', () => {
    const l = log();
    l.apply(
      tx(120, 5000, [
        { op: 'insert', table: 'controls', new: row('a', 'A') },
        { op: 'insert', table: 'users', new: { id: 'u' } },
        { op: 'insert', table: 'controls', new: row('b', 'B') },
      ]),
    );
    l.apply(tx(121, 6000, [{ op: 'insert', table: 'controls', new: row('c', 'C') }]));
    expect(l.entries.map((e) => `${e.lsn}_${e.op}`)).toEqual(['5000_1', '5000_3', '6000_1']);
    const [first, second, third] = bodies(l);
    expect(first.headers).toEqual({
      operation: 'insert',
      relation: ['public', 'controls'],
      txids: [120],
      lsn: '5000',
      op_position: 1,
    });
    expect(second.headers.last).toBe(true);
    expect(third.headers.last).toBe(true);
    expect(first.key).toBe('"public"."controls"/"a"');
    expect(l.positionAfter(5000, 1)).toBe(1);
    expect(l.positionAfter(5000, 3)).toBe(2);
    expect(l.positionAfter(0, 0)).toBe(0);
    // A tiny byte budget still cuts only after a whole transaction.
    const slice = l.sliceFrom(0, 1);
    expect(slice.end).toBe(2);
    expect(slice.offset).toBe('5000_3');
    expect(l.lastEndLsn()).toBe(6010);
  });

  it('replica=default sends the key and changed columns; replica=full the row and old values', () => {
    const plain = log('default');
    const full = log('full');
    const change = tx(130, 7000, [
      {
        op: 'update',
        table: 'controls',
        old: row('a', 'A'),
        new: { ...row('a', 'A2'), updated_at: 'later' },
      },
      { op: 'delete', table: 'controls', old: row('b', 'B') },
    ]);
    plain.apply(change);
    full.apply(change);
    const [pu, pd] = bodies(plain);
    expect(pu.value).toEqual({ id: 'a', name: 'A2' });
    expect(pu.old_value).toBeUndefined();
    expect(pd).toMatchObject({ value: { id: 'b' }, headers: { operation: 'delete' } });
    const [fu, fd] = bodies(full);
    expect(fu.value).toEqual({ id: 'a', organization_id: ORG, name: 'A2', current_quadrant: 'self' });
    expect(fu.old_value).toEqual({ name: 'A' });
    expect(fd.value).toEqual({ id: 'b', organization_id: ORG, name: 'B', current_quadrant: 'self' });
  });

  it('an update leaving the shape is a delete, one entering it an insert', () => {
    const l = log('default', 'self');
    l.apply(
      tx(140, 8000, [
        { op: 'update', table: 'controls', old: row('a', 'A', 'self'), new: row('a', 'A', 'service') },
        { op: 'update', table: 'controls', old: row('b', 'B', 'service'), new: row('b', 'B', 'self') },
        { op: 'update', table: 'controls', old: row('c', 'C', 'service'), new: row('c', 'C2', 'strange') },
      ]),
    );
    const [out, into, ...rest] = bodies(l);
    expect(out).toMatchObject({
      key: '"public"."controls"/"a"',
      value: { id: 'a' },
      headers: { operation: 'delete' },
    });
    expect(into).toMatchObject({
      value: { id: 'b', organization_id: ORG, name: 'B', current_quadrant: 'self' },
      headers: { operation: 'insert', last: true },
    });
    expect(rest).toEqual([]);
  });

  it('holds transactions while the snapshot is taken and replays the invisible ones after it', () => {
    const def: ShapeDefinition = {
      table: 'controls',
      columns: ['id', 'name'],
      orgId: ORG,
      filter: { sql: '', params: [], matches: () => true },
      key: 'k',
    };
    const l = new ShapeLog('k', def, 'default', {
      columns: new Map(),
      primaryKey: ['id'],
      partitionColumn: 'organization_id',
    });
    l.apply(tx(104, 1000, [{ op: 'insert', table: 'controls', new: row('seen', 'S') }]));
    l.apply(tx(105, 1100, [{ op: 'insert', table: 'controls', new: row('late', 'L') }]));
    expect(l.entries).toHaveLength(0);
    l.completeSnapshot(parsePgSnapshot('100:110:105'), ['{"snapshot":"row"}'], 1 << 20);
    expect(bodies(l).map((m) => m.value.id)).toEqual(['late']);
    expect(l.headOffset()).toBe('1100_1');
  });
});

describe('snapshot chunks while the snapshot is read', () => {
  const fresh = () => {
    const def: ShapeDefinition = {
      table: 'controls',
      columns: ['id'],
      orgId: ORG,
      filter: { sql: '', params: [], matches: () => true },
      key: 'streamed',
    };
    return new ShapeLog('streamed', def, 'default', { columns: new Map(), primaryKey: ['id'] });
  };
  const rows = (from: number, to: number) =>
    Array.from({ length: to - from }, (_, i) => `{"key":"${String(from + i).padStart(4, '0')}"}`);

  it('serves a chunk once a later row is read, the last one only with the whole snapshot', async () => {
    const l = fresh();
    l.beginSnapshot(parsePgSnapshot('100:110:'));
    l.addSnapshotRows(rows(0, 3), 40); // 15 characters a row with its comma: a chunk closes every 3 rows
    expect(l.chunkEndFrom(0)).toBeUndefined(); // closed by size, but it may still be the last
    let waited = false;
    const waiting = l.snapshotReadTo(0).then(() => {
      waited = true;
    });
    await Promise.resolve();
    expect(waited).toBe(false);
    l.addSnapshotRows(rows(3, 5), 40);
    await waiting;
    expect(l.chunkEndFrom(0)).toBe(3);
    expect(l.chunkEndFrom(3)).toBeUndefined();
    l.addSnapshotRows(rows(5, 7), 40);
    l.endSnapshotRows();
    expect([l.chunkEndFrom(3), l.chunkEndFrom(6), l.chunkEndFrom(7)]).toEqual([6, 7, undefined]);

    // The same boundaries as the whole snapshot at once (a restored log): the same etags.
    const whole = fresh();
    whole.setSnapshotRows(parsePgSnapshot('100:110:'), rows(0, 7), 40);
    expect(whole.chunkEnds).toEqual(l.chunkEnds);
    expect(whole.bytes).toBe(l.bytes);
  });

  it('gives waiting requests the error of a failed snapshot, and lets them go when the log is dropped', async () => {
    const failed = fresh();
    failed.addSnapshotRows(rows(0, 2), 40);
    const waiting = failed.snapshotReadTo(0);
    failed.failSnapshot(Object.assign(new Error('canceled'), { code: '57014' }));
    await expect(waiting).rejects.toMatchObject({ code: '57014' });

    const dropped = fresh();
    const released = dropped.snapshotReadTo(0);
    dropped.drop();
    await released;
    expect(dropped.dropped).toBe(true);
  });
});
