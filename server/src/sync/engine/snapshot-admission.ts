// Owns the admission of the engine's snapshot reads (shape snapshots and subset snapshots): the
// fair SnapshotQueue (snapshot-queue.ts) and each organisation's share of snapshot time
// (snapshot-budget.ts). A read is refused at once when its organisation's queue is full or its
// share spent, else queued; when its turn comes it runs with the statement_timeout the share
// allows then, and the time it did not use goes back to the share.
import type { EngineOptions } from '../../sync-settings.ts';
import type { EngineMetrics } from './metrics.ts';
import { SnapshotTimeBudget } from './snapshot-budget.ts';
import { SnapshotQueue, SnapshotQueueFull } from './snapshot-queue.ts';

/** Below this share of time left, an organisation's snapshot is refused rather than started. */
const MIN_SNAPSHOT_TIMEOUT_MS = 250;

type TimedRead<T> = (timeoutMs: number) => Promise<T>;

export class SnapshotAdmission {
  private readonly queue: SnapshotQueue;
  private readonly budget: SnapshotTimeBudget;

  /** `poolSize`: the app pool's connections; API requests always keep at least one. */
  constructor(
    options: EngineOptions,
    poolSize: number,
    private readonly metrics: EngineMetrics,
  ) {
    this.queue = new SnapshotQueue(
      {
        connections: Math.max(1, Math.min(options.snapshotConnections, poolSize - 1)),
        perOrgQueued: options.snapshotQueuePerOrg,
        maxQueued: options.snapshotQueueMax,
        maxWaitMs: options.snapshotTimeoutMs,
      },
      { waited: (seconds) => metrics.snapshotQueueWait.observe(seconds) },
    );
    this.budget = new SnapshotTimeBudget({
      perMinuteMs: options.snapshotMsPerOrgPerMinute,
      maxTimeoutMs: options.snapshotTimeoutMs,
      minTimeoutMs: MIN_SNAPSHOT_TIMEOUT_MS,
    });
  }

  /** Reads waiting for their turn. */
  get depth(): number {
    return this.queue.depth;
  }

  /** Throws SnapshotQueueFull when the organisation may not queue a read now. */
  check(orgId: string): void {
    const refused = this.queue.refusal(orgId);
    if (refused) {
      this.metrics.snapshotsRefused.inc();
      throw refused;
    }
    const spent = this.budget.retryAfterSeconds(orgId);
    if (spent > 0) {
      this.metrics.snapshotsOverBudget.inc();
      throw new SnapshotQueueFull('budget', spent);
    }
  }

  /** check(), then queue(): a one-off read (a subset snapshot). */
  async admit<T>(orgId: string, read: TimedRead<T>): Promise<T> {
    this.check(orgId);
    return this.queue.run(orgId, () => this.withinShare(orgId, read));
  }

  /**
   * Queues `read` of an organisation already checked; when its turn comes and `wanted()` is
   * still true, runs it within the share (else gives undefined and spends nothing).
   */
  queued<T>(orgId: string, read: TimedRead<T>, wanted: () => boolean): Promise<T | undefined> {
    return this.queue.run(orgId, async () => (wanted() ? this.withinShare(orgId, read) : undefined));
  }

  private async withinShare<T>(orgId: string, read: TimedRead<T>): Promise<T> {
    const timeoutMs = this.budget.reserve(orgId);
    if (timeoutMs === undefined) {
      this.metrics.snapshotsOverBudget.inc();
      throw new SnapshotQueueFull('budget', this.budget.retryAfterSeconds(orgId));
    }
    const started = performance.now();
    try {
      return await read(timeoutMs);
    } finally {
      this.budget.settle(orgId, timeoutMs, performance.now() - started);
    }
  }
}
