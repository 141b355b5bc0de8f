// Owns the Prometheus registry. Each feature registers its own metrics on `metrics.registry`;
// the shared HTTP and database metrics live here: request durations, RLS refusals, pool
// connections by pool and state (read at scrape time), and database work by operation.
import { getHeapStatistics } from 'node:v8';
import type pg from 'pg';
import client from 'prom-client';
import { observeQueries } from '../db/query-timing.ts';

export type Metrics = ReturnType<typeof createMetrics>;

export function createMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  new client.Gauge({
    name: 'nodejs_heap_size_limit_bytes',
    help: "V8's heap size limit (--max-old-space-size): the process's memory budget for the JS heap",
    registers: [registry],
    collect() {
      this.set(getHeapStatistics().heap_size_limit);
    },
  });

  const httpDuration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 30],
    registers: [registry],
  });
  const rlsViolations = new client.Counter({
    name: 'rls_violations_total',
    help:
      'Writes refused by a row-level security WITH CHECK policy (SQLSTATE 42501): a code path tried ' +
      "to write another organisation's row. Reads hidden by RLS are not errors and are not counted",
    registers: [registry],
  });
  const queryDuration = new client.Histogram({
    name: 'db_query_duration_seconds',
    help: 'Database work by operation: a tenant transaction from BEGIN to COMMIT, or one direct read',
    labelNames: ['operation'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const pools = new Map<string, pg.Pool>();
  new client.Gauge({
    name: 'db_pool_connections',
    help: 'Connections of each database pool by state (total, idle) and callers waiting for one (waiting)',
    labelNames: ['pool', 'state'] as const,
    registers: [registry],
    collect() {
      for (const [name, pool] of pools) {
        this.set({ pool: name, state: 'total' }, pool.totalCount);
        this.set({ pool: name, state: 'idle' }, pool.idleCount);
        this.set({ pool: name, state: 'waiting' }, pool.waitingCount);
      }
    },
  });
  new client.Gauge({
    name: 'db_pool_max_connections',
    help: 'The size limit of each database pool',
    labelNames: ['pool'] as const,
    registers: [registry],
    collect() {
      for (const [name, pool] of pools) this.set({ pool: name }, pool.options.max ?? 10);
    },
  });

  const statementTimeouts = new client.Counter({
    name: 'db_statement_timeouts_total',
    help: 'Statements canceled by statement_timeout (SQLSTATE 57014), by pool (app or snapshot)',
    labelNames: ['pool'] as const,
    registers: [registry],
  });
  const poolAcquireTimeouts = new client.Counter({
    name: 'db_pool_acquire_timeouts_total',
    help: 'Requests refused because no pooled connection was free within the acquire timeout',
    labelNames: ['pool'] as const,
    registers: [registry],
  });
  const requestsShed = new client.Counter({
    name: 'http_requests_shed_total',
    help: 'Requests refused with 503 before any work because the process was overloaded, by reason',
    labelNames: ['reason'] as const,
    registers: [registry],
  });

  // Alerts watch increase() of these; a series that first appears at 1 would never show an increase.
  for (const pool of ['app', 'snapshot']) statementTimeouts.inc({ pool }, 0);
  poolAcquireTimeouts.inc({ pool: 'app' }, 0);
  for (const reason of ['event_loop', 'memory']) requestsShed.inc({ reason }, 0);

  return {
    registry,
    httpDuration,
    rlsViolations,
    queryDuration,
    statementTimeouts,
    poolAcquireTimeouts,
    requestsShed,
    /** Exports the pool's connection gauges and times its work in db_query_duration_seconds. */
    watchPool(name: 'app' | 'owner', pool: pg.Pool) {
      pools.set(name, pool);
      observeQueries(pool, (operation, seconds) => queryDuration.observe({ operation }, seconds));
    },
  };
}
