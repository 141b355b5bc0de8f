// Owns the built-in engine's Prometheus metrics, registered on the app's registry.
import client from 'prom-client';

export type EngineMetrics = ReturnType<typeof createEngineMetrics>;

export function createEngineMetrics(
  registry: client.Registry,
  read: { shapes: () => number; live: () => number },
) {
  const registers = [registry];
  new client.Gauge({
    name: 'sync_engine_active_shapes',
    help: 'Shape logs held by the built-in sync engine',
    registers,
    collect() {
      this.set(read.shapes());
    },
  });
  new client.Gauge({
    name: 'sync_engine_live_subscribers',
    help: 'Live long-poll and SSE requests waiting on the built-in sync engine',
    registers,
    collect() {
      this.set(read.live());
    },
  });
  return {
    changes: new client.Counter({
      name: 'sync_engine_changes_processed_total',
      help: 'Row changes read from logical replication (rate() gives changes per second)',
      registers,
    }),
    lag: new client.Gauge({
      name: 'sync_engine_replication_lag_seconds',
      help: 'Commit-to-processing delay of the last replicated transaction',
      registers,
    }),
    snapshotSeconds: new client.Histogram({
      name: 'sync_engine_snapshot_duration_seconds',
      help: 'Time to take the initial snapshot of a shape',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
  };
}
