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
import { loadModule, parseSync, scanSync } from 'libpg-query';

export type ColumnType =
  | 'uuid'
  | 'text'
  | 'int2'
  | 'int4'
  | 'int8'
  | 'numeric'
  | 'bool'
  | 'timestamptz'
  | 'date'
  | 'jsonb';

/** The columns a where may reference, with their PostgreSQL types. */
export type ColumnTypes = Readonly<Record<string, ColumnType>>;

/** A client `where` that is not accepted; the message is for the person who wrote it. */
export class WhereError extends Error {
  constructor(
    message: string,
    readonly field: 'where' | 'params' = 'where',
  ) {
    super(message);
    this.name = 'WhereError';
  }
}

export const MAX_WHERE_LENGTH = 4096;
const MAX_DEPTH = 32;
const MAX_IN_LIST = 1000;
const MAX_VALUE_LENGTH = 10_000;

let loaded: Promise<void> | undefined;

/** Loads the WASM parser once; parseWhere() needs it done. */
export function loadWhereParser(): Promise<void> {
  loaded ??= loadModule();
  return loaded;
}

type CmpOp = '=' | '<>' | '<' | '<=' | '>' | '>=';

type Operand =
  | { kind: 'column'; name: string; type: ColumnType }
  /** A typed value in canonical PostgreSQL text form (null for NULL). */
  | { kind: 'value'; type: ColumnType; value: string | null };

type Node =
  | { kind: 'and' | 'or'; args: Node[] }
  | { kind: 'not'; arg: Node }
  | { kind: 'cmp'; op: CmpOp; left: Operand; right: Operand; type: ColumnType }
  | { kind: 'in'; negated: boolean; operand: Operand; list: Operand[]; type: ColumnType }
  | { kind: 'isnull'; negated: boolean; operand: Operand }
  | { kind: 'like'; negated: boolean; caseInsensitive: boolean; operand: Operand; pattern: Operand }
  | { kind: 'bool'; operand: Operand };

export type Row = Record<string, string | null>;

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

// biome-ignore lint/suspicious/noExplicitAny: libpg-query's JSON tree is walked dynamically
type PgNode = Record<string, any>;

/**
 * Parses and checks a client where over `columns`, with `params` the values of $1, $2, …
 * (as the protocol's params[n]). Throws WhereError for anything outside the accepted subset.
 */
