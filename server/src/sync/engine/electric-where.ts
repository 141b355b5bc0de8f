// Compiles the `where` a caller of the internal protocol route sends — the shape endpoint's proxy
// sends `"<org column>" = $1::uuid [AND <client where>]` with params[1] the organisation — into
// the engine's filter: the organisation predicate is required first, and the rest is parsed and
// checked by the endpoint's own where parser (libpg-query) over the table's allow-listed columns.
import { quoteIdent } from '../../db/quote-ident.ts';
import { tableSpec } from '../shapes.ts';
import type { ShapeDefinition } from '../upstream.ts';
import { type ColumnTypes, loadWhereParser, parseWhere } from '../where/index.ts';

/** The engine's filter a compiled `where` becomes. */
export type CompiledWhere = ShapeDefinition['filter'];

export const whereParserReady = () => loadWhereParser();

export function compileElectricWhere(table: string, where: string, params: string[]): CompiledWhere {
  const spec = tableSpec(table);
  const org = (params[0] ?? '').toLowerCase();
  const column = spec.orgColumn;
  const prefix = new RegExp(
    `^\\s*\\(?\\s*"?${column}"?\\s*=\\s*\\$1(?:::uuid)?\\s*\\)?\\s*(?:AND\\s+([\\s\\S]+))?$`,
    'i',
  );
  const match = prefix.exec(where);
  if (!match) throw new Error(`where must start with the organisation predicate ${column} = $1`);
  const orgFilter = `${quoteIdent(column)} = $1::uuid`;
  const rest = match[1];
  if (!rest) return { sql: orgFilter, params: [org], matches: (row) => row[column] === org };
  const types: Record<string, string> = {};
  for (const [name, info] of Object.entries(spec.columns)) types[name] = info.type;
  const byNumber: Record<string, string> = {};
  params.forEach((value, index) => {
    if (index > 0) byNumber[String(index + 1)] = value;
  });
  const clause = parseWhere(rest, types as unknown as ColumnTypes, byNumber);
  const rendered = clause.renderSql(1);
  return {
    sql: `${orgFilter} AND ${rendered.sql}`,
    params: [org, ...rendered.values],
    matches: (row) => row[column] === org && clause.evaluate(row),
  };
}
