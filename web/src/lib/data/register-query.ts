// The register's page as a live query, for a register synced on demand (SyncPlan): filters,
// sort and page size become a subset snapshot the server answers (subset__where, order_by,
// limit), so only the rows shown travel. Everything here compiles to the where grammar the
// sync endpoint accepts (=, ILIKE; no functions), and text sorts by code point as the server's
// COLLATE "C" does, so the local order and the server's pages agree.
//
// A sort column that may be null (never touched, never scored, no provider) is two queries:
// the rows with a value, ordered by it, then the rows without one, ordered by id (the order
// both TanStack DB and the server give rows with equal values). After an ordered page TanStack
// DB (0.9, query/live/ordered-source-loader) asks for the rows tied with the page's last value;
// a null is no cursor it can express (utils/cursor canExpressCursorOrder), so for a page that
// ends in nulls it asks for the whole source instead (`true = true`, no limit): on a register
// of 100,000 controls, every one. Split, no page of either query ends in a null.
// (The functions come from @tanstack/db, which svelte-db re-exports, so this is unit-tested.)

import type { Control, Quadrant } from '@sertantai/core';
import { type Collection, eq, type InitialQueryBuilder, ilike, isNull, not, or } from '@tanstack/db';

export type RegisterSort = 'name' | 'touched' | 'risk' | 'distance' | 'quadrant';

const COLUMN = {
  name: 'name',
  touched: 'last_touched_at',
  risk: 'failure_probability',
  distance: 'provider_distance',
  quadrant: 'current_quadrant',
} as const satisfies Record<RegisterSort, keyof Control>;

/** The sorts whose column is null for some controls (`rows.ts`); name and quadrant never are. */
const NULLABLE: ReadonlySet<RegisterSort> = new Set(['touched', 'risk', 'distance']);

export type RegisterFilters = {
  search: string;
  quadrant: '' | Quadrant;
  sort: RegisterSort;
  descending: boolean;
  limit: number;
};

/** `%` and `_` in a search are literal characters, not patterns. */
export const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

function filteredControls(
  q: InitialQueryBuilder,
  controls: Collection<Control, string>,
  filters: RegisterFilters,
  // biome-ignore lint/suspicious/noExplicitAny: the builder's generics change with every clause
): any {
  // biome-ignore lint/suspicious/noExplicitAny: see above
  let query: any = q.from({ c: controls });
  if (filters.quadrant !== '') {
    const quadrant = filters.quadrant;
    // biome-ignore lint/suspicious/noExplicitAny: see above
    query = query.where(({ c }: any) => eq(c.current_quadrant, quadrant));
  }
  const needle = filters.search.trim();
  if (needle !== '') {
    // biome-ignore lint/suspicious/noExplicitAny: see above
    query = query.where(({ c }: any) => ilike(c.name, `%${escapeLike(needle)}%`));
  }
  return query;
}

/**
 * The page's rows with a value in the sort column (every row when the column is never null),
 * in the user's order. With registerUnvaluedQuery and registerPage it is the register's page.
 */
export function registerPageQuery(
  q: InitialQueryBuilder,
  controls: Collection<Control, string>,
  filters: RegisterFilters,
) {
  const column = COLUMN[filters.sort];
  let query = filteredControls(q, controls, filters);
  // biome-ignore lint/suspicious/noExplicitAny: see above
  if (NULLABLE.has(filters.sort)) query = query.where(({ c }: any) => not(isNull(c[column])));
  return (
    query
      // biome-ignore lint/suspicious/noExplicitAny: see above
      .orderBy(({ c }: any) => c[column], {
        direction: filters.descending ? 'desc' : 'asc',
        nulls: 'last',
        stringSort: 'lexical',
      })
      .limit(filters.limit)
  );
}

/**
 * The page's rows without a value in the sort column, in id order (where the screen shows
 * them: after every row with a value, in either direction); undefined when the column is never
 * null (useLiveQuery then runs no query).
 */
export function registerUnvaluedQuery(
  q: InitialQueryBuilder,
  controls: Collection<Control, string>,
  filters: RegisterFilters,
) {
  if (!NULLABLE.has(filters.sort)) return undefined;
  const column = COLUMN[filters.sort];
  return (
    filteredControls(q, controls, filters)
      // biome-ignore lint/suspicious/noExplicitAny: see above
      .where(({ c }: any) => isNull(c[column]))
      // biome-ignore lint/suspicious/noExplicitAny: see above
      .orderBy(({ c }: any) => c.id, { direction: 'asc', stringSort: 'lexical' })
      .limit(filters.limit)
  );
}

/** The page as the screen shows it: the rows with a value, then those without, `limit` in all. */
export function registerPage<T>(valued: readonly T[], unvalued: readonly T[], limit: number): T[] {
  return valued.length >= limit ? valued.slice(0, limit) : [...valued, ...unvalued].slice(0, limit);
}

/**
 * `ref` is one of `ids`, as the sync endpoint's grammar takes it: `ref = $1 OR ref = $2 …`
 * (TanStack DB's inArray compiles to `= ANY($1)`, which the grammar refuses). For screens that
 * show a few named controls (at most a few hundred ids: the where's cost limit is 2,000).
 */
// biome-ignore lint/suspicious/noExplicitAny: a column reference of any row type
export function idIn(ref: any, ids: readonly string[]) {
  const [first, second, ...rest] = ids.map((id) => eq(ref, id));
  if (!first) return eq(ref, '00000000-0000-0000-0000-000000000000'); // no id: matches nothing
  return second ? or(first, second, ...rest) : first;
}
