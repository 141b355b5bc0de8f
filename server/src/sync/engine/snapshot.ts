// Owns what the engine reads from PostgreSQL outside replication: a table's columns and primary
// key (for electric-schema and row keys), and a shape's snapshot with the transaction snapshot
// that marks its visibility boundary. Snapshot transactions are opened by the caller's runner
// (engine/scope.ts): the tenant gate's runs them as the runtime role, so RLS binds them too.
import type { Database } from '../../db/database.ts';
import { boundedQuery } from '../../db/overload.ts';
import { quoteIdent } from '../../db/quote-ident.ts';
import type { ShapeDefinition, SubsetDefinition } from '../upstream.ts';
import type { ColumnInfo, TableInfo } from './log-types.ts';
import type { EngineScope } from './scope.ts';
import { snapshotMessageSql } from './shape-messages.ts';

const SNAPSHOT_SETTINGS = `SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL IntervalStyle = 'postgres'`;

/** `"schema"."table"` of a shape, for SQL text. */
export const tableSql = (def: Pick<ShapeDefinition, 'schema' | 'table'>) =>
  `${quoteIdent(def.schema ?? 'public')}.${quoteIdent(def.table)}`;

export async function loadTableInfo(db: Database, table: string, schema = 'public'): Promise<TableInfo> {
  const { rows } = await boundedQuery<{
    name: string;
    type: string;
    not_null: boolean;
    dims: number;
    pk_index: number | null;
  }>(
    db.appPool,
    `SELECT a.attname AS name, t.typname AS type, a.attnotnull AS not_null, a.attndims AS dims,
            array_position(i.indkey::int2[], a.attnum) AS pk_index
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = $2
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
       JOIN pg_type t ON t.oid = a.atttypid
       LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
      WHERE c.relname = $1 AND c.relkind = 'r'
      ORDER BY a.attnum`,
    [table, schema],
  );
  if (rows.length === 0) throw new Error(`unknown table ${table}`);
  const columns = new Map<string, ColumnInfo>();
  const primaryKey: Array<[number, string]> = [];
  for (const row of rows) {
    const array = row.type.startsWith('_');
    const info: ColumnInfo = {
      type: array ? row.type.slice(1) : row.type,
    };
    if (row.not_null) info.not_null = true;
    if (row.pk_index !== null) {
      info.pk_index = row.pk_index;
      primaryKey.push([row.pk_index, row.name]);
    }
    if (array) info.dims = Math.max(1, row.dims);
    columns.set(row.name, info);
  }
  primaryKey.sort((a, b) => a[0] - b[0]);
  return { columns, primaryKey: primaryKey.map(([, name]) => name) };
}

/** Where a snapshot's rows go as they are read (a shape log). */
export type SnapshotSink = {
  /** pg_current_snapshot() of the read, given before any row. */
  begin(snapshot: string): void;
  /** The next rows, in order; false stops the read (nobody wants the rest). */
  rows(batch: string[]): boolean;
};

/** Rows per FETCH: a few hundred KiB of JSON, so the first chunk is served early. */
const SNAPSHOT_BATCH_ROWS = 2_000;

/** The same error (and code) as a statement past its statement_timeout. */
function snapshotTimedOut(): Error {
  return Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' });
}

/**
 * Streams the shape's rows as ready insert messages into `sink`, after pg_current_snapshot() of
 * the same repeatable-read transaction: a replicated transaction is applied to the log only if it
 * is not visible in it. The rows come through a cursor, a batch at a time, the next FETCH already
 * asked while a batch is handed over, so the first chunk is served while PostgreSQL still reads.
 * `timeoutMs` bounds the whole read (each FETCH gets what is left of it as its statement_timeout).
 * Text output settings match the replication connection's, so both give the same values.
 * Resolves false when the sink stopped the read.
 */
