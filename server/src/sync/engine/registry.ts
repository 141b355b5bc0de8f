// Owns the engine's shape logs: finding or creating the log of a shape (one per shape and replica
// mode, shared by all its clients) and starting its snapshot, the (table, partition) index that
// routes each replicated change only to the logs it may concern (RouteIndex), the queue of received
// transactions routed one after another (routing.ts), the transactions of the last few seconds
// replayed into new logs, the shape budgets (budgets.ts), and eviction (idle, over the change
// cap, too many shapes, over a byte budget, reset) or compaction over the change cap.
// Snapshots are admitted through snapshot-admission.ts (the fair queue and each organisation's
// share of snapshot time): a shape whose snapshot cannot even queue is refused before its log exists. With a ShapeLogStore, every ready
// log, append, compaction and eviction is reported to it; restore() takes them back after a restart.
import type { Database } from '../../db/database.ts';
import { isPoolAcquireTimeout, isStatementTimeout } from '../../db/overload.ts';
import type { Logger } from '../../ops/logger.ts';
import type { Metrics } from '../../ops/metrics.ts';
import type { EngineOptions } from '../../sync-settings.ts';
import type { ShapeDefinition } from '../upstream.ts';
import { ShapeBudgets } from './budgets.ts';
import type { ShapeLogStore, StoredLog } from './log-store.ts';
import { type Replica, relationKey, type TableInfo } from './log-types.ts';
import type { EngineMetrics, EvictionReason } from './metrics.ts';
import type { Transaction } from './replication.ts';
import { RouteIndex, replayPending, routeTransaction } from './routing.ts';
import type { EngineScope } from './scope.ts';
import { parsePgSnapshot, ShapeLog } from './shape-log.ts';
import { loadTableInfo, readSnapshot } from './snapshot.ts';
import { SnapshotAdmission } from './snapshot-admission.ts';

type RegistryDeps = {
  db: Database;
  log: Logger;
  metrics: EngineMetrics;
  /** The app's database counters (statement and acquire timeouts). */
  dbMetrics: Pick<Metrics, 'statementTimeouts' | 'poolAcquireTimeouts'>;
  options: EngineOptions;
  /** What the caller tells the engine (engine/scope.ts): snapshot runner, partition column. */
  scope: EngineScope;
  /** Where logs are persisted, when they are. */
  store?: ShapeLogStore;
};

export class ShapeRegistry {
  /** Every log by key, least recently used first. */
  private readonly logs = new Map<string, ShapeLog>();
  private readonly routes: RouteIndex;
  private readonly tables = new Map<string, Promise<TableInfo>>();
  /** Transactions of the last few seconds, replayed into new logs against their snapshot. */
  private recent: Array<{ at: number; tx: Transaction }> = [];
  /** Received transactions not yet routed, in commit order. */
  private queue: Array<{ at: number; tx: Transaction }> = [];
  private routing = false;
  /** Held while persisted logs are restored: received transactions wait in the queue. */
  private paused = false;
  /** End LSN of the last transaction routed: every change up to it is in the logs. */
  routedLsn = 0;
  readonly budgets: ShapeBudgets;
  private readonly snapshots: SnapshotAdmission;

  constructor(private readonly deps: RegistryDeps) {
    this.routes = new RouteIndex((table) => deps.scope.partitionColumn?.(table));
    this.budgets = new ShapeBudgets(
      deps.options,
      () => this.logs.values(),
      (key) => this.logs.has(key),
      (log, reason) => this.dropLog(log, reason),
    );
    this.snapshots = new SnapshotAdmission(deps.options, deps.db.appPool.options.max ?? 10, deps.metrics);
  }

  /** Snapshots waiting for their turn. */
  get snapshotQueueDepth(): number {
    return this.snapshots.depth;
  }

  get size(): number {
    return this.logs.size;
  }

  /** Bytes held by all shape logs. */
  get bytes(): number {
    return this.budgets.totalBytes;
  }

  /** Transactions received and not yet routed. */
  get backlog(): number {
    return this.queue.length;
  }

  /** Nothing received is waiting or being routed. */
  get caughtUp(): boolean {
    return this.queue.length === 0 && !this.routing && !this.paused;
  }

  pause() {
    this.paused = true;
  }

  resume() {
    this.paused = false;
    if (!this.routing && this.queue.length > 0) void this.routeQueue();
  }

