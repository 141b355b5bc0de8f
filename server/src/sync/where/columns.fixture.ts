// The columns of the where tests' table `w` (a temporary table in evaluate.test.ts), by type.
import type { ColumnTypes } from './index.ts';

export const COLUMNS: ColumnTypes = {
  id: 'int4',
  t: 'text',
  t2: 'text',
  n: 'int4',
  x: 'numeric',
  b: 'bool',
  u: 'uuid',
  ts: 'timestamptz',
  d: 'date',
  j: 'jsonb',
};