export async function readSnapshot(
  run: EngineScope['runSnapshot'],
  def: ShapeDefinition,
  primaryKey: string[],
  timeoutMs: number,
  sink: SnapshotSink,
): Promise<boolean> {
  const message = snapshotMessageSql(def.table, def.columns, primaryKey, undefined, def.schema);
  const where = def.filter.sql.trim() === '' ? '' : ` WHERE (${def.filter.sql})`;
  const deadline = performance.now() + timeoutMs;
  return run(
    def,
    async (tx) => {
      // The planner plans the cursor for all its rows, as for the plain query it replaces.
      const settings = tx.query(
        `SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL IntervalStyle = 'postgres'; SET LOCAL cursor_tuple_fraction = 1`,
      );
      const snap = tx.query<{ snapshot: string }>('SELECT pg_current_snapshot()::text AS snapshot');
      // changes_only: the log starts at this snapshot with no rows (clients ask subsets instead).
      const declared = def.changesOnly
        ? undefined
        : tx.query({
            text: `DECLARE shape_snapshot NO SCROLL CURSOR FOR SELECT ${message} FROM ${tableSql(def)}${where}`,
            values: def.filter.params,
          });
      const fetch = () => {
        const left = Math.floor(deadline - performance.now());
        if (left <= 0) return Promise.reject(snapshotTimedOut());
        const limit = tx.query("SELECT set_config('statement_timeout', $1, true)", [String(left)]);
        const rows = tx.query<[string]>({
          text: `FETCH FORWARD ${SNAPSHOT_BATCH_ROWS} FROM shape_snapshot`,
          rowMode: 'array',
        });
        return Promise.all([limit, rows]).then(([, result]) => result.rows);
      };
      // Issued together: with the app pool's pipelining, one round trip to the first rows.
      let next = declared ? fetch() : undefined;
      // All awaited below, in order (the first failure is the one reported); meanwhile a later one
      // failing too (an aborted transaction fails every statement after) is not left unhandled.
      for (const pending of [settings, snap, declared, next]) pending?.catch(() => {});
      await settings;
      sink.begin((await snap).rows[0]?.snapshot ?? '0:0:');
      await declared;
      while (next) {
        const rows = await next;
        next = rows.length === SNAPSHOT_BATCH_ROWS ? fetch() : undefined;
        next?.catch(() => {});
        const batch = new Array<string>(rows.length);
        for (let i = 0; i < rows.length; i++) batch[i] = (rows[i] as [string])[0];
        if (!sink.rows(batch)) {
          await next?.catch(() => {}); // the connection answers it before COMMIT
          return false;
        }
      }
      return true;
    },
    // A snapshot past its timeout is canceled and its connection freed; the client gets 503.
    { isolation: 'repeatable read', readOnly: true, statementTimeoutMs: timeoutMs },
  );
}

export type SubsetSnapshot = {
  metadata: { xmin: string; xmax: string; xip_list: string[]; database_lsn: string; snapshot_mark: number };
  rows: string[];
};

/**
 * A subset snapshot: the shape's rows that also match the subset, ordered and paged, as insert
 * messages marked with `snapshotMark`, with the transaction snapshot and WAL position they were
 * read at (the client drops later changes already contained in them). Same runner and settings
 * as a shape snapshot (the tenant gate's: RLS binds it, the shape filter forces the organisation).
 */
export async function readSubset(
  run: EngineScope['runSnapshot'],
  def: ShapeDefinition,
  primaryKey: string[],
  subset: SubsetDefinition,
  snapshotMark: number,
  timeoutMs: number,
): Promise<SubsetSnapshot> {
  const message = snapshotMessageSql(def.table, def.columns, primaryKey, snapshotMark, def.schema);
  const conditions = [def.filter.sql, subset.sql].filter((sql) => sql !== undefined && sql.trim() !== '');
  const where = conditions.length === 0 ? '' : ` WHERE ${conditions.map((sql) => `(${sql})`).join(' AND ')}`;
  const order = subset.orderBy ? ` ORDER BY ${subset.orderBy}` : '';
  const limit = subset.limit === undefined ? '' : ` LIMIT ${Math.trunc(subset.limit)}`;
  const offset = subset.offset === undefined ? '' : ` OFFSET ${Math.trunc(subset.offset)}`;
  return run(
    def,
    async (tx) => {
      await tx.query(SNAPSHOT_SETTINGS);
      const snap = await tx.query<{ snapshot: string; lsn: string }>(
        `SELECT pg_current_snapshot()::text AS snapshot, (pg_current_wal_lsn() - '0/0'::pg_lsn)::text AS lsn`,
      );
      const result = await tx.query<[string]>({
        text: `SELECT ${message} FROM ${tableSql(def)}${where}${order}${limit}${offset}`,
        values: [...def.filter.params, ...subset.params],
        rowMode: 'array',
      });
      const [xmin = '0', xmax = '0', xip = ''] = (snap.rows[0]?.snapshot ?? '0:0:').split(':');
      return {
        metadata: {
          xmin,
          xmax,
          xip_list: xip === '' ? [] : xip.split(','),
          database_lsn: snap.rows[0]?.lsn ?? '0',
          snapshot_mark: snapshotMark,
        },
        rows: result.rows.map((row) => row[0]),
      };
    },
    { isolation: 'repeatable read', readOnly: true, statementTimeoutMs: timeoutMs },
  );
}
