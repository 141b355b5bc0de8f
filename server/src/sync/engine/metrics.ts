// Owns the built-in engine's Prometheus metrics, registered on the app's registry.
import client from 'prom-client';

export type EngineMetrics = ReturnType<typeof createEngineMetrics>;

/** Why a shape log was evicted (its clients get 409 and refetch). */
export type EvictionReason = 'idle' | 'budget' | 'cap' | 'reset';

export function createEngineMetrics(
  registry: client.Registry,
  read: { shapes: () => number; live: () => number; bytes: () => number },
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
  new client.Gauge({
    name: 'sync_shape_log_bytes',
    help: 'Bytes held by all shape logs of the built-in sync engine (JSON text of snapshot rows and changes)',
    registers,
    collect() {
      this.set(read.bytes());
    },
  });
  return {
    evicted: new client.Counter({
      name: 'sync_shape_logs_evicted_total',
      help: 'Shape logs evicted (idle, over a byte budget, over a cap, reset); their clients refetch',
      labelNames: ['reason'] as const,
      registers,
    }),
    routeSeconds: new client.Histogram({
      name: 'sync_engine_route_duration_seconds',
      help: 'Time to route one replicated transaction into the shape logs, yields to other work included',
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers,
    }),
    routeSliceSeconds: new client.Histogram({
      name: 'sync_engine_route_slice_seconds',
      help: 'Longest stretch one transaction held the event loop while being routed',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
      registers,
    }),
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
