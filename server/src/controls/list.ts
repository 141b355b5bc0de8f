// Owns the controls list query: filters, sorting and keyset pagination (an opaque cursor that
// carries the last row's sort key and id), or offset pagination. Every value is a parameter;
// only the fixed sort expressions below enter the SQL text.
import type pg from 'pg';
import { type TenantContext, type Tx, tenantRead, tenantTransaction } from '../db/tenant.ts';
import { validationError } from '../http/errors.ts';
import { attentionForIds, attentionInputs, attentionOfRows } from '../strategies/attention.ts';
import { CONTROL_COLUMNS } from './columns.ts';
import type { ControlSort, ListControlsQuery } from './schema.ts';

type SortSpec = { expr: string; type: 'text' | 'timestamptz' | 'numeric' };

// Nullable columns sort through a non-null stand-in so keyset comparisons stay total.
const SORT_KEYS: Record<string, SortSpec> = {
  name: { expr: 'lower(name)', type: 'text' },
  created_at: { expr: 'created_at', type: 'timestamptz' },
  updated_at: { expr: 'updated_at', type: 'timestamptz' },
  last_touched_at: { expr: `COALESCE(last_touched_at, '-infinity'::timestamptz)`, type: 'timestamptz' },
  provider_distance: { expr: `COALESCE(provider_distance, 'Infinity'::numeric)`, type: 'numeric' },
};

type Cursor = { s: ControlSort; k: string; i: string };

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(value: string, sort: ControlSort): Cursor {
  try {
    const cursor = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Cursor;
    if (
      cursor.s === sort &&
      typeof cursor.k === 'string' &&
      !cursor.k.includes('\u0000') &&
      typeof cursor.i === 'string' &&
      /^[0-9a-f-]{36}$/i.test(cursor.i)
    ) {
      return cursor;
    }
  } catch {
    // fall through to the 400 below
  }
  throw validationError('The cursor is not valid for this list; start again without it.', {
    field: 'cursor',
  });
}

export type ControlListPage = { rows: Record<string, unknown>[]; nextCursor: string | null };
export type Statement = { sql: string; params: unknown[] };

/**
 * One page of the list, each row with its attention reasons (strategies/attention.ts), read in
 * one statement; in one round trip with its transaction (tenantRead) unless the page is filtered
 * by attention, whose ids need a statement of their own first.
 */
export async function readControlList(
  pool: pg.Pool,
  context: TenantContext,
  query: ListControlsQuery,
  now: Date,
): Promise<ControlListPage> {
  if (query.attention !== undefined) {
    return tenantTransaction(pool, context, (tx) => listControls(tx, query, now), { readOnly: true });
  }
  const { sql, params } = controlPageStatement(query, now, { attention: true });
  return pageOf(await tenantRead(pool, context, sql, params), query, now, true);
}

/** The same page inside the caller's transaction. */
export async function listControls(tx: Tx, query: ListControlsQuery, now: Date): Promise<ControlListPage> {
  const attentionIds = query.attention !== undefined ? await controlIdsNeedingAttention(tx, now) : undefined;
  const { sql, params } = controlPageStatement(query, now, { attention: true, attentionIds });
  return pageOf((await tx.query(sql, params)).rows, query, now, true);
}

/** The page's rows alone, without attention (the bench's baseline for what attention adds). */
export async function listControlPage(tx: Tx, query: ListControlsQuery, now: Date): Promise<ControlListPage> {
  const attentionIds = query.attention !== undefined ? await controlIdsNeedingAttention(tx, now) : undefined;
  const { sql, params } = controlPageStatement(query, now, { attention: false, attentionIds });
  return pageOf((await tx.query(sql, params)).rows, query, now, false);
}

/**
 * The page's statement; with `attention`, each row also carries the attention rules' inputs.
 * `select` replaces the controls' columns (list-json.ts: each row's answer as JSON text).
 */
export function controlPageStatement(
  query: ListControlsQuery,
  now: Date,
  options: { attention: boolean; attentionIds?: string[] | undefined; select?: string },
): Statement {
  if (query.cursor !== undefined && query.offset !== undefined) {
    throw validationError('Use either cursor or offset, not both.', { field: 'cursor' });
  }
  const descending = query.sort.startsWith('-');
  const key = SORT_KEYS[query.sort.replace(/^-/, '')]!;
  const params: unknown[] = [];
  const where: string[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  if (query.quadrant) where.push(`current_quadrant = ${param(query.quadrant)}`);
  if (query.provider_id) where.push(`primary_provider_id = ${param(query.provider_id)}`);
  if (query.control_type) where.push(`control_type = ${param(query.control_type)}`);
  if (query.q) {
    const pattern = `%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    where.push(`name ILIKE ${param(pattern)}`);
  }
  if (options.attentionIds !== undefined) {
    where.push(
      `${query.attention === 'true' ? '' : 'NOT '}(id = ANY(${param(options.attentionIds)}::uuid[]))`,
    );
  }
  if (query.cursor) {
    const cursor = decodeCursor(query.cursor, query.sort);
    where.push(
      `(${key.expr}, id) ${descending ? '<' : '>'} (${param(cursor.k)}::${key.type}, ${param(cursor.i)}::uuid)`,
    );
  }
  const direction = descending ? 'DESC' : 'ASC';
  const attention = options.attention ? `, ${attentionInputs(param(now))}` : '';
  const sql = `SELECT ${options.select ?? CONTROL_COLUMNS}, (${key.expr})::text AS "_sort_key"${attention} FROM controls c
    ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY ${key.expr} ${direction}, id ${direction}
    LIMIT ${param(query.limit)} ${query.offset ? `OFFSET ${param(query.offset)}` : ''}`;
  return { sql, params };
}

/** The page from its statement's rows: the next cursor, the attention reasons, no helper columns. */
function pageOf(
  rows: Record<string, unknown>[],
  query: ListControlsQuery,
  now: Date,
  withAttention: boolean,
): ControlListPage {
  const last = rows[rows.length - 1];
  const nextCursor =
    rows.length === query.limit && last
      ? encodeCursor({ s: query.sort, k: last._sort_key as string, i: last.id as string })
      : null;
  const reasons = withAttention ? attentionOfRows(rows, now) : undefined;
  for (const row of rows) {
    delete row._sort_key; // after the attention columns that followed it: the row stays fast (attentionOfRows)
    if (reasons) row.attention = reasons.get(row.id as string) ?? [];
  }
  return { rows, nextCursor };
}

async function controlIdsNeedingAttention(tx: Tx, now: Date): Promise<string[]> {
  const reasons = await attentionForIds(tx, undefined, now);
  return [...reasons].filter(([, list]) => list.length > 0).map(([id]) => id);
}
