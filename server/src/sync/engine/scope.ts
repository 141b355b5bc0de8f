// Owns what the engine is told by its caller instead of knowing itself: the publication it
// replicates, how a snapshot transaction is opened (role, settings, isolation: the caller's
// runner), and optionally the column that partitions each table's rows, which routes a change
// only to the logs of its partition and is checked again on every change. The engine serves any
// table of its publication; the tenant gate (sync/tenant-scope.ts) binds it to organisations,
// the conformance mode (sync/conformance/) runs it bare.
import type pg from 'pg';
import type { TransactionOptions } from '../../db/tenant.ts';
import type { ShapeDefinition } from '../upstream.ts';

/** A connection inside the snapshot's transaction. */
export type SnapshotTx = pg.ClientBase;

export type SnapshotOptions = Required<
  Pick<TransactionOptions, 'isolation' | 'readOnly' | 'statementTimeoutMs'>
>;

export type EngineScope = {
  /** The publication replication streams from. */
  publication: string;
  /** Runs `work` in a transaction opened for `def` with `options`, committed after it. */
  runSnapshot<T>(
    def: ShapeDefinition,
    work: (tx: SnapshotTx) => Promise<T>,
    options: SnapshotOptions,
  ): Promise<T>;
  /**
   * The column whose value partitions `table`'s rows (a shape's `orgId` is its partition);
   * undefined: every log of the table sees every change of it.
   */
  partitionColumn?: (table: string) => string | undefined;
};

/**
 * A runner of plain transactions on `pool`, as the pool's own role: for callers with no tenant
 * (the conformance mode, benchmarks of the engine alone). The pool must be in pg's pipeline
 * mode, as the app pool is: the snapshot reader issues statements without awaiting each.
 */
export function plainSnapshots(pool: pg.Pool): EngineScope['runSnapshot'] {
  return async (_def, work, options) => {
    const client = await pool.connect();
    try {
      const access = options.readOnly ? 'READ ONLY' : 'READ WRITE';
      await client.query(`BEGIN ISOLATION LEVEL ${options.isolation.toUpperCase()} ${access}`);
      await client.query(
        `SET LOCAL statement_timeout = ${Math.max(1, Math.trunc(options.statementTimeoutMs))}`,
      );
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  };
}
