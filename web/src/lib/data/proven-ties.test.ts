// The tie request TanStack DB sends after an ordered page, against a real collection and live
// query: answered locally when the page's extra row proves it, sent when a tie crosses the page.
import {
  BTreeIndex,
  createCollection,
  createLiveQueryCollection,
  eq,
  IR,
  type LoadSubsetOptions,
} from '@tanstack/db';
import { describe, expect, it } from 'vitest';
import { answerProvenTiesLocally, type LoadSubset } from './proven-ties';

type Row = { id: string; name: string; quadrant: string };
type Expr = { type: string; name?: string; args?: Expr[]; path?: string[]; value?: unknown };

/** Evaluates the few expressions these loads use (and, eq, gt, or, isNull, isUndefined). */
function matches(row: Row, e: Expr | undefined): boolean {
  if (!e) return true;
  const value = (x: Expr): unknown =>
    x.type === 'ref' ? (row as Record<string, unknown>)[x.path?.at(-1) ?? ''] : x.value;
  const [a, b] = (e.args ?? []) as [Expr, Expr];
  switch (e.name) {
    case 'and':
      return (e.args ?? []).every((arg) => matches(row, arg));
    case 'or':
      return (e.args ?? []).some((arg) => matches(row, arg));
    case 'eq':
      return value(a) === value(b);
    case 'gt':
      return String(value(a)) > String(value(b));
    case 'isNull':
    case 'isUndefined':
      return value(a) == null;
    default:
      throw new Error(`unexpected ${e.name}`);
  }
}

/** A collection synced on demand from `table`, recording every load the server is asked for. */
function onDemandCollection(table: Row[]) {
  const asked: LoadSubsetOptions[] = [];
  const collection = createCollection<Row, string>({
    id: `controls-${Math.random()}`,
    getKey: (row) => row.id,
    syncMode: 'on-demand',
    autoIndex: 'eager',
    defaultIndexType: BTreeIndex,
    sync: {
      sync: ({ begin, write, commit, markReady, collection: self }) => {
        markReady();
        const serverLoad: LoadSubset = async (options) => {
          asked.push(options);
          await new Promise((resolve) => setTimeout(resolve, 1));
          const where = [options.where, options.cursor?.whereFrom].filter(Boolean) as Expr[];
          let rows = table.filter((row) => where.every((e) => matches(row, e)));
          if (options.orderBy) rows = rows.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
          if (options.limit !== undefined) rows = rows.slice(0, options.limit);
          begin();
          for (const row of rows) write({ type: self.has(row.id) ? 'update' : 'insert', value: row });
          commit();
        };
        return { loadSubset: answerProvenTiesLocally(serverLoad, self) };
      },
    },
  });
  return { collection, asked };
}

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
  it('are answered locally when the row after the page has another value: one server load', async () => {
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
    expect(asked[0]?.limit).toBe(4); // the page's 3 and one more, the proof
  });

  it('are sent when a tie crosses the end of the page, and the page stays right', async () => {
    const { collection, asked } = onDemandCollection([
      row('1', 'A'),
      row('2', 'B'),
      row('3', 'C'),
      row('4', 'C'),
      row('5', 'C'),
      row('6', 'D'),
    ]);
    const page = firstPage(collection);
    await page.toArrayWhenReady();
    expect(names(page.toArray as Row[])).toEqual(['A', 'B', 'C']);
    expect(asked).toHaveLength(2);
    const tie = asked[1];
    expect(tie?.limit).toBeUndefined();
    expect(tie?.where).toMatchObject({ name: 'eq', args: [{ path: ['name'] }, { value: 'C' }] });
    // Every row tied at the page's end is now local (the server's answer to the tie request).
    expect(collection.has('5')).toBe(true);
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
    expect(asked[0]?.limit).toBe(4);
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
    expect(asked.map((options) => options.limit)).toEqual([6, undefined, undefined, undefined, undefined]);
  });
});
