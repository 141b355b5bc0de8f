// The register's on-demand page against a real collection and live queries, recording every
// load the server is asked for: a page that ends in rows without a value in the sort column
// (a control never touched, never scored, without a provider) must not ask for the whole
// register, and the page shows the same rows in the same order as one query would.
import type { Control } from '@sertantai/core';
import {
  type Collection,
  createLiveQueryCollection,
  type InitialQueryBuilder,
  type LoadSubsetOptions,
  Query,
} from '@tanstack/db';
import { describe, expect, it } from 'vitest';
import { type FakeRow, onDemandFake, serverOrder } from './on-demand-fake';
import {
  type RegisterFilters,
  type RegisterSort,
  registerPage,
  registerPageQuery,
  registerUnvaluedQuery,
} from './register-query';

type Row = FakeRow;

/** A controls collection synced on demand as shape.ts makes it, recording the server's loads. */
function onDemandControls(table: Row[]) {
  const { collection, asked } = onDemandFake(table);
  return { controls: collection as unknown as Collection<Control, string>, asked };
}

type Build = (q: InitialQueryBuilder) => unknown;

/** A live query's rows once ready; none for a query that is not there (as useLiveQuery does). */
async function rowsOf(build: Build): Promise<Control[]> {
  // biome-ignore lint/suspicious/noExplicitAny: the page's builder, as useLiveQuery takes it
  const query = build(new (Query as any)());
  if (query === undefined) return [];
  // biome-ignore lint/suspicious/noExplicitAny: see above
  const live = createLiveQueryCollection({ startSync: true, query: query as any });
  await live.toArrayWhenReady();
  return live.toArray as unknown as Control[];
}

/** The register's page as the page component reads it: both queries, then merged. */
async function shownPage(controls: Collection<Control, string>, filters: RegisterFilters) {
  const valued = await rowsOf((q) => registerPageQuery(q, controls, filters));
  const unvalued = await rowsOf((q) => registerUnvaluedQuery(q, controls, filters));
  return registerPage(valued, unvalued, filters.limit);
}

/** A full-source load: no filter, no order, no limit — every control of the organisation. */
const wholeRegister = (options: LoadSubsetOptions) =>
  options.where === undefined && options.orderBy === undefined && options.limit === undefined;

const SORTED: Record<Exclude<RegisterSort, 'name' | 'quadrant'>, keyof Control> = {
  touched: 'last_touched_at',
  risk: 'failure_probability',
  distance: 'provider_distance',
};

/** 3 controls with a value in each nullable column (one tie), 9 without: a 6-row page ends in nulls. */
function register(): Row[] {
  const rows: Row[] = [];
  const valued = [
    ['2026-01-02 10:00:00+00', 0.5, 2],
    ['2026-01-01 10:00:00+00', 0.16, 1],
    ['2026-01-02 10:00:00+00', 0.5, 3],
  ] as const;
  for (let i = 0; i < 12; i++) {
    const [touched, risk, distance] = valued[i] ?? [null, null, null];
    rows.push({
      id: `00000000-0000-0000-0000-0000000000${String(99 - i * 7).padStart(2, '0')}`,
      name: `Control ${i}`,
      current_quadrant: i % 3 ? 'self' : 'strange', // 8 and 4: a page of 6 ends inside one
      last_touched_at: touched,
      failure_probability: risk,
      provider_distance: distance,
    });
  }
  return rows;
}

/** What one live query over every loaded row shows: the order of the screen before this change. */
function expectedPage(table: Row[], sort: keyof Control, descending: boolean, limit: number) {
  const order = serverOrder([
    {
      expression: { type: 'ref', path: [sort] } as never,
      compareOptions: { direction: descending ? 'desc' : 'asc', nulls: 'last' },
    },
  ]);
  return [...table].sort(order).slice(0, limit);
}

const filters = (sort: RegisterSort, descending: boolean): RegisterFilters => ({
  search: '',
  quadrant: '',
  sort,
  descending,
  limit: 6,
});

describe('the on-demand register sorted by a column with nulls', () => {
  it('one ordered query whose page ends in nulls makes TanStack DB load the whole register (why the page is split)', async () => {
    const { controls, asked } = onDemandControls(register());
    const f = filters('touched', false);
    // The page's column as a single ordered query, as the register asked before.
    await rowsOf((q) =>
      q
        .from({ c: controls })
        .orderBy(({ c }) => c.last_touched_at, { direction: 'asc', nulls: 'last', stringSort: 'lexical' })
        .limit(f.limit),
    );
    expect(asked.some(wholeRegister)).toBe(true);
  });

  for (const [sort, key] of Object.entries(SORTED) as [keyof typeof SORTED, keyof Control][]) {
    for (const descending of [false, true]) {
      it(`by ${sort} ${descending ? 'descending' : 'ascending'}: the page without loading the whole register, nulls last in id order`, async () => {
        const table = register();
        const { controls, asked } = onDemandControls(table);
        const page = await shownPage(controls, filters(sort, descending));
        expect(page.map((c) => c.id)).toEqual(expectedPage(table, key, descending, 6).map((c) => c.id));
        expect(page.at(-1)?.[key]).toBeNull(); // the page does end in nulls
        expect(asked.filter(wholeRegister)).toEqual([]);
        expect(asked.every((options) => options.limit !== undefined || options.where !== undefined)).toBe(
          true,
        );
      });
    }
  }

  for (const descending of [false, true]) {
    it(`by quadrant ${descending ? 'descending' : 'ascending'}: a page ending inside a quadrant does not load the rest of it`, async () => {
      const table = register();
      const { controls, asked } = onDemandControls(table);
      const page = await shownPage(controls, filters('quadrant', descending));
      expect(page.map((c) => c.id)).toEqual(
        expectedPage(table, 'current_quadrant', descending, 6).map((c) => c.id),
      );
      // Only the page: not the request for every row tied with its last quadrant (no limit).
      expect(asked.filter((options) => options.limit === undefined)).toEqual([]);
      expect(table.filter((c) => !controls.has(c.id)).length).toBeGreaterThan(0);
    });
  }

  it('with a filter, a page full of values shows them alone, and both queries keep the filter', async () => {
    const table = register();
    const { controls, asked } = onDemandControls(table);
    const f = { ...filters('risk', true), quadrant: 'strange' as const, limit: 1 };
    const page = await shownPage(controls, f);
    const strange = table.filter((c) => c.current_quadrant === 'strange');
    expect(page.map((c) => c.id)).toEqual(
      expectedPage(strange, 'failure_probability', true, 1).map((c) => c.id),
    );
    expect(page[0]?.failure_probability).toBe(0.5);
    expect(asked.filter(wholeRegister)).toEqual([]);
    for (const options of asked) expect(JSON.stringify(options.where)).toContain('"strange"');
  });

  it('a sort whose column is never null is one query, as before', () => {
    const { controls } = onDemandControls(register());
    const q = new Query() as unknown as InitialQueryBuilder;
    expect(registerUnvaluedQuery(q, controls, filters('name', false))).toBeUndefined();
    expect(registerUnvaluedQuery(q, controls, filters('quadrant', true))).toBeUndefined();
    expect(registerUnvaluedQuery(q, controls, filters('touched', true))).toBeDefined();
  });
});