  /**
   * Persisted logs back in, under their handles, ready for their clients; `filterOf` compiles a
   * stored shape's where again. A log that cannot be restored is deleted from the store.
   */
  async restore(stored: StoredLog[], filterOf: (shape: StoredLog['shape']) => ShapeDefinition['filter']) {
    for (const saved of stored) {
      if (this.logs.has(saved.key)) continue;
      try {
        const { shape } = saved;
        const table = await this.tableInfo(shape.table, undefined);
        const def: ShapeDefinition = {
          table: shape.table,
          columns: shape.columns,
          orgId: shape.orgId,
          filter: filterOf(shape),
          key: saved.key.slice(0, saved.key.lastIndexOf('\u0000')),
          ...(shape.changesOnly ? { changesOnly: true } : {}),
        };
        const log = new ShapeLog(saved.key, def, saved.replica, table, saved.handle);
        this.register(log);
        log.setSnapshotRows(parsePgSnapshot(saved.pgSnapshot), saved.rows, this.deps.options.chunkBytes);
        log.restoreEntries(saved.entries);
        log.markReady();
        this.follow(log);
      } catch (error) {
        this.deps.log.warn(
          { err: error, handle: saved.handle },
          'sync engine: a stored shape log could not be restored',
        );
        const log = this.logs.get(saved.key);
        if (log) this.dropLog(log, 'reset');
      }
    }
  }

  /** The store follows the log's appends from now on. */
  private follow(log: ShapeLog) {
    const store = this.deps.store;
    if (!store) return;
    log.onAppend = (entries) => store.appended(log, entries);
  }

  private register(log: ShapeLog) {
    this.logs.set(log.key, log);
    this.budgets.add(log);
    this.routes.add(log);
  }

  /** Drops the logs `which` selects (their clients get 409 at their next request). */
  dropLogs(which: (log: ShapeLog) => boolean) {
    for (const log of [...this.logs.values()]) if (which(log)) this.dropLog(log, 'reset');
  }

  /** Drops every log (their clients get 409 at their next request). */
  dropAll() {
    for (const log of this.logs.values()) log.drop();
    this.logs.clear();
    this.routes.clear();
    this.budgets.clear();
    this.queue = [];
  }

  /** Every log is dropped: changes may have been missed, so every client must refetch. */
  resetAll() {
    if (this.logs.size > 0) this.deps.metrics.evicted.inc({ reason: 'reset' }, this.logs.size);
    this.dropAll();
    this.recent = [];
  }

  private dropLog(log: ShapeLog, reason: EvictionReason | 'snapshot failed') {
    if (log.dropped) return;
    if (reason !== 'snapshot failed') this.deps.metrics.evicted.inc({ reason });
    if (this.logs.get(log.key) === log) this.logs.delete(log.key);
    this.routes.delete(log);
    log.drop();
    this.budgets.remove(log);
    this.deps.store?.dropped(log);
    this.deps.log.debug(
      { handle: log.handle, table: log.def.table, reason },
      'sync engine: shape log dropped',
    );
  }

  /** Takes one committed transaction (in commit order); `now` is when it was received. */
  receive(tx: Transaction, now: number) {
    this.queue.push({ at: now, tx });
    if (!this.routing && !this.paused) void this.routeQueue();
  }

  private async routeQueue() {
    this.routing = true;
    try {
      while (!this.paused && this.queue.length > 0) {
        const next = this.queue.shift() as { at: number; tx: Transaction };
        try {
          await this.route(next.tx, next.at);
        } catch (error) {
          this.deps.log.error({ err: error }, 'sync engine: routing a transaction failed');
        }
        this.routedLsn = Math.max(this.routedLsn, next.tx.endLsn);
      }
    } finally {
      this.routing = false;
    }
  }

  /** Routes one transaction to the logs it concerns, yielding to other work between slices. */
  private async route(tx: Transaction, now: number) {
    // Schema changes and truncates reset the logs of those tables.
    for (const table of [...tx.truncated, ...tx.relationsChanged]) {
      if (tx.relationsChanged.includes(table)) this.tables.delete(table);
      for (const log of [...this.logs.values()]) if (log.relation === table) this.dropLog(log, 'reset');
    }
    this.recent.push({ at: now, tx });
    while (
      this.recent.length > 0 &&
      ((this.recent[0]?.at ?? now) < now - 5_000 || this.recent.length > 5_000)
    ) {
      this.recent.shift();
    }
    const touched = this.routes.touched(tx);
    if (touched.size === 0) return;
    const started = performance.now();
    const stats = await routeTransaction(tx, touched, this.deps.options.routeSliceMs, (log) =>
      this.afterGrowth(log),
    );
    this.deps.metrics.routeSeconds.observe((performance.now() - started) / 1000);
    this.deps.metrics.routeSliceSeconds.observe(stats.longestSliceMs / 1000);
  }

  /**
   * A log that grew: over the change cap it is compacted, and reset only when compaction leaves
   * more than half the cap (so it is not compacted again at nearly every transaction); then the
   * byte budgets are enforced.
   */
  private afterGrowth(log: ShapeLog) {
    const cap = this.deps.options.maxLogChanges;
    if (log.changeCount > cap) {
      log.compact();
      this.deps.metrics.compactions.inc();
      this.deps.store?.compacted(log);
      if (log.changeCount > cap / 2) return this.dropLog(log, 'cap');
    }
    this.budgets.enforce(log);
  }

