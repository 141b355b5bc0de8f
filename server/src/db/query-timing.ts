// Owns the timing of database work for db_query_duration_seconds{operation}. The app attaches
// an observer to each pool it watches (Metrics.watchPool); tenantTransaction and the few reads
// outside it time their work on the pool they use, so no caller has to carry the metrics.
// Operations are a fixed list: a bounded label, never a statement or a table name.
import type pg from 'pg';

export type DbOperation =
  /** A request's tenant transaction (the default). */
  | 'tenant_tx'
  /** The initial snapshot of a sync shape. */
  | 'snapshot'
  /** Identity reads on the login and token paths: directory, user, session checks. */
  | 'auth_lookup'
  /** Background sweeps (dead sessions, time-based reclassification). */
  | 'sweep';

export type QueryObserver = (operation: DbOperation, seconds: number) => void;

const observers = new WeakMap<pg.Pool, QueryObserver>();

export function observeQueries(pool: pg.Pool, observer: QueryObserver) {
  observers.set(pool, observer);
}

/** Runs `work`, recording its duration under `operation` when the pool is observed (also on failure). */
export async function timed<T>(pool: pg.Pool, operation: DbOperation, work: () => Promise<T>): Promise<T> {
  const observe = observers.get(pool);
  if (!observe) return work();
  const start = process.hrtime.bigint();
  try {
    return await work();
  } finally {
    observe(operation, Number(process.hrtime.bigint() - start) / 1e9);
  }
}
