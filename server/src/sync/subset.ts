// Owns subset snapshots at the edge (Electric's `subset__*` GET parameters, or the JSON body of
// a POST): reading them, and checking them like a shape's where — the subset where goes through
// the same parser, allow-list and limits (where/), `order_by` is a list of allow-listed columns
// with a direction — before anything reaches SQL. The organisation is never the subset's
// business: it is already in the shape's filter ($1), which the engine ANDs in front.
import { quoteIdent } from '../db/quote-ident.ts';
import type { TableSpec } from './shapes.ts';
import type { SubsetDefinition } from './upstream.ts';
import {
  type ColumnType,
  type ColumnTypes,
  parseWhere,
  WhereError,
  type WhereLimits,
} from './where/index.ts';

export type SubsetRequest = {
  where: string | undefined;
  params: Record<string, string>;
  limit: string | undefined;
  offset: string | undefined;
  orderBy: string | undefined;
};

/** A subset the client can fix: 400 naming the subset field at fault. */
export class SubsetError extends Error {
  constructor(
    readonly field: string,
    message: string,
    readonly limit?: WhereError['limit'],
  ) {
    super(message);
    this.name = 'SubsetError';
  }
}

const MAX_ORDER_BY_LENGTH = 1024;
const MAX_ORDER_BY_COLUMNS = 16;
const MAX_INT = 2 ** 31 - 1;
/** TanStack DB asks `true = true` for "no condition" (a workaround of its own): the same as none. */
const NO_CONDITION = /^\s*true\s*=\s*true\s*$/i;

/** `{"1": "a"}` or `["a"]` → `{1: "a"}`; strings, numbers and booleans as their text. */
function readParams(raw: unknown, field: string): Record<string, string> {
  if (raw === undefined || raw === null) return {};
  const entries = Array.isArray(raw)
    ? raw.map((value, index) => [String(index + 1), value] as const)
    : typeof raw === 'object'
      ? Object.entries(raw as Record<string, unknown>)
      : undefined;
  if (!entries) throw new SubsetError(field, `${field} must be a JSON object {"1": "…"} or array`);
  const params: Record<string, string> = {};
  for (const [key, value] of entries) {
    if (!/^[1-9]\d{0,3}$/.test(key)) throw new SubsetError(field, `${field} keys must be 1, 2, …`);
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new SubsetError(field, `${field} values must be strings`);
    }
    params[key] = String(value);
  }
  return params;
}

function readText(raw: unknown, field: string): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === 'number' && field !== 'subset__where' && field !== 'subset__order_by')
    return String(raw);
  if (typeof raw !== 'string') throw new SubsetError(field, `${field} must be a string`);
  return raw;
}

/** The subset of a GET (its `subset__*` parameters), or undefined when it asks for none. */
export function readSubsetQuery(search: URLSearchParams): SubsetRequest | undefined {
  const names = ['where', 'params', 'limit', 'offset', 'order_by'];
  if (!names.some((name) => search.has(`subset__${name}`))) return undefined;
  for (const name of names) {
    if (search.getAll(`subset__${name}`).length > 1) {
      throw new SubsetError(`subset__${name}`, `subset__${name} is given more than once`);
    }
  }
  const rawParams = search.get('subset__params');
  let params: unknown;
  if (rawParams !== null) {
    try {
      params = JSON.parse(rawParams);
    } catch {
      throw new SubsetError('subset__params', 'subset__params must be JSON');
    }
  }
  return {
    where: search.get('subset__where') ?? undefined,
    params: readParams(params, 'subset__params'),
    limit: search.get('subset__limit') ?? undefined,
    offset: search.get('subset__offset') ?? undefined,
    orderBy: search.get('subset__order_by') ?? undefined,
  };
}

/** The subset of a POST body `{where, params, limit, offset, order_by}` (`*_expr` ignored). */
export function readSubsetBody(body: unknown): SubsetRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new SubsetError(
      'subset',
      'the body must be a JSON object {where, params, limit, offset, order_by}',
    );
  }
  const b = body as Record<string, unknown>;
  return {
    where: readText(b.where, 'subset__where'),
    params: readParams(b.params, 'subset__params'),
    limit: readText(b.limit, 'subset__limit'),
    offset: readText(b.offset, 'subset__offset'),
    orderBy: readText(b.order_by, 'subset__order_by'),
  };
}

function readInt(raw: string | undefined, field: string, min: number): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d{1,10}$/.test(raw.trim()) || Number(raw) < min || Number(raw) > MAX_INT) {
    throw new SubsetError(field, `${field} must be a whole number from ${min} to ${MAX_INT}`);
  }
  return Number(raw);
}

