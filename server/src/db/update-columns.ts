// Owns the one way a service writes a partial update of one row: only the allow-listed columns
// the patch gives (undefined = not given), each value a bind parameter. Table and column names
// come from constants in code, never from input.
import type pg from 'pg';
import type { Tx } from './tenant.ts';

/** `UPDATE table SET <given columns> WHERE id = $1 RETURNING *`: the row, or undefined if none. */
export async function updateColumns<Column extends string>(
  tx: Tx,
  table: string,
  id: string,
  columns: readonly Column[],
  patch: Partial<Record<Column, unknown>>,
): Promise<pg.QueryResultRow | undefined> {
  const given = columns.filter((column) => patch[column] !== undefined);
  const { rows } = await tx.query(
    `UPDATE ${table} SET ${given.map((column, i) => `${column} = $${i + 2}`).join(', ')} WHERE id = $1 RETURNING *`,
    [id, ...given.map((column) => patch[column])],
  );
  return rows[0];
}
