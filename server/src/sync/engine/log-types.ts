// Owns the types a shape log and its helpers share (shape-log.ts, shape-messages.ts,
// compaction.ts, the registry and the protocol), apart from shape-log.ts so that the helpers it
// uses never import back from it.
export type Replica = 'default' | 'full';

export type ColumnInfo = { type: string; not_null?: boolean; pk_index?: number; dims?: number };
export type TableInfo = { columns: Map<string, ColumnInfo>; primaryKey: string[] };

export type Entry = {
  lsn: number;
  op: number;
  json: string;
  /** Set on the last entry of a transaction: the LSN just past its commit record. */
  endLsn?: number;
};
