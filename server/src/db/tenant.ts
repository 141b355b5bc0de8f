// Owns the one way code reaches tenant tables: a transaction on one pooled connection of the
// runtime role, with the organisation (and, for the audit trail, the acting user and request
// id) set transaction-locally. The settings vanish at COMMIT/ROLLBACK, so nothing leaks into
// the next request that borrows the connection. Every transaction has a statement timeout, so
// no statement holds its connection forever (57014 → 503 OVERLOADED in the error handler).
import type pg from 'pg';
import { statementTimeoutOf } from './overload.ts';
import { type DbOperation, timed } from './query-timing.ts';

export type TenantContext = {
  orgId: string;
  userId?: string | undefined;
  requestId?: string | undefined;
};

export type TransactionOptions = {
  isolation?: 'read committed' | 'repeatable read' | 'serializable';
  readOnly?: boolean;
  /** Label of db_query_duration_seconds (default tenant_tx): the time from BEGIN to COMMIT. */
  operation?: DbOperation;
  /** Overrides the pool's statement timeout (sync snapshots have their own). */
  statementTimeoutMs?: number;
};

export type Tx = pg.PoolClient;

export async function tenantTransaction<T>(
  pool: pg.Pool,
  context: TenantContext,
  work: (tx: Tx) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    const mode = [
      options.isolation ? `ISOLATION LEVEL ${options.isolation.toUpperCase()}` : '',
      options.readOnly ? 'READ ONLY' : '',
    ]
      .filter(Boolean)
      .join(' ');
    return await timed(pool, options.operation ?? 'tenant_tx', async () => {
      await client.query(`BEGIN ${mode}`);
      await client.query(
        `SELECT set_config('app.current_org_id', $1, true),
                set_config('app.current_user_id', $2, true),
                set_config('app.request_id', $3, true),
                set_config('statement_timeout', $4, true)`,
        [
          context.orgId,
          context.userId ?? '',
          context.requestId ?? '',
          String(options.statementTimeoutMs ?? statementTimeoutOf(pool)),
        ],
      );
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    });
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch {
      broken = true; // the connection is unusable: destroy it rather than return it to the pool
    }
    throw error;
  } finally {
    client.release(broken);
  }
}

/** The id of the current (writing) transaction, as the number sync clients match on. */
export async function currentTxid(tx: Tx): Promise<number> {
  const { rows } = await tx.query(`SELECT pg_current_xact_id()::xid::text AS txid`);
  return Number(rows[0].txid);
}
