// Owns how the database says "too busy": a statement canceled by statement_timeout (SQLSTATE
// 57014) and a pool that gave no connection within its acquire timeout. Both are load, not
// bugs: callers answer 503 OVERLOADED with Retry-After (http/error-handler.ts, the sync engine).
import type pg from 'pg';
import { isPipelined, socketOf } from './pipeline.ts';

type ErrorLike = { code?: unknown; message?: unknown } | null | undefined;

/** query_canceled: statement_timeout fired (or an operator canceled the query). */
export function isStatementTimeout(error: unknown): boolean {
  return (error as ErrorLike)?.code === '57014';
}

/** pg-pool's error when `connectionTimeoutMillis` passes with no connection free. */
export function isPoolAcquireTimeout(error: unknown): boolean {
  const message = (error as ErrorLike)?.message;
  return (
    typeof message === 'string' &&
    (message === 'timeout exceeded when trying to connect' ||
      message === 'Connection terminated due to connection timeout')
  );
}

/** The statement timeout every tenant transaction on a pool runs under (set where the pool is made). */
const statementTimeouts = new WeakMap<pg.Pool, number>();

export function setStatementTimeout(pool: pg.Pool, milliseconds: number) {
  statementTimeouts.set(pool, milliseconds);
}

/** 15 s unless the pool was given its own (config: DB_STATEMENT_TIMEOUT_MS). */
export function statementTimeoutOf(pool: pg.Pool): number {
  return statementTimeouts.get(pool) ?? 15_000;
}

/**
 * One statement on `pool` outside a tenant transaction (the health check, catalogue reads,
 * directory lookups, rate-limit buckets, sweeps) under the same statement timeout as every tenant
 * transaction, so nothing on the pool can hold a connection forever: BEGIN, the timeout, the
 * statement and COMMIT (one round trip on a pipelined pool). Never a startup parameter or a
 * session SET: PgBouncer in transaction mode refuses the first and hands the second to other
 * clients.
 */
export async function boundedQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(
  pool: pg.Pool,
  text: string,
  values?: unknown[],
): Promise<pg.QueryResult<R>> {
  const client = await pool.connect();
  let broken = false;
  try {
    if (!isPipelined(client)) {
      await client.query(`BEGIN; SET LOCAL statement_timeout = ${Math.floor(statementTimeoutOf(pool))}`);
      const result = await client.query<R>(text, values);
      await client.query('COMMIT');
      return result;
    }
    // Pipelined (the app pool): BEGIN, the timeout, the statement and COMMIT leave in one write
    // and are answered together, one round trip instead of three (a login makes four of these
    // calls, every sync request one). A failed step aborts the transaction, so COMMIT then only
    // rolls back; the first failure is the answer.
    const socket = socketOf(client);
    socket?.cork();
    let steps: Promise<unknown>[];
    try {
      steps = [
        client.query('BEGIN'),
        client.query(`SELECT set_config('statement_timeout', $1, true)`, [
          String(Math.floor(statementTimeoutOf(pool))),
        ]),
        client.query<R>(text, values),
        client.query('COMMIT'),
      ];
    } finally {
      socket?.uncork();
    }
    const [, , result] = await Promise.all(steps);
    return result as pg.QueryResult<R>;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {
      broken = true; // the connection is unusable: destroy it rather than return it to the pool
    });
    throw error;
  } finally {
    client.release(broken);
  }
}
