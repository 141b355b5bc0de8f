// Owns the Prometheus registry. Each feature registers its own metrics on `metrics.registry`
// (see registerMetric); the shared HTTP and database metrics live here.
import type pg from 'pg';
import client from 'prom-client';

export type Metrics = ReturnType<typeof createMetrics>;

export function createMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });

  const httpDuration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 30],
    registers: [registry],
  });
  const rlsViolations = new client.Counter({
    name: 'rls_violations_total',
    help: 'Statements refused by row-level security (SQLSTATE 42501)',
    registers: [registry],
  });

  return {
    registry,
    httpDuration,
    rlsViolations,
    /** Gauges of a pool's connections, read at scrape time. */
    watchPool(name: string, pool: pg.Pool) {
      const labels = ['state'] as const;
      new client.Gauge({
        name: `db_pool_${name}_connections`,
        help: `Connections of the ${name} database pool by state`,
        labelNames: labels,
        registers: [registry],
        collect() {
          this.set({ state: 'total' }, pool.totalCount);
          this.set({ state: 'idle' }, pool.idleCount);
          this.set({ state: 'waiting' }, pool.waitingCount);
        },
      });
    },
  };
}
