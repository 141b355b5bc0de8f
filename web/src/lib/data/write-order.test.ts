import { describe, expect, it } from 'vitest';
import { orderPendingWrites } from './write-order';

const state = (operations: { key: string; type: string; n?: number }[], committed = false) => ({
  _state: {
    pendingSyncedTransactions: [
      { committed: true, operations: [] },
      { committed, operations },
    ],
  },
});

describe('orderPendingWrites', () => {
  it('puts the open transaction’s writes in key order, one key’s writes in their own order', () => {
    const collection = state([
      { key: 'c', type: 'insert' },
      { key: 'a', type: 'insert', n: 1 },
      { key: 'b', type: 'insert' },
      { key: 'a', type: 'update', n: 2 },
      { key: 'a', type: 'delete', n: 3 },
    ]);
    orderPendingWrites(collection);
    const operations = collection._state.pendingSyncedTransactions[1]!.operations;
    expect(operations.map((o) => `${o.key}:${o.type}`)).toEqual([
      'a:insert',
      'a:update',
      'a:delete',
      'b:insert',
      'c:insert',
    ]);
  });

  it('leaves a committed transaction, and anything not shaped as expected, alone', () => {
    const committed = state(
      [
        { key: 'b', type: 'insert' },
        { key: 'a', type: 'insert' },
      ],
      true,
    );
    orderPendingWrites(committed);
    expect(committed._state.pendingSyncedTransactions[1]!.operations.map((o) => o.key)).toEqual(['b', 'a']);
    expect(() => orderPendingWrites(undefined)).not.toThrow();
    expect(() => orderPendingWrites({})).not.toThrow();
    expect(() => orderPendingWrites({ _state: { pendingSyncedTransactions: [] } })).not.toThrow();
  });
});
