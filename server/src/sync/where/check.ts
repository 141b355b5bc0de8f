// The grammar a client where may use, checked on libpg-query's parse tree: allow-listed columns,
// comparisons typed by the column they meet, casts only to that column's type; everything
// else is refused with a message for the person who wrote the where.

import type { WhereLimits } from '../../sync-settings.ts';
import { type CmpOp, type ColumnType, type ColumnTypes, type Node, type Operand, WhereError } from './ast.ts';
import { checkLikePattern } from './like.ts';
import { checkLikePatternLength } from './limits.ts';
import { canonicalValue } from './values.ts';

const MAX_DEPTH = 32;
const MAX_IN_LIST = 1000;

// biome-ignore lint/suspicious/noExplicitAny: libpg-query's JSON tree is walked dynamically
export type PgNode = Record<string, any>;

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

export class Checker {
  readonly usedColumns = new Set<string>();

  constructor(
    private readonly columns: ColumnTypes,
    private readonly params: Record<string, string>,
    private readonly limits: WhereLimits,
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
        if (pattern.kind === 'value' && pattern.value !== null) {
          checkLikePatternLength(pattern.value, operand.name, this.limits);
          checkLikePattern(pattern.value);
        }
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
