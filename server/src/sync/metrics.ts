// Owns the public shape endpoint's metrics (GET /api/electric/sync): request duration by upstream
// mode, shapes refused before the upstream by reason, and upstream errors. Labels are bounded.
import client from 'prom-client';

export function createSyncMetrics(registry: client.Registry) {
  return {
    duration: new client.Histogram({
      name: 'sync_request_duration_seconds',
      help: 'Shape requests on /api/electric/sync by upstream mode, live or not, and status',
      labelNames: ['mode', 'live', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60],
      registers: [registry],
    }),
    refused: new client.Counter({
      name: 'sync_shapes_refused_total',
      help: 'Shape requests refused before reaching the upstream, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    upstreamErrors: new client.Counter({
      name: 'sync_upstream_errors_total',
      help: 'Shape requests the upstream (engine or Electric) could not answer',
      labelNames: ['mode'] as const,
      registers: [registry],
    }),
  };
}
