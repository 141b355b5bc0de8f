// compactEntries: one entry per row key at the offset of its last change, holding the net
// effect; a client at any offset that applies what follows it reaches the same rows.
import { describe, expect, it } from 'vitest';
import { compactEntries } from '../../src/sync/engine/compaction.ts';
import type { Entry } from '../../src/sync/engine/log-types.ts';

type Op = ['insert' | 'update' | 'delete', string, Record<string, string>, Record<string, string>?];

function entries(ops: Op[]): Entry[] {
  return ops.map(([operation, key, value, old], i) => ({
    lsn: 100 + i,
    op: 1,
    endLsn: 101 + i,
    json: JSON.stringify({
      key,
      value: { id: key, ...value },
      ...(old ? { old_value: old } : {}),
      headers: { operation, lsn: String(100 + i), op_position: 1, last: true },
    }),
  }));
}

type Rows = Map<string, Record<string, unknown>>;
function apply(rows: Rows, list: Entry[]) {
  for (const entry of list) {
    const m = JSON.parse(entry.json);
    if (m.headers.operation === 'insert') rows.set(m.key, { ...m.value });
    else if (m.headers.operation === 'update') rows.set(m.key, { ...rows.get(m.key), ...m.value });
    else rows.delete(m.key);
  }
  return rows;
}

const history: Op[] = [
  ['insert', 'a', { name: 'a0', kind: 'x' }],
  ['update', 'a', { name: 'a1' }, { name: 'a0' }],
  ['insert', 'b', { name: 'b0', kind: 'y' }],
  ['update', 'b', { kind: 'z' }, { kind: 'y' }],
  ['update', 'c', { name: 'c1' }, { name: 'c0' }],
  ['delete', 'a', {}],
  ['update', 'b', { name: 'b1' }, { name: 'b0' }],
  ['insert', 'a', { name: 'a2', kind: 'w' }],
  ['update', 'c', { kind: 'q' }, { kind: 'p' }],
  ['insert', 'd', { name: 'd0', kind: 'x' }],
  ['delete', 'd', {}],
];

describe('compactEntries', () => {
  const log = entries(history);
  const compacted = compactEntries(log);

  it('keeps one entry per key, at the offset of its last change, in offset order', () => {
    const keys = compacted.map((entry) => JSON.parse(entry.json).key);
    expect(keys).toEqual(['b', 'a', 'c', 'd']);
    expect(compacted.map((entry) => entry.lsn)).toEqual([106, 107, 108, 110]);
  });

  it('holds the net effect: insert + updates → insert, updates → merged update with the first old values', () => {
    const byKey = Object.fromEntries(
      compacted.map((entry) => [JSON.parse(entry.json).key, JSON.parse(entry.json)]),
    );
    expect(byKey.b).toMatchObject({
      value: { id: 'b', name: 'b1', kind: 'z' },
      headers: { operation: 'insert' },
    });
    expect(byKey.b.old_value).toBeUndefined();
    expect(byKey.c).toMatchObject({
      value: { id: 'c', name: 'c1', kind: 'q' },
      old_value: { name: 'c0', kind: 'p' },
      headers: { operation: 'update' },
    });
    expect(byKey.a.headers.operation).toBe('insert');
    expect(byKey.d.headers.operation).toBe('delete');
  });

  it('from every offset, applying what follows gives the same rows as the full log', () => {
    const initial = (): Rows => new Map([['c', { id: 'c', name: 'c0', kind: 'p' }]]);
    const expected = apply(initial(), log);
    for (let cut = 0; cut <= log.length; cut++) {
      const held = log[cut - 1];
      const rows = apply(initial(), log.slice(0, cut));
      const after = held ? compacted.filter((e) => e.lsn > held.lsn) : compacted;
      expect(apply(rows, after), `client at entry ${cut}`).toEqual(expected);
    }
  });
});
