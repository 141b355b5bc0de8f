// Owns the built-in engine's Prometheus metrics, registered on the app's registry. The gauges
// that describe replication (lag, WAL held by the slot) are computed at scrape time, so a
// stalled stream shows its real state rather than the last value it happened to set.
import client from 'prom-client';
import type { WalStatus } from './wal-status.ts';

export type EngineMetrics = ReturnType<typeof createEngineMetrics>;

/** Why a shape log was evicted (its clients get 409 and refetch). */
export type EvictionReason = 'idle' | 'budget' | 'cap' | 'reset';

export type EngineReadings = {
  shapes: () => number;
  live: () => number;
  bytes: () => number;
  /** Snapshots waiting in the fair queue. */
  snapshotQueueDepth: () => number;
  /** Replication lag in seconds, given the server's WAL status (undefined: not reachable). */
  lagSeconds: (wal: WalStatus | undefined) => number;
  /** The server's WAL status, or undefined when the engine has no stream to describe. */
  wal: () => Promise<WalStatus | undefined> | undefined;
};

export function createEngineMetrics(registry: client.Registry, read: EngineReadings) {
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
  new client.Gauge({
    name: 'sync_engine_replication_lag_seconds',
    help:
      'Now minus the commit time of the last processed transaction while the server holds WAL the ' +
      'engine has not read (grows while the stream is stalled or down); 0 when caught up',
    registers,
    async collect() {
      this.set(read.lagSeconds(await read.wal()));
    },
  });
  new client.Gauge({
    name: 'sync_engine_slot_retained_wal_bytes',
    help: "WAL kept from recycling by this engine's replication slot (pg_replication_slots.restart_lsn)",
    registers,
    async collect() {
      const wal = await read.wal();
      if (wal) this.set(wal.retainedBytes);
    },
  });
  new client.Gauge({
    name: 'sync_engine_max_slot_wal_keep_size_bytes',
    help: 'The server setting max_slot_wal_keep_size in bytes (-1: unlimited), the ceiling for slot WAL',
    registers,
    async collect() {
      const wal = await read.wal();
      if (wal) this.set(wal.keepSizeBytes);
    },
  });
  new client.Gauge({
    name: 'sync_snapshot_queue_depth',
    help: 'Shape snapshots waiting for one of their share of database connections',
    registers,
    collect() {
      this.set(read.snapshotQueueDepth());
    },
  });
  return {
    snapshotQueueWait: new client.Histogram({
      name: 'sync_snapshot_queue_wait_seconds',
      help: 'Time a shape snapshot waited in the fair queue before it started',
      buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    snapshotsRefused: new client.Counter({
      name: 'sync_snapshots_refused_total',
      help: 'Shape requests refused with 503 because the snapshot queue was full',
      registers,
    }),
    snapshotsOverBudget: new client.Counter({
      name: 'sync_snapshots_over_budget_total',
      help: 'Shape snapshots refused with 503 because their organisation had spent its share of snapshot time',
      registers,
    }),
    evicted: new client.Counter({
      name: 'sync_shape_logs_evicted_total',
      help: 'Shape logs evicted (idle, over a byte budget, over a cap, reset); their clients refetch',
      labelNames: ['reason'] as const,
      registers,
    }),
    compactions: new client.Counter({
      name: 'sync_shape_log_compactions_total',
      help: 'Shape logs compacted over their change cap (one entry per row key; clients keep their offsets)',
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
    snapshotSeconds: new client.Histogram({
      name: 'sync_engine_snapshot_duration_seconds',
      help: 'Time to take the initial snapshot of a shape',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    subsetRows: new client.Histogram({
      name: 'sync_engine_subset_rows',
      help: 'Rows returned by each subset snapshot (subset__* requests)',
      buckets: [0, 1, 10, 50, 100, 500, 1000, 5000, 10000, 100000],
      registers,
    }),
  };
}
