// The parsed form of a client `where`: column types, the condition tree the checker builds and
// the renderer and evaluator walk, and the error a refused where raises.

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

/** Which resource limit a where went over (see limits.ts); undefined for other refusals. */
export type WhereLimit = 'pattern_too_long' | 'params_too_large' | 'where_too_costly';

/** A client `where` that is not accepted; the message is for the person who wrote it. */
export class WhereError extends Error {
  constructor(
    message: string,
    readonly field: 'where' | 'params' = 'where',
    readonly limit?: WhereLimit,
  ) {
    super(message);
    this.name = 'WhereError';
  }
}

export type CmpOp = '=' | '<>' | '<' | '<=' | '>' | '>=';

export type Operand =
  | { kind: 'column'; name: string; type: ColumnType }
  /** A typed value in canonical PostgreSQL text form (null for NULL). */
  | { kind: 'value'; type: ColumnType; value: string | null };

export type Node =
  | { kind: 'and' | 'or'; args: Node[] }
  | { kind: 'not'; arg: Node }
  | { kind: 'cmp'; op: CmpOp; left: Operand; right: Operand; type: ColumnType }
  | { kind: 'in'; negated: boolean; operand: Operand; list: Operand[]; type: ColumnType }
  | { kind: 'isnull'; negated: boolean; operand: Operand }
  | { kind: 'like'; negated: boolean; caseInsensitive: boolean; operand: Operand; pattern: Operand }
  | { kind: 'bool'; operand: Operand };

export type Row = Record<string, string | null>;
