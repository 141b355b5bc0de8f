// Test support (imported only by unit tests): a real TanStack DB collection synced on demand, as
// shape.ts makes it (answerProvenTiesLocally around the loads), whose "server" is an array that
// answers each load as the sync endpoint would, and records every load it is asked for.
import { BTreeIndex, createCollection, type LoadSubsetOptions } from '@tanstack/db';
import { answerProvenTiesLocally, type LoadSubset } from './proven-ties';

export type Expr = { type: string; name?: string; args?: Expr[]; path?: string[]; value?: unknown };
export type FakeRow = Record<string, unknown> & { id: string };

const column = (e: Expr) => e.path?.at(-1) ?? '';

/** Evaluates the expressions these loads use, with SQL's null logic reduced to what they need. */
export function matches(row: FakeRow, e: Expr | undefined): boolean {
  if (!e) return true;
  const value = (x: Expr): unknown => (x.type === 'ref' ? row[column(x)] : x.value);
  const [a, b] = (e.args ?? []) as [Expr, Expr];
  const compare = (test: (x: number | string, y: number | string) => boolean) => {
    const x = value(a);
    const y = value(b);
    return x != null && y != null && test(x as number | string, y as number | string);
  };
  switch (e.name) {
    case 'and':
      return (e.args ?? []).every((arg) => matches(row, arg));
    case 'or':
      return (e.args ?? []).some((arg) => matches(row, arg));
    case 'not':
      return !matches(row, a);
    case 'eq':
      return compare((x, y) => x === y);
    case 'gt':
      return compare((x, y) => x > y);
    case 'lt':
      return compare((x, y) => x < y);
    case 'isNull':
    case 'isUndefined':
      return value(a) == null;
    default:
      throw new Error(`unexpected ${e.name}`);
  }
}

/** The server's order (server/src/sync/subset.ts): each order column with its direction and nulls, then the primary key. */
export function serverOrder(orderBy: NonNullable<LoadSubsetOptions['orderBy']>) {
  return (x: FakeRow, y: FakeRow): number => {
    for (const { expression, compareOptions } of orderBy) {
      const name = column(expression as Expr);
      const [a, b] = [x[name], y[name]] as [number | string | null, number | string | null];
      if (a === b) continue;
      if (a == null || b == null) return (a == null ? 1 : -1) * (compareOptions.nulls === 'last' ? 1 : -1);
      return (a < b ? -1 : 1) * (compareOptions.direction === 'desc' ? -1 : 1);
    }
    return x.id < y.id ? -1 : x.id > y.id ? 1 : 0;
  };
}

/**
 * The collection over `table`. A cursor load is two requests, as electric-db-collection makes
 * it: every row tied with the cursor's value (`whereCurrent`), and the rows after it, limited.
 * `remove` deletes a row on the server and sends the delete on the log.
 */
export function onDemandFake<R extends FakeRow>(table: R[]) {
  const asked: LoadSubsetOptions[] = [];
  let remove: (id: string) => void = () => {};
  const collection = createCollection<R, string>({
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
          const select = (where: Array<Expr | undefined>, limit?: number) => {
            let rows = table.filter((row) => where.every((e) => matches(row, e)));
            if (options.orderBy) rows = rows.sort(serverOrder(options.orderBy));
            return limit === undefined ? rows : rows.slice(0, limit);
          };
          const where = options.where as Expr | undefined;
          const { cursor } = options;
          const rows = cursor
            ? [
                ...select([where, cursor.whereCurrent as Expr]),
                ...select([where, cursor.whereFrom as Expr], options.limit),
              ]
            : select([where], options.limit);
          begin();
          for (const row of rows) write({ type: self.has(row.id) ? 'update' : 'insert', value: row });
          commit();
        };
        remove = (id) => {
          const at = table.findIndex((row) => row.id === id);
          const [gone] = table.splice(at, 1);
          begin();
          if (gone && self.has(id)) write({ type: 'delete', value: gone });
          commit();
        };
        return { loadSubset: answerProvenTiesLocally(serverLoad, self) };
      },
    },
  });
  return { collection, asked, remove: (id: string) => remove(id) };
}
