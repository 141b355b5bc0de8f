// Owns the client `where` of a shape: parsed with PostgreSQL's own parser (libpg-query, WASM),
// checked against a small grammar over allow-listed columns, type-checked against each
// column's PostgreSQL type, and turned into a tiny AST. Nothing the client wrote is ever put
// into SQL: renderSql() re-renders the AST with quoted identifiers and every value as a bind
// parameter with an explicit cast. evaluate() gives the same answer as PostgreSQL would for
// the rendered SQL, on rows of PostgreSQL text-format values (the sync engine routes
// replicated changes with it), including SQL's three-valued logic with NULL.
//
// Accepted: comparisons (= <> != < <= > >=), AND / OR / NOT, [NOT] IN (constants, $n),
// IS [NOT] NULL, [NOT] LIKE / ILIKE, bare boolean columns, constants, $n parameters, and casts
// of a constant or parameter to the compared column's own scalar type. Everything else
// (sub-queries, function calls, casts of columns or to other types, qualified or system
// columns, comments, `;`, BETWEEN, COLLATE, operators other than the above) is a WhereError.
//
// Text comparisons, LIKE and ILIKE are rendered with COLLATE "C" so that PostgreSQL compares
// by code point and folds only ASCII letters in ILIKE, whatever the database's locale is —
// the only semantics evaluate() can reproduce exactly.
//
// This module is the entry point (parse, then render or evaluate); the steps live beside it:
// check.ts (grammar and types), values.ts (canonical values), render.ts, evaluate.ts.
import { loadModule, parseSync, scanSync } from 'libpg-query';
import { defaultWhereLimits, type WhereLimits } from '../../sync-settings.ts';
import { type ColumnTypes, type Row, WhereError } from './ast.ts';
import { Checker, type PgNode } from './check.ts';
import { evaluate } from './evaluate.ts';
import { checkParamsSize, checkWhereCost } from './limits.ts';
import { render } from './render.ts';

export const MAX_WHERE_LENGTH = 4096;

let loaded: Promise<void> | undefined;

/** Loads the WASM parser once; parseWhere() needs it done. */
export function loadWhereParser(): Promise<void> {
  loaded ??= loadModule();
  return loaded;
}

export type RenderOptions = {
  /** Add COLLATE "C" to text ordering and LIKE (default true; exact PostgreSQL = evaluate()). */
  collate?: boolean;
};

export type RenderedSql = { sql: string; values: string[] };

export type WhereClause = {
  /** SQL with placeholders numbered from paramOffset + 1, and their values. */
  renderSql(paramOffset?: number, options?: RenderOptions): RenderedSql;
  /** PostgreSQL's answer for the rendered SQL on this row: true only when it is TRUE. */
  evaluate(row: Row): boolean;
  /** The columns the clause reads. */
  columns: string[];
};

/**
 * Parses and checks a client where over `columns`, with `params` the values of $1, $2, …
 * (as the protocol's params[n]). Throws WhereError for anything outside the accepted subset
 * or over one of `limits` (then with its `limit` set).
 */
export function parseWhere(
  where: string,
  columns: ColumnTypes,
  params: Record<string, string> = {},
  limits: WhereLimits = defaultWhereLimits,
): WhereClause {
  if (loaded === undefined) throw new Error('call loadWhereParser() before parseWhere()');
  if (where.length > MAX_WHERE_LENGTH)
    throw new WhereError(`where is longer than ${MAX_WHERE_LENGTH} characters`);
  if (where.includes('\u0000')) throw new WhereError('where contains a NUL character');
  checkParamsSize(params, limits);

  let tokens: { tokenName: string; text: string }[];
  try {
    tokens = scanSync(where).tokens;
  } catch (error) {
    throw new WhereError(`where is not valid SQL: ${(error as Error).message}`);
  }
  for (const token of tokens) {
    if (token.tokenName === 'SQL_COMMENT' || token.tokenName === 'C_COMMENT') {
      throw new WhereError('comments are not allowed in where');
    }
    if (token.text === ';') throw new WhereError('`;` is not allowed in where');
  }

  let parsed: PgNode;
  try {
    parsed = parseSync(`SELECT 1 FROM t WHERE ${where}`) as PgNode;
  } catch (error) {
    throw new WhereError(`where is not valid SQL: ${(error as Error).message}`);
  }
  const stmts = parsed.stmts as PgNode[] | undefined;
  const select = stmts?.length === 1 ? stmts[0]?.stmt?.SelectStmt : undefined;
  if (!select || select.whereClause === undefined) throw new WhereError('where must be a single condition');
  const { whereClause, ...rest } = select;
  if (JSON.stringify(rest) !== SKELETON) {
    throw new WhereError('where must be a single condition (no ORDER BY, LIMIT, UNION, …)');
  }

  const checker = new Checker(columns, params, limits);
  const root = checker.predicate(whereClause, 0);
  checkWhereCost(root, limits);
  const used = [...checker.usedColumns];
  return {
    columns: used,
    renderSql: (paramOffset = 0, options = {}) => {
      const values: string[] = [];
      const sql = render(root, { values, offset: paramOffset, collate: options.collate ?? true });
      return { sql, values };
    },
    evaluate: (row) => evaluate(root, row) === true,
  };
}

const SKELETON = JSON.stringify({
  targetList: [{ ResTarget: { val: { A_Const: { ival: { ival: 1 }, location: 7 } }, location: 7 } }],
  fromClause: [{ RangeVar: { relname: 't', inh: true, relpersistence: 'p', location: 14 } }],
  limitOption: 'LIMIT_OPTION_DEFAULT',
  op: 'SETOP_NONE',
});
