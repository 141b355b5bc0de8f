// Owns the plain controls list (GET /api/controls without `attention`) answered as JSON text
// that PostgreSQL writes: each row's fields as row_to_json text, so the server neither turns
// ~1,000 column values of a page into objects nor serialises them again (about a quarter of the
// list's CPU, docs/architecture.md). Only the attention reasons, computed in JS from their inputs
// as before (strategies/attention.ts), and the envelope are written here, around that text.
// The text is byte for byte what the response schema's serializer writes for the same rows
// (test/controls/list-json.test.ts): row_to_json escapes text as JSON.stringify does, timestamps
// are written as Date#toISOString writes them, numerics as the shortest text of their double
// (float8out, as JS writes a number). A row with a value whose JS text PostgreSQL would not write
// the same way (a year before 1000 or after 9999, ±infinity, a numeric outside [1e-4, 1e15),
// NaN) is flagged not exact, and the page is then read and serialised the usual way.
import type pg from 'pg';
import type { TenantContext } from '../db/tenant.ts';
import { tenantRead } from '../db/tenant.ts';
import { attentionOfRows } from '../strategies/attention.ts';
import { SYNCABLE_TABLES } from '../sync/shapes.ts';
import { type ControlListPage, controlPageStatement, encodeCursor, readControlList } from './list.ts';
import type { ListControlsQuery } from './schema.ts';

const COLUMNS = Object.entries(SYNCABLE_TABLES.controls!.columns).map(([name, column]) => ({
  name,
  type: column.type as string,
}));

/** A timestamptz as toISOString writes it (milliseconds, microseconds cut, as pg's parser does). */
const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
/** True when iso(column) is toISOString's text: a year JS writes with four digits and no sign. */
const isoExact = (column: string) =>
  `(${column} IS NULL OR date_part('year', ${column} AT TIME ZONE 'UTC') BETWEEN 1000 AND 9999)`;
/**
 * A numeric in the range where float8out (shortest round-trip digits, no exponent) writes what JS
 * writes for the same double (its exponent form starts below 1e-6 and at 1e21); the cast is
 * guarded, since a numeric beyond float8's range is an error, not a value.
 */
const inFloatRange = (column: string) =>
  `(${column} = 0 OR abs(${column}) BETWEEN 0.0001 AND 999999999999999)`;

function jsonColumn({ name, type }: { name: string; type: string }): string {
  const column = `c.${name}`;
  if (type === 'timestamptz') return `${iso(column)} AS ${name}`;
  if (type === 'numeric') return `CASE WHEN ${inFloatRange(column)} THEN ${column}::float8 END AS ${name}`;
  if (type === 'uuid' || type === 'text' || type === 'bool') return column;
  throw new Error(`controls.${name}: no JSON text form for ${type}`);
}

function exactColumn({ name, type }: { name: string; type: string }): string | undefined {
  const column = `c.${name}`;
  if (type === 'timestamptz') return isoExact(column);
  if (type === 'numeric') return `(${column} IS NULL OR ${inFloatRange(column)})`;
  return undefined;
}

/**
 * The select list: what attentionOfRows reads (id, quadrant, last touch), the row's answer as
 * JSON text, and whether that text is exact.
 */
const JSON_SELECT = `c.id, c.current_quadrant, c.last_touched_at,
  (SELECT row_to_json(r)::text FROM (SELECT ${COLUMNS.map(jsonColumn).join(', ')}) r) AS _json,
  (${COLUMNS.map(exactColumn)
    .filter((check) => check !== undefined)
    .join(' AND ')}) AS _exact`;

/** The list's answer: its JSON text, or the page for the route's serializer when a row is not exact. */
export type ControlListAnswer = { text: string } | { page: ControlListPage };

type JsonRow = Record<string, unknown> & { id: string; _json: string; _exact: boolean; _sort_key: string };

/** One page of the plain list (no `attention` filter) as the answer's JSON text. */
export async function readControlListJson(
  pool: pg.Pool,
  context: TenantContext,
  query: ListControlsQuery,
  now: Date,
): Promise<ControlListAnswer> {
  if (query.attention !== undefined) return { page: await readControlList(pool, context, query, now) };
  const { sql, params } = controlPageStatement(query, now, { attention: true, select: JSON_SELECT });
  const rows = (await tenantRead(pool, context, sql, params)) as JsonRow[];
  if (!rows.every((row) => row._exact)) return { page: await readControlList(pool, context, query, now) };
  const reasons = attentionOfRows(rows, now);
  const data = rows.map((row) => {
    const attention = (reasons.get(row.id) ?? []).map(({ code, message }) => ({ code, message }));
    return `${row._json.slice(0, -1)},"attention":${JSON.stringify(attention)}}`;
  });
  const last = rows[rows.length - 1];
  const nextCursor =
    rows.length === query.limit && last
      ? encodeCursor({ s: query.sort, k: last._sort_key, i: last.id })
      : null;
  return { text: `{"data":[${data.join(',')}],"next_cursor":${JSON.stringify(nextCursor)}}` };
}
