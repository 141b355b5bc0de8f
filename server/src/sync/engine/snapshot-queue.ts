// Owns admission of shape snapshots: at most `connections` run at once (their bounded share of
// the app pool, so API requests always find a connection), at most `perOrgRunning` of them for
// one organisation, and the rest wait in a queue served round-robin by organisation, so one
// organisation's twenty snapshots never stand ahead of another's one. Bounded per organisation
// and in total: past a bound the caller is refused at once (SnapshotQueueFull → 503 + Retry-After)
// instead of waiting behind work it cannot see, and a snapshot that waits longer than
// `maxWaitMs` gives up the same way. Written by hand: no maintained npm queue is fair
// by key with per-key bounds.

export type SnapshotQueueOptions = {
  /** Snapshots running at once, all organisations together. */
  connections: number;
  /** Snapshots of one organisation running at once (default: half the connections, rounded up). */
  perOrgRunning?: number;
  /** Snapshots of one organisation waiting at once. */
  perOrgQueued: number;
  /** Snapshots waiting at once, all organisations together. */
  maxQueued: number;
  /** A snapshot that has not started after this long gives up (SnapshotQueueFull 'wait'). */
  maxWaitMs: number;
};

export type SnapshotQueueObserver = {
  /** Seconds a snapshot waited before it started (0 when it started at once). */
  waited?: (seconds: number) => void;
};

const REFUSALS = {
  organisation: 'Too many shapes of this organisation are being prepared at once.',
  global: 'Too many shapes are being prepared at once.',
  wait: 'The shape waited too long for its turn to be prepared.',
  budget: 'This organisation has used its share of time for preparing shapes.',
};

export class SnapshotQueueFull extends Error {
  constructor(
    readonly scope: keyof typeof REFUSALS,
    readonly retryAfterSeconds = 2,
  ) {
    super(REFUSALS[scope]);
    this.name = 'SnapshotQueueFull';
  }
}

type Waiter = { start: () => void; enqueuedAt: number; timer: NodeJS.Timeout };

export class SnapshotQueue {
  private running = 0;
  private readonly runningByOrg = new Map<string, number>();
  /** Organisations with waiting snapshots, in the order they first queued. */
  private readonly waiting = new Map<string, Waiter[]>();
  /** When each organisation with work here last started a snapshot (a sequence number). */
  private readonly lastStart = new Map<string, number>();
  private starts = 0;
  private waitingCount = 0;
  private readonly perOrgRunning: number;

  constructor(
    private readonly options: SnapshotQueueOptions,
    private readonly observer: SnapshotQueueObserver = {},
  ) {
    this.perOrgRunning = options.perOrgRunning ?? Math.ceil(options.connections / 2);
  }

  /** Snapshots waiting for a connection. */
  get depth(): number {
    return this.waitingCount;
  }

  get active(): number {
    return this.running;
  }

  /** Why a new snapshot of `orgId` would be refused now, or undefined when it would be admitted. */
  refusal(orgId: string): SnapshotQueueFull | undefined {
    if (this.canStart(orgId) && !this.waiting.has(orgId)) return undefined;
    if ((this.waiting.get(orgId)?.length ?? 0) >= this.options.perOrgQueued)
      return new SnapshotQueueFull('organisation');
    if (this.waitingCount >= this.options.maxQueued) return new SnapshotQueueFull('global');
    return undefined;
  }

  /** Runs `work` when its turn comes; rejects at once with SnapshotQueueFull past a bound. */
  run<T>(orgId: string, work: () => Promise<T>): Promise<T> {
    const refused = this.refusal(orgId);
    if (refused) return Promise.reject(refused);
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        this.running++;
        this.lastStart.set(orgId, ++this.starts);
        this.runningByOrg.set(orgId, (this.runningByOrg.get(orgId) ?? 0) + 1);
        work()
          .then(resolve, reject)
          .finally(() => this.finish(orgId));
      };
      if (this.canStart(orgId) && !this.waiting.has(orgId)) {
        this.observer.waited?.(0);
        start();
        return;
      }
      const waiter: Waiter = {
        start,
        enqueuedAt: performance.now(),
        timer: setTimeout(() => {
          this.remove(orgId, waiter);
          reject(new SnapshotQueueFull('wait'));
        }, this.options.maxWaitMs),
      };
      const list = this.waiting.get(orgId);
      if (list) list.push(waiter);
      else this.waiting.set(orgId, [waiter]);
      this.waitingCount++;
    });
  }

  private remove(orgId: string, waiter: Waiter) {
    const list = this.waiting.get(orgId);
    const index = list?.indexOf(waiter) ?? -1;
    if (!list || index < 0) return;
    list.splice(index, 1);
    this.waitingCount--;
    if (list.length === 0) {
      this.waiting.delete(orgId);
      if (!this.runningByOrg.has(orgId)) this.lastStart.delete(orgId);
    }
  }

  private canStart(orgId: string): boolean {
    return (
      this.running < this.options.connections && (this.runningByOrg.get(orgId) ?? 0) < this.perOrgRunning
    );
  }

  private finish(orgId: string) {
    this.running--;
    const left = (this.runningByOrg.get(orgId) ?? 1) - 1;
    if (left > 0) this.runningByOrg.set(orgId, left);
    else {
      this.runningByOrg.delete(orgId);
      if (!this.waiting.has(orgId)) this.lastStart.delete(orgId);
    }
    this.startNext();
  }

  /**
   * Starts waiting snapshots while connections are free: each time, the organisation whose last
   * snapshot started longest ago (never: first) goes next — round-robin by organisation.
   */
  private startNext() {
    while (this.running < this.options.connections) {
      let next: [string, Waiter[]] | undefined;
      for (const entry of this.waiting) {
        const [orgId] = entry;
        if ((this.runningByOrg.get(orgId) ?? 0) >= this.perOrgRunning) continue;
        if (!next || (this.lastStart.get(orgId) ?? 0) < (this.lastStart.get(next[0]) ?? 0)) next = entry;
      }
      if (!next) return;
      const [orgId, list] = next;
      const waiter = list.shift() as Waiter;
      this.waitingCount--;
      if (list.length === 0) this.waiting.delete(orgId);
      clearTimeout(waiter.timer);
      this.observer.waited?.((performance.now() - waiter.enqueuedAt) / 1000);
      waiter.start();
    }
  }
}
