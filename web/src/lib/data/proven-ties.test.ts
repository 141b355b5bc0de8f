// The tie request TanStack DB sends after an ordered page, against a real collection and live
// query: answered locally, since the server's page is in the collection's own total order (sort
// value, then id), also when a tie crosses the page's end; the page stays right.
import { createLiveQueryCollection, eq, IR, type LoadSubsetOptions } from '@tanstack/db';
import { describe, expect, it, vi } from 'vitest';
import { onDemandFake } from './on-demand-fake';
import { answerProvenTiesLocally } from './proven-ties';

type Row = { id: string; name: string; quadrant: string };

/** The collection and its server (on-demand-fake.ts), rows of names and quadrants. */
const onDemandCollection = (table: Row[]) => onDemandFake(table);

function firstPage(collection: ReturnType<typeof onDemandCollection>['collection'], quadrant?: string) {
  const page = createLiveQueryCollection({
    startSync: true,
    query: (q) => {
      const from = q.from({ c: collection });
      const filtered = quadrant ? from.where(({ c }) => eqQuadrant(c, quadrant)) : from;
      return filtered.orderBy(({ c }) => c.name, { direction: 'asc', stringSort: 'lexical' }).limit(3);
    },
  });
  return page;
}

// biome-ignore lint/suspicious/noExplicitAny: the builder's row reference
const eqQuadrant = (c: any, quadrant: string) => eq(c.quadrant, quadrant);

const andOf = (a: unknown, b: unknown) =>
  new IR.Func('and', [a as IR.BasicExpression, b as IR.BasicExpression]) as IR.BasicExpression<boolean>;
const names = (rows: Row[]) => rows.map((row) => row.name);
const row = (id: string, name: string, quadrant = 'self'): Row => ({ id, name, quadrant });

describe('tie requests after an ordered page', () => {
  it('are answered locally: one server load', async () => {
    const { collection, asked } = onDemandCollection([
      row('1', 'A'),
      row('2', 'B'),
      row('3', 'C'),
      row('4', 'D'),
      row('5', 'E'),
    ]);
    const page = firstPage(collection);
    await page.toArrayWhenReady();
    expect(names(page.toArray as Row[])).toEqual(['A', 'B', 'C']);
    expect(asked).toHaveLength(1);
    expect(asked[0]?.limit).toBe(3);
  });

  it('are answered locally when ties cross the end of the page, and the page is the first in id order', async () => {
    const { collection, asked, remove } = onDemandCollection([
      row('6', 'C'),
      row('1', 'A'),
      row('5', 'C'),
      row('2', 'C'),
      row('4', 'C'),
      row('3', 'D'),
    ]);
    const page = firstPage(collection);
    await page.toArrayWhenReady();
    expect((page.toArray as Row[]).map((r) => r.id)).toEqual(['1', '2', '4']);
    expect(asked).toHaveLength(1); // not the rows tied with C: on a large register, thousands
    expect(collection.has('5')).toBe(false);
    expect(asked.filter((options) => options.limit === undefined)).toEqual([]);
    // A row leaves the page: the next C in id order comes in.
    remove('2');
    await vi.waitFor(() => expect((page.toArray as Row[]).map((r) => r.id)).toEqual(['1', '4', '5']));
    // (TanStack DB 0.9 reloads the query's whole source after a row it showed was deleted or
    // changed its place: ordered-source-loader onSourceChanges → invalidateSourceOrdering.)
    expect(asked[1]).toMatchObject({ where: undefined, orderBy: undefined, limit: undefined });
  });

  it('are answered locally when the filter has fewer rows than the page', async () => {
    const { collection, asked } = onDemandCollection([
      row('1', 'A'),
      row('2', 'B', 'strange'),
      row('3', 'C'),
    ]);
    const page = firstPage(collection, 'self');
    await page.toArrayWhenReady();
    expect(names(page.toArray as Row[])).toEqual(['A', 'C']);
    // No tie request reached the server (TanStack DB still asks past a short page: a cursor load).
    expect(asked[0]?.limit).toBe(3);
    expect(asked.filter((options) => options.limit === undefined)).toEqual([]);
  });

  it('are sent when the proof was for another filter or value', async () => {
    const asked: LoadSubsetOptions[] = [];
    const rows = [row('1', 'A'), row('2', 'B')];
    const load = answerProvenTiesLocally(
      async (options) => {
        asked.push(options);
      },
      { currentStateAsChanges: () => rows.map((value) => ({ value })) },
    );
    const name = new IR.PropRef(['name']);
    const self = eq(new IR.PropRef(['quadrant']), 'self');
    const strange = eq(new IR.PropRef(['quadrant']), 'strange');
    const orderBy = [
      {
        expression: name,
        compareOptions: { direction: 'asc' as const, nulls: 'last' as const, stringSort: 'lexical' as const },
      },
    ];
    await load({ where: self, orderBy, limit: 5 }); // short answer: B is proven for 'self'
    expect(load({ where: eq(name, 'B') })).not.toBe(true); // no filter: not proven
    expect(load({ where: andOf(strange, eq(name, 'B')) })).not.toBe(true); // another filter
    expect(load({ where: andOf(self, eq(name, 'A')) })).not.toBe(true); // another value
    expect(load({ where: andOf(self, eq(name, 'B')) })).toBe(true); // the proven one
    expect(load({ where: andOf(self, eq(name, 'B')) })).not.toBe(true); // used once
    expect(asked.map((options) => options.limit)).toEqual([5, undefined, undefined, undefined, undefined]);
  });
});