  sweep() {
    const { options } = this.deps;
    const now = Date.now();
    for (const log of [...this.logs.values()]) {
      if (log.liveSubscribers === 0 && now - log.lastAccess > options.idleMs) this.dropLog(log, 'idle');
    }
    if (this.logs.size > options.maxShapes) {
      const idle = [...this.logs.values()]
        .filter((log) => log.liveSubscribers === 0)
        .sort((a, b) => a.lastAccess - b.lastAccess);
      for (const log of idle.slice(0, this.logs.size - options.maxShapes)) this.dropLog(log, 'cap');
    }
  }

  /** A table's columns and key (cached until its relation changes), with its partition column. */
  tableInfo(table: string, schema: string | undefined): Promise<TableInfo> {
    const name = relationKey(schema, table);
    let info = this.tables.get(name);
    if (!info) {
      const partitionColumn = this.deps.scope.partitionColumn?.(name);
      info = loadTableInfo(this.deps.db, table, schema).then((loaded) => ({ ...loaded, partitionColumn }));
      info.catch(() => this.tables.delete(name));
      this.tables.set(name, info);
    }
    return info;
  }

  /**
   * The shape's log, created (and its snapshot started) on first use; it becomes the most
   * recently used. With a user, their shape budget is checked first. Throws TooManyShapes.
   */
  async logFor(def: ShapeDefinition, replica: Replica, userId?: string): Promise<ShapeLog> {
    const key = `${def.key}\u0000${replica}`;
    const table = await this.tableInfo(def.table, def.schema);
    // From here on nothing awaits: the budgets are checked and taken in one step.
    const now = Date.now();
    if (userId !== undefined) this.budgets.admitUser(userId, key, now);
    const existing = this.logs.get(key);
    if (existing) {
      this.logs.delete(key);
      this.logs.set(key, existing);
      this.budgets.touch(existing);
      return existing;
    }
    this.snapshots.check(def.orgId);
    this.budgets.admitNewLog(def.orgId, now);
    const log = new ShapeLog(key, def, replica, table);
    this.register(log);
    // Recent transactions may have committed before the snapshot but not yet be visible to it
    // (commit record flushed, procarray not yet updated): replay them against the snapshot.
    const since = Date.now() - 5_000;
    log.pending = this.recent.filter((r) => r.at >= since).map((r) => r.tx);
    void this.takeSnapshot(log);
    if (this.logs.size > this.deps.options.maxShapes) this.sweep();
    return log;
  }

  /**
   * Runs a one-off read (a subset snapshot) through the same fair admission and the same share
   * of snapshot time as shape snapshots (snapshot-admission.ts); `read` gets its statement_timeout.
   */
  admitRead<T>(orgId: string, read: (timeoutMs: number) => Promise<T>): Promise<T> {
    return this.snapshots.admit(orgId, read);
  }

  /** The snapshot read, its chunks served as they come (ShapeLog.chunkEndFrom). */
  private readSnapshotInto(log: ShapeLog, timeoutMs: number) {
    const { chunkBytes } = this.deps.options;
    return readSnapshot(this.deps.scope.runSnapshot, log.def, log.table.primaryKey, timeoutMs, {
      begin: (snapshot) => log.beginSnapshot(parsePgSnapshot(snapshot)),
      rows: (batch) => {
        if (log.dropped) return false; // evicted meanwhile: the rest is not read
        log.addSnapshotRows(batch, chunkBytes);
        return true;
      },
    });
  }

  private async takeSnapshot(log: ShapeLog) {
    const started = performance.now();
    const { def } = log;
    try {
      // Evicted while it waited: no connection is spent on it.
      const read = await this.snapshots.queued(
        def.orgId,
        (timeoutMs) => this.readSnapshotInto(log, timeoutMs),
        () => !log.dropped,
      );
      if (!read || log.dropped) return;
      log.endSnapshotRows();
      await replayPending(log, this.deps.options.routeSliceMs);
      if (log.dropped) return;
      this.deps.store?.saved(log);
      this.follow(log);
      this.deps.metrics.snapshotSeconds.observe((performance.now() - started) / 1000);
      this.afterGrowth(log);
    } catch (error) {
      if (isStatementTimeout(error)) this.deps.dbMetrics.statementTimeouts.inc({ pool: 'snapshot' });
      if (isPoolAcquireTimeout(error)) this.deps.dbMetrics.poolAcquireTimeouts.inc({ pool: 'app' });
      this.deps.log.warn({ err: error, table: def.table }, 'sync engine: snapshot failed');
      log.failSnapshot(error as Error);
      this.dropLog(log, 'snapshot failed');
    }
  }
}
