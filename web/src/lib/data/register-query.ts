// The register's page as a live query, for a register synced on demand (SyncPlan): filters,
// sort and page size become a subset snapshot the server answers (subset__where, order_by,
// limit), so only the rows shown travel. Everything here compiles to the where grammar the
// sync endpoint accepts (=, ILIKE; no functions), and text sorts by code point as the server's
// COLLATE "C" does, so the local order and the server's pages agree.

import type { Control, Quadrant } from '@sertantai/core';
import { type Collection, eq, type InitialQueryBuilder, ilike, or } from '@tanstack/svelte-db';

export type RegisterSort = 'name' | 'touched' | 'risk' | 'distance' | 'quadrant';

const COLUMN = {
  name: 'name',
  touched: 'last_touched_at',
  risk: 'failure_probability',
  distance: 'provider_distance',
  quadrant: 'current_quadrant',
} as const satisfies Record<RegisterSort, keyof Control>;

export type RegisterFilters = {
  search: string;
  quadrant: '' | Quadrant;
  sort: RegisterSort;
  descending: boolean;
  limit: number;
};

/** `%` and `_` in a search are literal characters, not patterns. */
export const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

export function registerPageQuery(
  q: InitialQueryBuilder,
  controls: Collection<Control, string>,
  filters: RegisterFilters,
) {
  // biome-ignore lint/suspicious/noExplicitAny: the builder's generics change with every clause
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
  const column = COLUMN[filters.sort];
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