export function parseWhere(
  where: string,
  columns: ColumnTypes,
  params: Record<string, string> = {},
): WhereClause {
  if (loaded === undefined) throw new Error('call loadWhereParser() before parseWhere()');
  if (where.length > MAX_WHERE_LENGTH)
    throw new WhereError(`where is longer than ${MAX_WHERE_LENGTH} characters`);
  if (where.includes('\u0000')) throw new WhereError('where contains a NUL character');

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

  const checker = new Checker(columns, params);
  const root = checker.predicate(whereClause, 0);
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

const CMP_OPS: Record<string, CmpOp> = {
  '=': '=',
  '<>': '<>',
  '!=': '<>',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
};
const NUMBER_TYPES = new Set<ColumnType>(['int2', 'int4', 'int8', 'numeric']);

/** Type names a constant or parameter may be cast to, by the column type they must match. */
const CAST_TYPES: Record<string, ColumnType[]> = {
  text: ['text'],
  varchar: ['text'],
  uuid: ['uuid'],
  int2: ['int2', 'int4', 'int8', 'numeric'],
  int4: ['int2', 'int4', 'int8', 'numeric'],
  int8: ['int2', 'int4', 'int8', 'numeric'],
  integer: ['int2', 'int4', 'int8', 'numeric'],
  bigint: ['int2', 'int4', 'int8', 'numeric'],
  smallint: ['int2', 'int4', 'int8', 'numeric'],
  numeric: ['int2', 'int4', 'int8', 'numeric'],
  bool: ['bool'],
  boolean: ['bool'],
  timestamptz: ['timestamptz'],
  date: ['date'],
};

function family(type: ColumnType): string {
  return NUMBER_TYPES.has(type) ? 'number' : type;
}

/** A value before it is typed by the column it is compared with. */
type Untyped =
  | { kind: 'int' | 'float' | 'string'; text: string; cast?: string }
  | { kind: 'bool'; value: boolean; cast?: string }
  | { kind: 'null'; cast?: string }
  | { kind: 'param'; n: number; cast?: string };

class Checker {
  readonly usedColumns = new Set<string>();

  constructor(
    private readonly columns: ColumnTypes,
    private readonly params: Record<string, string>,
  ) {}

  predicate(node: PgNode, depth: number): Node {
    if (depth > MAX_DEPTH) throw new WhereError(`where is nested more than ${MAX_DEPTH} levels deep`);
    const [kind, body] = single(node);
    switch (kind) {
      case 'BoolExpr': {
        const args = (body.args as PgNode[]).map((arg) => this.predicate(arg, depth + 1));
        if (body.boolop === 'AND_EXPR') return { kind: 'and', args };
        if (body.boolop === 'OR_EXPR') return { kind: 'or', args };
        if (body.boolop === 'NOT_EXPR' && args.length === 1) return { kind: 'not', arg: args[0]! };
        throw new WhereError('unsupported boolean expression');
      }
      case 'A_Expr':
        return this.expression(body);
      case 'NullTest': {
        const operand = this.column(body.arg, 'IS NULL');
        return { kind: 'isnull', negated: body.nulltesttype === 'IS_NOT_NULL', operand };
      }
      case 'ColumnRef': {
        const operand = this.column(node, 'a condition');
        if (operand.type !== 'bool') {
          throw new WhereError(`column ${operand.name} is not boolean; compare it with a value`);
        }
        return { kind: 'bool', operand };
      }
      case 'A_Const':
      case 'TypeCast':
      case 'ParamRef':
        return { kind: 'bool', operand: this.typed(this.untyped(node), 'bool', 'the condition') };
      default:
        throw refused(kind);
    }
  }

  private expression(body: PgNode): Node {
    const name = operatorName(body.name);
    switch (body.kind) {
      case 'AEXPR_OP': {
        const op = CMP_OPS[name];
        if (!op || !body.lexpr || !body.rexpr)
          throw new WhereError(`operator ${name} is not allowed in where`);
        const left = this.operandOrValue(body.lexpr);
        const right = this.operandOrValue(body.rexpr);
        if (left.kind === 'column' && right.kind === 'column') {
          if (family(left.type) !== family(right.type) || left.type === 'jsonb') {
            throw new WhereError(
              `cannot compare ${left.name} (${left.type}) with ${right.name} (${right.type})`,
            );
          }
          return { kind: 'cmp', op, left, right, type: left.type };
        }
        if (left.kind === 'column' && right.kind !== 'column') {
          this.comparable(left);
          return { kind: 'cmp', op, left, right: this.typed(right, left.type, left.name), type: left.type };
        }
        if (right.kind === 'column' && left.kind !== 'column') {
          this.comparable(right);
          return { kind: 'cmp', op, left: this.typed(left, right.type, right.name), right, type: right.type };
        }
        throw new WhereError('each comparison must involve a column');
      }
      case 'AEXPR_IN': {
        const operand = this.column(body.lexpr, 'IN');
        this.comparable(operand);
        const items = (body.rexpr?.List?.items ?? null) as PgNode[] | null;
        if (!items) throw new WhereError('IN takes a list of values');
        if (items.length > MAX_IN_LIST) throw new WhereError(`IN lists are limited to ${MAX_IN_LIST} values`);
        const list = items.map((item) => this.typed(this.untyped(item), operand.type, operand.name));
        return { kind: 'in', negated: name === '<>', operand, list, type: operand.type };
      }
      case 'AEXPR_LIKE':
      case 'AEXPR_ILIKE': {
        const operand = this.column(body.lexpr, 'LIKE');
        if (operand.type !== 'text')
          throw new WhereError(`LIKE needs a text column; ${operand.name} is ${operand.type}`);
        const pattern = this.typed(this.untyped(body.rexpr), 'text', operand.name);
        if (pattern.kind === 'value' && pattern.value !== null) checkLikePattern(pattern.value);
        return {
          kind: 'like',
          negated: name.startsWith('!'),
          caseInsensitive: body.kind === 'AEXPR_ILIKE',
          operand,
          pattern,
        };
      }
      default:
        throw new WhereError(`${describeExprKind(body.kind, name)} is not allowed in where`);
    }
  }

  private comparable(column: Operand & { kind: 'column' }) {
    if (column.type === 'jsonb')
      throw new WhereError(`column ${column.name} (jsonb) can only be tested with IS NULL`);
  }

  private operandOrValue(node: PgNode): (Operand & { kind: 'column' }) | Untyped {
    return 'ColumnRef' in node ? this.column(node, 'a comparison') : this.untyped(node);
  }

  private column(node: PgNode | undefined, where: string): Operand & { kind: 'column' } {
    if (!node || !('ColumnRef' in node)) {
      const kind = node ? single(node)[0] : 'nothing';
      if (kind === 'TypeCast') throw new WhereError('casts of columns are not allowed in where');
      throw new WhereError(`${where} must be applied to a column, not to ${describeNode(kind)}`);
    }
    const fields = node.ColumnRef.fields as PgNode[];
    if (fields.length !== 1 || !fields[0]?.String) {
      throw new WhereError('columns must be named without a table or schema (e.g. name, not controls.name)');
    }
    const name = fields[0].String.sval as string;
    const type = Object.hasOwn(this.columns, name) ? this.columns[name] : undefined;
    if (!type) throw new WhereError(`column ${JSON.stringify(name)} cannot be used in where for this table`);
    this.usedColumns.add(name);
    return { kind: 'column', name, type };
  }

  private untyped(node: PgNode | undefined): Untyped {
    if (!node) throw new WhereError('missing value');
    const [kind, body] = single(node);
    if (kind === 'A_Const') {
      if (body.isnull) return { kind: 'null' };
      if (body.ival) return { kind: 'int', text: String(body.ival.ival ?? 0) };
      if ('ival' in body) return { kind: 'int', text: '0' };
      if (body.fval) return { kind: 'float', text: String(body.fval.fval) };
      if (body.boolval) return { kind: 'bool', value: body.boolval.boolval === true };
      if ('boolval' in body) return { kind: 'bool', value: false };
      if (body.sval) return { kind: 'string', text: String(body.sval.sval ?? '') };
      if ('sval' in body) return { kind: 'string', text: '' };
      throw new WhereError('bit-string constants are not allowed in where');
    }
    if (kind === 'ParamRef') {
      const n = body.number as number;
      if (!Number.isInteger(n) || n < 1) throw new WhereError('parameters are written $1, $2, …');
      return { kind: 'param', n };
    }
    if (kind === 'TypeCast') {
      if (body.arg && 'ColumnRef' in body.arg)
        throw new WhereError('casts of columns are not allowed in where');
      const inner = this.untyped(body.arg);
      if (inner.cast) throw new WhereError('nested casts are not allowed in where');
      const names = (body.typeName?.names ?? []) as PgNode[];
      const last = names.at(-1)?.String?.sval as string | undefined;
      const qualifiedOk =
        names.length === 1 || (names.length === 2 && names[0]?.String?.sval === 'pg_catalog');
      if (!last || !qualifiedOk || body.typeName.typmods || body.typeName.arrayBounds || !CAST_TYPES[last]) {
        throw new WhereError(
          `casts are limited to ${Object.keys(CAST_TYPES).join(', ')} of a constant or parameter`,
        );
      }
      return { ...inner, cast: last };
    }
    if (kind === 'ColumnRef')
      throw new WhereError('compare a column with a value here, not with another column');
    throw refused(kind);
  }

  /** Types a value by the column it meets: checks it and puts it in canonical text form. */
  private typed(value: Untyped | Operand, type: ColumnType, columnName: string): Operand {
    if (value.kind === 'column') {
      throw new WhereError(`${columnName} must be compared with a value here`);
    }
    if (value.kind === 'value') return value;
    if (value.cast && !CAST_TYPES[value.cast]!.includes(type)) {
      throw new WhereError(
        `cannot cast a value to ${value.cast} when comparing it with ${columnName} (${type})`,
      );
    }
    const field = value.kind === 'param' ? 'params' : 'where';
    const fail = (why: string): never => {
      throw new WhereError(`${describeValue(value)} is not a valid ${type} for ${columnName}: ${why}`, field);
    };
    let text: string | null;
    switch (value.kind) {
      case 'null':
        return { kind: 'value', type, value: null };
      case 'bool':
        if (type !== 'bool') fail('true/false can only be compared with a boolean column');
        return { kind: 'value', type, value: value.value ? 't' : 'f' };
      case 'int':
      case 'float':
        if (!NUMBER_TYPES.has(type)) fail('a number can only be compared with a numeric column');
        text = value.text;
        break;
      case 'string':
        text = value.text;
        break;
      case 'param': {
        const given = Object.hasOwn(this.params, String(value.n)) ? this.params[String(value.n)] : undefined;
        if (given === undefined)
          throw new WhereError(`parameter $${value.n} has no value (params[${value.n}])`, 'params');
        text = given;
        break;
      }
    }
    const canonical = canonicalValue(type, text);
    if (typeof canonical !== 'string') return fail(canonical.error);
    return { kind: 'value', type, value: canonical };
  }
}

function single(node: PgNode): [string, PgNode] {
  const keys = Object.keys(node);
  if (keys.length !== 1) throw new WhereError('unsupported expression');
  return [keys[0]!, node[keys[0]!]];
}

function operatorName(name: PgNode[] | undefined): string {
  if (!name) return '';
  return name.map((part) => part.String?.sval ?? '?').join('.');
}

function refused(kind: string): WhereError {
  return new WhereError(`${describeNode(kind)} is not allowed in where`);
}

function describeNode(kind: string): string {
  const names: Record<string, string> = {
    FuncCall: 'a function call',
    SubLink: 'a sub-query',
    TypeCast: 'a cast',
    CollateClause: 'COLLATE',
    CaseExpr: 'CASE',
    CoalesceExpr: 'COALESCE',
    RowExpr: 'a row constructor',
    A_ArrayExpr: 'an array',
    A_Indirection: 'subscripts',
    BooleanTest: 'IS TRUE/FALSE',
    MinMaxExpr: 'GREATEST/LEAST',
    SQLValueFunction: 'a function call',
    NullIfExpr: 'NULLIF',
    ColumnRef: 'a column',
    A_Const: 'a constant',
    ParamRef: 'a parameter',
  };
  return names[kind] ?? `this kind of expression (${kind})`;
}

function describeExprKind(kind: string, name: string): string {
  if (kind === 'AEXPR_BETWEEN' || kind === 'AEXPR_NOT_BETWEEN') return 'BETWEEN (use >= AND <=)';
  if (kind === 'AEXPR_DISTINCT' || kind === 'AEXPR_NOT_DISTINCT') return 'IS [NOT] DISTINCT FROM';
  if (kind === 'AEXPR_OP_ANY' || kind === 'AEXPR_OP_ALL') return 'ANY/ALL';
  if (kind === 'AEXPR_SIMILAR') return 'SIMILAR TO';
  return `operator ${name || kind}`;
}

function describeValue(value: Untyped): string {
  if (value.kind === 'param') return `$${value.n}`;
  if (value.kind === 'null') return 'NULL';
  if (value.kind === 'bool') return String(value.value);
  const shown = value.text.length > 40 ? `${value.text.slice(0, 40)}…` : value.text;
  return value.kind === 'string' ? `'${shown}'` : shown;
}

// ---------------------------------------------------------------------------------------------
// Values: input forms accepted, and the canonical PostgreSQL text form they are sent in.

const UUID_INPUT = /^\{?([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{12})\}?$/i;
const DECIMAL_INPUT = /^\s*([+-])?(\d+(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d{1,4}))?\s*$/;
const TIMESTAMP_INPUT =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?$/;
const DATE_INPUT = /^(\d{4})-(\d{2})-(\d{2})$/;
const BOOL_INPUT: Record<string, string> = {
  t: 't',
  true: 't',
  y: 't',
  yes: 't',
  on: 't',
  '1': 't',
  f: 'f',
  false: 'f',
  n: 'f',
  no: 'f',
  off: 'f',
  '0': 'f',
};

/** The canonical text of `text` as a value of `type`, or why it is not one. */
export function canonicalValue(type: ColumnType, text: string): string | { error: string } {
  if (text.length > MAX_VALUE_LENGTH) return { error: `longer than ${MAX_VALUE_LENGTH} characters` };
  if (text.includes('\u0000')) return { error: 'contains a NUL character' };
  if (!(text as string & { isWellFormed(): boolean }).isWellFormed())
    return { error: 'is not valid Unicode' };
  switch (type) {
    case 'text':
      return text;
    case 'uuid': {
      const match = UUID_INPUT.exec(text.trim());
      if (!match) return { error: 'expected a UUID like 123e4567-e89b-12d3-a456-426614174000' };
      if (text.trim().startsWith('{') !== text.trim().endsWith('}')) return { error: 'unbalanced braces' };
      return match.slice(1).join('-').toLowerCase();
    }
    case 'bool': {
      const value = BOOL_INPUT[text.trim().toLowerCase()];
      return value ?? { error: 'expected true or false' };
    }
    case 'int2':
    case 'int4':
    case 'int8':
    case 'numeric': {
      const trimmed = text.trim();
      if (/^[+-]?(nan|infinity|inf)$/i.test(trimmed)) {
        const lower = trimmed.toLowerCase();
        return lower.includes('nan') ? 'NaN' : lower.startsWith('-') ? '-Infinity' : 'Infinity';
      }
      const decimal = parseDecimal(trimmed);
      if (!decimal) return { error: 'expected a number' };
      return formatDecimal(decimal);
    }
    case 'timestamptz': {
      const micros = parseTimestampInput(text.trim());
      if (typeof micros !== 'bigint' && typeof micros !== 'string') return micros;
      if (typeof micros === 'string') return micros;
      const formatted = formatTimestamp(micros);
      // After the zone shift the instant must still be a year 0001–9999 PostgreSQL reads back.
      if (!/^\d{4}-/.test(formatted) || formatted.startsWith('0000')) return { error: 'out of range' };
      return formatted;
    }
    case 'date': {
      const trimmed = text.trim();
      if (/^[+-]?infinity$/i.test(trimmed)) return trimmed.startsWith('-') ? '-infinity' : 'infinity';
      const match = DATE_INPUT.exec(trimmed);
      if (!match || !validDate(Number(match[1]), Number(match[2]), Number(match[3]))) {
        return { error: 'expected a date like 2024-01-31' };
      }
      return trimmed;
    }
    case 'jsonb':
      return { error: 'jsonb columns can only be tested with IS NULL' };
  }
}

type Decimal = { mantissa: bigint; exponent: number };

function parseDecimal(text: string): Decimal | undefined {
  const match = DECIMAL_INPUT.exec(text);
  if (!match) return undefined;
  const [, sign, digits, exp] = match;
  const [whole, fraction = ''] = digits!.split('.');
  const exponent = Number(exp ?? 0) - fraction.length;
  if (Math.abs(exponent) > 1000) return undefined;
  let mantissa = BigInt(`${whole || '0'}${fraction}`);
  if (sign === '-') mantissa = -mantissa;
  return { mantissa, exponent };
}

function formatDecimal({ mantissa, exponent }: Decimal): string {
  const negative = mantissa < 0n;
  let digits = (negative ? -mantissa : mantissa).toString();
  let text: string;
  if (exponent >= 0) text = digits + '0'.repeat(exponent);
  else {
    const scale = -exponent;
    if (digits.length <= scale) digits = '0'.repeat(scale - digits.length + 1) + digits;
    text = `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  }
  return negative && /[1-9]/.test(text) ? `-${text}` : text;
}

function validDate(year: number, month: number, day: number): boolean {
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  const days = [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  return day <= days;
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Accepted timestamp input: ISO 8601 date or date-time; no zone means UTC. */
function parseTimestampInput(text: string): bigint | string | { error: string } {
  if (/^[+-]?infinity$/i.test(text)) return text.startsWith('-') ? '-infinity' : 'infinity';
  const match = TIMESTAMP_INPUT.exec(text);
  if (!match) return { error: 'expected an ISO 8601 timestamp like 2024-01-31T12:00:00Z' };
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', zone] = match;
  const year = Number(y);
  if (!validDate(year, Number(mo), Number(d))) return { error: 'not a real date' };
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return { error: 'not a real time' };
  let offsetMinutes = 0;
  if (zone && zone.toUpperCase() !== 'Z' && zone.toUpperCase() !== 'UTC') {
    const digits = zone.replace(':', '');
    const hours = Number(digits.slice(1, 3));
    const minutes = Number(digits.slice(3, 5) || '0');
    if (hours > 15 || minutes > 59) return { error: 'time zone offset out of range' };
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
  }
  return (
    epochMicros(year, Number(mo), Number(d), Number(h), Number(mi), Number(s), fraction) -
    BigInt(offsetMinutes) * 60_000_000n
  );
}

function epochMicros(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  fraction: string,
): bigint {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  return BigInt(date.getTime()) * 1000n + BigInt(fraction.padEnd(6, '0').slice(0, 6) || '0');
}

function formatTimestamp(micros: bigint): string {
  const millis = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
  const rest = micros - millis * 1000n;
  const iso = new Date(Number(millis)).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  return `${iso.slice(0, 23)}${rest.toString().padStart(3, '0')}+00:00`;
}

/** PostgreSQL's ISO output of timestamptz (any zone offset, optional BC) → epoch micros. */
const TIMESTAMP_OUTPUT =
  /^(\d{4,})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?:([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?|Z)?( BC)?$/;

export function timestampMicros(text: string): bigint | 'infinity' | '-infinity' | undefined {
  if (text === 'infinity' || text === '-infinity') return text;
  const match = TIMESTAMP_OUTPUT.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, fraction = '', sign, oh = '0', om = '0', os = '0', bc] = match;
  const year = bc ? 1 - Number(y) : Number(y);
  const offset =
    (sign === '-' ? -1n : 1n) * BigInt(Number(oh) * 3600 + Number(om) * 60 + Number(os)) * 1_000_000n;
  return epochMicros(year, Number(mo), Number(d), Number(h), Number(mi), Number(s), fraction) - offset;
}

// ---------------------------------------------------------------------------------------------
// Rendering: identifiers quoted, every value a bind parameter with an explicit cast.

type RenderState = { values: string[]; offset: number; collate: boolean };

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

const SQL_TYPE: Record<ColumnType, string> = {
  uuid: 'uuid',
  text: 'text',
  int2: 'numeric',
  int4: 'numeric',
  int8: 'numeric',
  numeric: 'numeric',
  bool: 'boolean',
  timestamptz: 'timestamptz',
  date: 'date',
  jsonb: 'jsonb',
};

function renderOperand(operand: Operand, state: RenderState, collate = false): string {
  if (operand.kind === 'column') {
    return collate && state.collate ? `${quoteIdent(operand.name)} COLLATE "C"` : quoteIdent(operand.name);
  }
  let type = SQL_TYPE[operand.type];
  if (operand.value === null) return `NULL::${type}`;
  state.values.push(operand.value);
  const placeholder = `$${state.offset + state.values.length}`;
  // Integers compared with integer columns stay bigint, so PostgreSQL can use their indexes.
  if (
    type === 'numeric' &&
    operand.type !== 'numeric' &&
    operand.value !== null &&
    /^-?\d{1,18}$/.test(operand.value)
  ) {
    type = 'int8';
  }
  return `${placeholder}::${type}`;
}

function render(node: Node, state: RenderState): string {
  switch (node.kind) {
    case 'and':
    case 'or':
      return `(${node.args.map((arg) => render(arg, state)).join(node.kind === 'and' ? ' AND ' : ' OR ')})`;
    case 'not':
      return `(NOT ${render(node.arg, state)})`;
    case 'cmp': {
      const collate = node.type === 'text' && node.op !== '=' && node.op !== '<>';
      return `(${renderOperand(node.left, state, collate)} ${node.op} ${renderOperand(node.right, state, collate)})`;
    }
    case 'in': {
      const list = node.list.map((item) => renderOperand(item, state)).join(', ');
      return `(${renderOperand(node.operand, state)} ${node.negated ? 'NOT IN' : 'IN'} (${list}))`;
    }
    case 'isnull':
      return `(${renderOperand(node.operand, state)} IS ${node.negated ? 'NOT NULL' : 'NULL'})`;
    case 'like': {
      const op = `${node.negated ? 'NOT ' : ''}${node.caseInsensitive ? 'ILIKE' : 'LIKE'}`;
      return `(${renderOperand(node.operand, state, true)} ${op} ${renderOperand(node.pattern, state)})`;
    }
    case 'bool':
      return `(${renderOperand(node.operand, state)})`;
  }
}

// ---------------------------------------------------------------------------------------------
// Evaluation: PostgreSQL's semantics for the rendered SQL, three-valued (null = unknown).

type Truth = boolean | null;

function operandValue(operand: Operand, row: Row): string | null {
  if (operand.kind === 'value') return operand.value;
  const value = row[operand.name];
  return value === undefined ? null : value;
}

function evaluate(node: Node, row: Row): Truth {
  switch (node.kind) {
    case 'and': {
      let result: Truth = true;
      for (const arg of node.args) {
        const value = evaluate(arg, row);
        if (value === false) return false;
        if (value === null) result = null;
      }
      return result;
    }
    case 'or': {
      let result: Truth = false;
      for (const arg of node.args) {
        const value = evaluate(arg, row);
        if (value === true) return true;
        if (value === null) result = null;
      }
      return result;
    }
    case 'not': {
      const value = evaluate(node.arg, row);
      return value === null ? null : !value;
    }
    case 'cmp': {
      const left = operandValue(node.left, row);
      const right = operandValue(node.right, row);
      if (left === null || right === null) return null;
      const order = compareValues(node.type, left, right);
      if (order === undefined) return null;
      switch (node.op) {
        case '=':
          return order === 0;
        case '<>':
          return order !== 0;
        case '<':
          return order < 0;
        case '<=':
          return order <= 0;
        case '>':
          return order > 0;
        case '>=':
          return order >= 0;
      }
      return null;
    }
    case 'in': {
      const value = operandValue(node.operand, row);
      if (value === null) return null;
      let result: Truth = false;
      for (const item of node.list) {
        const candidate = operandValue(item, row);
        if (candidate === null) {
          result = null;
          continue;
        }
        const order = compareValues(node.type, value, candidate);
        if (order === undefined) result = null;
        else if (order === 0) {
          result = true;
          break;
        }
      }
      return node.negated && result !== null ? !result : result;
    }
    case 'isnull': {
      const isNull = operandValue(node.operand, row) === null;
      return node.negated ? !isNull : isNull;
    }
    case 'like': {
      const value = operandValue(node.operand, row);
      const pattern = operandValue(node.pattern, row);
      if (value === null || pattern === null) return null;
      const matched = node.caseInsensitive
        ? likeMatch(asciiLower(value), asciiLower(pattern))
        : likeMatch(value, pattern);
      return node.negated ? !matched : matched;
    }
    case 'bool': {
      const value = operandValue(node.operand, row);
      return value === null ? null : value === 't' || value === 'true';
    }
  }
}

const timestampCache = new Map<string, ReturnType<typeof timestampMicros>>();
const decimalCache = new Map<string, Decimal | undefined>();

/** Parsed values by text: constants of a where are parsed once, not once per row. */
function memo<T>(cache: Map<string, T>, text: string, parse: (text: string) => T): T {
  if (cache.has(text)) return cache.get(text) as T;
  const value = parse(text);
  if (cache.size >= 10_000) cache.clear();
  cache.set(text, value);
  return value;
}

/** Orders two PostgreSQL text-format values of one type; undefined when one cannot be read. */
export function compareValues(type: ColumnType, a: string, b: string): number | undefined {
  switch (type) {
    case 'text':
      return compareCodePoints(a, b);
    case 'uuid':
      return compareCodePoints(a.toLowerCase(), b.toLowerCase());
    case 'bool':
      return Number(boolOf(a)) - Number(boolOf(b));
    case 'int2':
    case 'int4':
    case 'int8':
    case 'numeric':
      return compareNumeric(a, b);
    case 'timestamptz': {
      const x = memo(timestampCache, a, timestampMicros);
      const y = memo(timestampCache, b, timestampMicros);
      if (x === undefined || y === undefined) return undefined;
      return compareWithInfinity(x, y);
    }
    case 'date': {
      const x = dateNumber(a);
      const y = dateNumber(b);
      if (x === undefined || y === undefined) return undefined;
      return compareWithInfinity(x, y);
    }
    case 'jsonb':
      return undefined;
  }
}

function boolOf(text: string): boolean {
  return text === 't' || text === 'true';
}

function compareWithInfinity<T extends bigint | number>(
  x: T | 'infinity' | '-infinity',
  y: T | 'infinity' | '-infinity',
): number {
  const rank = (v: typeof x) => (v === '-infinity' ? -1 : v === 'infinity' ? 1 : 0);
  const rx = rank(x);
  const ry = rank(y);
  if (rx !== 0 || ry !== 0) return Math.sign(rx - ry);
  return x < y ? -1 : x > y ? 1 : 0;
}

function dateNumber(text: string): number | 'infinity' | '-infinity' | undefined {
  if (text === 'infinity' || text === '-infinity') return text;
  const match = /^(\d{4,})-(\d{2})-(\d{2})( BC)?$/.exec(text);
  if (!match) return undefined;
  const year = match[4] ? 1 - Number(match[1]) : Number(match[1]);
  return year * 10_000 + Number(match[2]) * 100 + Number(match[3]);
}

function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // UTF-16 order differs from code point order only when a surrogate meets U+E000..U+FFFF.
    const cx = a.codePointAt(i)!;
    const cy = b.codePointAt(i)!;
    return cx < cy ? -1 : cx > cy ? 1 : x < y ? -1 : 1;
  }
  return a.length - b.length === 0 ? 0 : a.length < b.length ? -1 : 1;
}

/** numeric ordering: -Infinity < finite < Infinity < NaN, and NaN = NaN. */
function compareNumeric(a: string, b: string): number | undefined {
  const rank = (text: string) =>
    text === 'NaN' ? 3 : text === 'Infinity' ? 2 : text === '-Infinity' ? 0 : 1;
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== 1 || rb !== 1) return Math.sign(ra - rb);
  const x = memo(decimalCache, a, parseDecimal);
  const y = memo(decimalCache, b, parseDecimal);
  if (!x || !y) return undefined;
  const scale = Math.min(x.exponent, y.exponent);
  const mx = x.mantissa * 10n ** BigInt(x.exponent - scale);
  const my = y.mantissa * 10n ** BigInt(y.exponent - scale);
  return mx < my ? -1 : mx > my ? 1 : 0;
}

function asciiLower(text: string): string {
  return text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}

/** A LIKE pattern may not end with its escape character (PostgreSQL refuses it). */
function checkLikePattern(pattern: string) {
  let escaped = false;
  for (const char of pattern) escaped = !escaped && char === '\\';
  if (escaped) throw new WhereError('a LIKE pattern must not end with a backslash');
}

type LikeToken = { kind: 'char'; char: string } | { kind: 'one' } | { kind: 'any' };

const likeCache = new Map<string, LikeToken[]>();

function likeTokens(pattern: string): LikeToken[] {
  const cached = likeCache.get(pattern);
  if (cached) return cached;
  const tokens: LikeToken[] = [];
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i]!;
    if (char === '\\') tokens.push({ kind: 'char', char: chars[++i] ?? '' });
    else if (char === '%') {
      if (tokens.at(-1)?.kind !== 'any') tokens.push({ kind: 'any' });
    } else if (char === '_') tokens.push({ kind: 'one' });
    else tokens.push({ kind: 'char', char });
  }
  if (likeCache.size > 1000) likeCache.clear();
  likeCache.set(pattern, tokens);
  return tokens;
}

/** LIKE by code points in O(text × pattern) at worst (no regular-expression backtracking). */
export function likeMatch(text: string, pattern: string): boolean {
  const tokens = likeTokens(pattern);
  const chars = [...text];
  let t = 0;
  let p = 0;
  let starP = -1;
  let starT = 0;
  while (t < chars.length) {
    const token = tokens[p];
    if (token && (token.kind === 'one' || (token.kind === 'char' && token.char === chars[t]))) {
      t++;
      p++;
    } else if (token?.kind === 'any') {
      starP = p++;
      starT = t;
    } else if (starP >= 0) {
      p = starP + 1;
      t = ++starT;
    } else return false;
  }
  while (tokens[p]?.kind === 'any') p++;
  return p === tokens.length;
}