type OrderItem = { column: string; desc: boolean; nulls: 'FIRST' | 'LAST' | undefined };

/** `"name" DESC NULLS LAST, created_at` → items; only allow-listed, orderable columns. */
export function parseOrderBy(text: string, types: Readonly<Record<string, ColumnType>>): OrderItem[] {
  const field = 'subset__order_by';
  if (text.length > MAX_ORDER_BY_LENGTH) {
    throw new SubsetError(field, `${field} is longer than ${MAX_ORDER_BY_LENGTH} characters`);
  }
  const item =
    /\s*(?:"((?:[^"]|"")+)"|([A-Za-z_][A-Za-z0-9_]*))(?:\s+(ASC|DESC))?(?:\s+NULLS\s+(FIRST|LAST))?\s*(,|$)/iy;
  const items: OrderItem[] = [];
  item.lastIndex = 0;
  for (;;) {
    const match = item.exec(text);
    if (!match) {
      throw new SubsetError(
        field,
        `${field} must be a list of columns, each optionally ASC/DESC and NULLS FIRST/LAST`,
      );
    }
    const column =
      match[1] !== undefined ? match[1].replaceAll('""', '"') : (match[2] as string).toLowerCase();
    const type = Object.hasOwn(types, column) ? types[column] : undefined;
    if (type === undefined) throw new SubsetError(field, `cannot order by ${JSON.stringify(column)}`);
    if (type === 'jsonb') throw new SubsetError(field, `cannot order by the jsonb column ${column}`);
    items.push({
      column,
      desc: match[3]?.toUpperCase() === 'DESC',
      nulls: match[4]?.toUpperCase() as OrderItem['nulls'],
    });
    if (items.length > MAX_ORDER_BY_COLUMNS) throw new SubsetError(field, `${field} names too many columns`);
    if (match[5] !== ',') break;
  }
  return items;
}

function renderOrderBy(items: OrderItem[], types: Readonly<Record<string, ColumnType>>, collate: boolean) {
  return items
    .map(({ column, desc, nulls }) => {
      // Text in code-point order, as the where's comparisons (docs/sync.md, Semantics).
      const c = collate && types[column] === 'text' ? ' COLLATE "C"' : '';
      return `${quoteIdent(column)}${c} ${desc ? 'DESC' : 'ASC'}${nulls ? ` NULLS ${nulls}` : ''}`;
    })
    .join(', ');
}

/**
 * Checks a subset against the table's allow-list with the shape's where limits. Its where is
 * rendered with placeholders after the shape's `shapeParamCount` own parameters (the engine
 * runs `(<shape filter>) AND <subset where>`); `electric` is the same subset in Electric's own
 * parameters (placeholders from $1), for proxy mode.
 */
export function buildSubset(
  spec: TableSpec,
  request: SubsetRequest,
  shapeParamCount: number,
  limits?: WhereLimits,
): SubsetDefinition {
  const types: Record<string, ColumnType> = {};
  for (const [name, info] of Object.entries(spec.columns)) types[name] = info.type;
  const text = request.where !== undefined && !NO_CONDITION.test(request.where) ? request.where.trim() : '';
  let where: ReturnType<typeof parseWhere> | undefined;
  try {
    where = text === '' ? undefined : parseWhere(text, types as ColumnTypes, request.params, limits);
  } catch (error) {
    if (!(error instanceof WhereError)) throw error;
    throw new SubsetError(`subset__${error.field}`, error.message, error.limit);
  }
  const limit = readInt(request.limit, 'subset__limit', 1);
  const offset = readInt(request.offset, 'subset__offset', 0);
  const items = request.orderBy?.trim() ? parseOrderBy(request.orderBy, types) : undefined;
  if ((limit !== undefined || offset !== undefined) && !items) {
    throw new SubsetError(
      'subset__order_by',
      'subset__order_by is required with subset__limit or subset__offset',
    );
  }
  // The primary key last makes pages stable (rows with equal sort values keep their order).
  const ordered = items && [
    ...items,
    ...spec.primaryKey
      .filter((key) => !items.some((i) => i.column === key))
      .map((column) => ({ column, desc: false, nulls: undefined })),
  ];
  const pg = where?.renderSql(shapeParamCount);
  const electric = where?.renderSql(0, { collate: false });
  return {
    sql: pg?.sql,
    params: pg?.values ?? [],
    orderBy: ordered && renderOrderBy(ordered, types, true),
    limit,
    offset,
    electric: {
      where: electric?.sql,
      params: Object.fromEntries((electric?.values ?? []).map((value, i) => [String(i + 1), value])),
      orderBy: items && renderOrderBy(items, types, false),
      limit,
      offset,
    },
  };
}
