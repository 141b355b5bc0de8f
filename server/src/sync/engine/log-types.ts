// Owns the types a shape log and its helpers share (shape-log.ts, shape-messages.ts,
// compaction.ts, the registry and the protocol), apart from shape-log.ts so that the helpers it
// uses never import back from it.
export type Replica = 'default' | 'full';

export type ColumnInfo = { type: string; not_null?: boolean; pk_index?: number; dims?: number };
export type TableInfo = {
  columns: Map<string, ColumnInfo>;
  primaryKey: string[];
  /** The caller's partition column of the table (engine/scope.ts), checked on every change. */
  partitionColumn?: string | undefined;
};

/** The engine's name of a table: the bare name in schema public, else schema and name. */
export const relationKey = (schema: string | undefined, table: string) =>
  schema === undefined || schema === 'public' ? table : `${schema}\u0000${table}`;

export type Entry = {
  lsn: number;
  op: number;
  json: string;
  /** Set on the last entry of a transaction: the LSN just past its commit record. */
  endLsn?: number;
};
