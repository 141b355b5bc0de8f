// Owns reading a conformance-mode shape request as Electric reads it, with no allow-list: the
// `table` (`name`, `schema.name`, either part double-quoted), the `columns` (all by default, the
// primary key required), and the `where` compiled by the accepted grammar (sync/where/) over the
// table's columns of the types it knows, with Electric's `params[n]`.
import { quoteIdent } from '../../db/quote-ident.ts';
import type { TableInfo } from '../engine/log-types.ts';
import { parseWhereParams } from '../engine/protocol.ts';
import { parseColumnList, type TableSpec } from '../shapes.ts';
import type { ShapeDefinition } from '../upstream.ts';
import { type ColumnType, type ColumnTypes, parseWhere } from '../where/index.ts';

export class BadShapeRequest extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** One identifier: `"quoted ""name"""` or a bare name (folded to lower case, as PostgreSQL does). */
function readIdentifier(text: string, at: number): { name: string; end: number } | undefined {
  if (text[at] === '"') {
    let name = '';
    let i = at + 1;
    while (i < text.length) {
      if (text[i] === '"') {
        if (text[i + 1] === '"') {
          name += '"';
          i += 2;
          continue;
        }
        return name === '' ? undefined : { name, end: i + 1 };
      }
      name += text[i];
      i++;
    }
    return undefined;
  }
  const match = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(text.slice(at));
  return match ? { name: match[0].toLowerCase(), end: at + match[0].length } : undefined;
}

/** Electric's `table` parameter as schema and name (schema public when not given). */
export function parseTableName(text: string): { schema: string; table: string } {
  const first = readIdentifier(text, 0);
  if (!first) throw new BadShapeRequest('table', 'Invalid table name');
  if (first.end === text.length) return { schema: 'public', table: first.name };
  if (text[first.end] !== '.') throw new BadShapeRequest('table', 'Invalid table name');
  const second = readIdentifier(text, first.end + 1);
  if (!second || second.end !== text.length) throw new BadShapeRequest('table', 'Invalid table name');
  return { schema: first.name, table: second.name };
}

/** PostgreSQL types the where grammar knows, by pg_type name. */
const GRAMMAR_TYPES: Record<string, ColumnType> = {
  uuid: 'uuid',
  text: 'text',
  varchar: 'text',
  int2: 'int2',
  int4: 'int4',
  int8: 'int8',
  numeric: 'numeric',
  bool: 'bool',
  timestamptz: 'timestamptz',
  date: 'date',
  jsonb: 'jsonb',
};

/** The table as a TableSpec (columns of known types only: the others cannot appear in a where). */
export function specOf(name: string, info: TableInfo): TableSpec {
  const columns: TableSpec['columns'] = {};
  for (const [column, c] of info.columns) {
    const type = c.dims === undefined ? GRAMMAR_TYPES[c.type] : undefined;
    if (type) Object.assign(columns, { [column]: { type, notNull: c.not_null === true } });
  }
  return { name, orgColumn: '', primaryKey: info.primaryKey, columns };
}

/** The shape a request asks for, with the count of its filter's parameters. */
export function readShape(
  query: URLSearchParams,
  where: { schema: string; table: string },
  info: TableInfo,
): ShapeDefinition {
  if (info.primaryKey.length === 0) throw new BadShapeRequest('table', 'the table has no primary key');
  let columns = [...info.columns.keys()];
  const rawColumns = query.get('columns');
  if (rawColumns !== null) {
    try {
      columns = [...new Set(parseColumnList(rawColumns))];
    } catch (error) {
      throw new BadShapeRequest('columns', (error as Error).message);
    }
    const unknown = columns.filter((column) => !info.columns.has(column));
    if (unknown.length > 0) throw new BadShapeRequest('columns', `unknown columns: ${unknown.join(', ')}`);
    const missing = info.primaryKey.filter((key) => !columns.includes(key));
    if (missing.length > 0) throw new BadShapeRequest('columns', 'columns must include the primary key');
  }
  const read = parseWhereParams(query);
  if ('error' in read) throw new BadShapeRequest('params', read.error);
  const text = query.get('where') ?? '';
  let filter: ShapeDefinition['filter'] = { sql: '', params: [], matches: () => true };
  if (text.trim() !== '') {
    const spec = specOf(where.table, info);
    const types: Record<string, ColumnType> = {};
    for (const [name, c] of Object.entries(spec.columns)) types[name] = c.type;
    let clause: ReturnType<typeof parseWhere>;
    try {
      clause = parseWhere(text, types as ColumnTypes, read.params);
    } catch (error) {
      throw new BadShapeRequest('where', (error as Error).message);
    }
    const rendered = clause.renderSql(0);
    filter = { sql: rendered.sql, params: rendered.values, matches: (row) => clause.evaluate(row) };
  }
  const params = Object.entries(read.params).sort(([a], [b]) => Number(a) - Number(b));
  return {
    table: where.table,
    schema: where.schema,
    columns,
    orgId: 'conformance',
    filter,
    key: JSON.stringify([where.schema, where.table, text, params, columns]),
  };
}

export const qualified = (where: { schema: string; table: string }) =>
  `${quoteIdent(where.schema)}.${quoteIdent(where.table)}`;
