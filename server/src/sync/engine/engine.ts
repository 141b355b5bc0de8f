// Owns the built-in Electric-compatible engine for one machine: its lifecycle (a lazily started
// logical replication stream, restart after failure, stop), health, and the answer to each
// Electric protocol request (snapshot chunks, catch-up, live long-poll and SSE, 409). Shape logs
// and routing live in registry.ts, live waits in live.ts, the fixed answers in protocol.ts; with
// `persist`, the logs survive a restart or a fail-over (persistence.ts).
// Implements ShapeUpstream in-process.

import { randomInt } from 'node:crypto';
import type { Database } from '../../db/database.ts';
import type { HealthCheck } from '../../http/health.ts';
import type { Logger } from '../../ops/logger.ts';
import type { Metrics } from '../../ops/metrics.ts';
import { defaultEngineOptions, type EngineOptions } from '../../sync-settings.ts';
import {
  type ShapeDefinition,
  type ShapeRequester,
  type ShapeUpstream,
  type SubsetDefinition,
  TooManyShapes,
} from '../upstream.ts';
import { ReplicationLag } from './lag.ts';
import { LiveSubscribers } from './live.ts';
import type { Replica } from './log-types.ts';
import { createEngineMetrics, type EngineMetrics } from './metrics.ts';
import { LogPersistence } from './persistence.ts';
import {
  badRequest,
  changesChunk,
  mustRefetch,
  parseProtocol,
  respond,
  snapshotChunk,
  snapshotError,
  snapshotQueueFull,
  unavailable,
  upToDateNow,
} from './protocol.ts';
import { ShapeRegistry } from './registry.ts';
import { ReplicationStream, type Transaction } from './replication.ts';
import type { WhereCompiler } from './routes.ts';
import type { EngineScope } from './scope.ts';
import { columnsOf, type ShapeLog } from './shape-log.ts';
import { readSubset, type SubsetSnapshot } from './snapshot.ts';
import { SnapshotQueueFull } from './snapshot-queue.ts';
import { type WalStatus, WalStatusReader } from './wal-status.ts';

export { defaultEngineOptions, type EngineOptions } from '../../sync-settings.ts';

export type EngineDeps = {
  db: Database;
  log: Logger;
  metrics: Metrics;
  /** When given, the engine registers its health check here. */
  healthChecks?: HealthCheck[];
  options?: Partial<EngineOptions>;
  /**
   * Persist the shape logs of this election group in PostgreSQL, on its permanent replication
   * slot (one engine of the group at a time must run: the election sees to it).
   */
  persist?: { group: string; intervalMs?: number };
  /** Compiles a stored shape's where again on restore (default: the internal route's compiler). */
  compileWhere?: WhereCompiler;
  /** What the caller tells the engine: publication, snapshot runner, partition column (scope.ts). */
  scope: EngineScope;
};

export type EngineState = 'idle' | 'starting' | 'running' | 'failed' | 'stopped';

export class ShapeEngine implements ShapeUpstream {
  readonly options: EngineOptions;
  state: EngineState = 'idle';
  /** Row changes read from replication since start (the metric's value, for benchmarks). */
  changesProcessed = 0;
  private stream: ReplicationStream | undefined;
  private starting: Promise<void> | undefined;
  private lastError: string | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryAt = 0;
  /** Bumped by standDown(): streams and starts of an earlier leadership are ignored. */
  private generation = 0;
  private sweepTimer: NodeJS.Timeout | undefined;
  private readonly metrics: EngineMetrics;
  /** The shape logs (the conformance mode reads table columns and drops shapes through it). */
  readonly registry: ShapeRegistry;
  private readonly live: LiveSubscribers;
  private readonly lag = new ReplicationLag();
  private readonly walStatus: WalStatusReader;
  /** The last stream's slot and WAL position, kept after it fails (the lag keeps growing from there). */
  private lastSlot: string | undefined;
  private lastPosition = 0;
  private readonly persistence: LogPersistence | undefined;

  constructor(private readonly deps: EngineDeps) {
    this.options = { ...defaultEngineOptions, ...deps.options };
    this.walStatus = new WalStatusReader(deps.db.ownerPool);
    this.metrics = createEngineMetrics(deps.metrics.registry, {
      shapes: () => this.registry.size,
      live: () => this.live.count,
      bytes: () => this.registry.bytes,
      wal: () => (this.lastSlot === undefined ? undefined : this.walStatus.read(this.stream?.slotName)),
      lagSeconds: (wal) => this.lagSeconds(wal),
      snapshotQueueDepth: () => this.registry.snapshotQueueDepth,
    });
    this.persistence = deps.persist
      ? new LogPersistence({ db: deps.db, log: deps.log, compileWhere: deps.compileWhere, ...deps.persist })
      : undefined;
    this.registry = new ShapeRegistry({
      db: deps.db,
      log: deps.log,
      metrics: this.metrics,
      dbMetrics: deps.metrics,
      options: this.options,
      scope: deps.scope,
      store: this.persistence?.store,
    });
    this.persistence?.attach(this.registry);
    this.live = new LiveSubscribers(this.options);
    deps.healthChecks?.push({ name: 'sync_engine', check: async () => this.health() });
  }

  health(): { ok: boolean; detail: Record<string, unknown> } {
    return {
      ok: this.state !== 'failed',
      detail: {
        state: this.state,
        shapes: this.registry.size,
        log_bytes: this.registry.bytes,
        routing_backlog: this.registry.backlog,
        live_subscribers: this.live.count,
        ...(this.stream ? { slot: this.stream.slotName } : {}),
        persisted: this.persistence !== undefined,
        ...(this.state === 'failed' && this.lastError ? { error: this.lastError } : {}),
      },
    };
  }

  /** Starts replication now (otherwise the first shape request does). */
  start(): Promise<void> {
    if (this.state === 'running') return Promise.resolve();
    if (this.state === 'stopped') return Promise.reject(new Error('sync engine stopped'));
    if (this.starting) return this.starting;
    this.state = 'starting';
    const starting: Promise<void> = this.startStream(this.generation).finally(() => {
      if (this.starting === starting) this.starting = undefined;
    });
    this.starting = starting;
    return starting;
  }

  /** A stream started before standDown() belongs to an old leadership: it feeds nothing. */
  private async startStream(generation: number): Promise<void> {
    const persistence = this.persistence;
    let stream: ReplicationStream | undefined;
    // Received transactions wait while stored logs are restored (they may concern them).
    if (persistence) this.registry.pause();
    try {
      const slot = await persistence?.prepare();
      if (slot?.created) this.registry.resetAll(); // a new slot: logs held may have missed changes
      const events = {
        onTransaction: (tx: Transaction) => {
          if (generation === this.generation) this.onTransaction(tx);
        },
        onError: (error: Error) => this.onReplicationError(stream as ReplicationStream, error),
      };
      stream = new ReplicationStream(this.deps.db.ownerUrl, this.deps.scope.publication, events, slot);
      await stream.start();
      if (this.state === 'stopped') {
        void stream.stop();
        return;
      }
      if (generation === this.generation) await persistence?.restore(this.registry);
      if (generation !== this.generation) throw new Error('sync engine stood down while starting');
      this.stream = stream;
      this.lastSlot = stream.slotName;
      this.lag.started(Date.now());
      this.state = 'running';
      this.lastError = undefined;
      persistence?.run(stream);
      this.deps.log.info({ slot: stream.slotName }, 'sync engine: replication started');
      this.sweepTimer ??= setInterval(() => this.registry.sweep(), this.options.sweepMs).unref();
    } catch (error) {
      void stream?.stop();
      if (generation === this.generation) this.markFailed(error as Error);
      throw error;
    } finally {
      if (persistence) this.registry.resume();
    }
  }

  async stop(): Promise<void> {
    const wasRunning = this.state === 'running';
    this.state = 'stopped';
    clearTimeout(this.retryTimer);
    clearInterval(this.sweepTimer);
    // A clean stop writes what is queued, so the next leader reads less again from the slot.
    if (wasRunning) await this.persistence?.finish().catch(() => {});
    else await this.persistence?.halt();
    this.registry.dropAll();
    this.live.closeAll();
    await this.starting?.catch(() => {});
    await this.stream?.stop();
    this.stream = undefined;
  }

  /**
   * Another process leads now: drop every log (their clients refetch from the new leader) and
   * end replication. Unlike stop(), a later request may start the engine again.
   */
  async standDown(): Promise<void> {
    if (this.state === 'stopped') return;
    this.generation += 1;
    clearTimeout(this.retryTimer);
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    const stream = this.stream;
    this.stream = undefined;
    this.starting = undefined; // a start in progress sees the new generation and ends its stream
    this.state = 'idle';
    this.lastError = undefined;
    this.lastSlot = undefined; // a follower reads no WAL: no lag to report
    // Nothing more is written before the new leader restores: its slot is not ours any more.
    const halted = this.persistence?.halt();
    this.registry.resetAll();
    this.live.closeAll();
    await halted;
    await stream?.stop();
  }

  private markFailed(error: Error) {
    if (this.state === 'stopped') return;
    this.state = 'failed';
    this.lastError = error.message;
    this.deps.log.error({ err: error }, 'sync engine: replication failed');
    // Persisted logs are kept: the slot gives every change after them again on restart.
    if (this.persistence) this.persistence.detach();
    else this.registry.resetAll();
    this.retryAt = Date.now() + this.options.restartDelayMs;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      if (this.state === 'failed') this.start().catch(() => {});
    }, this.options.restartDelayMs).unref();
  }

  /** 0 unless the engine has run and the server holds WAL it has not read (see lag.ts). */
  private lagSeconds(wal: WalStatus | undefined): number {
    if (this.lastSlot === undefined || this.state === 'stopped') return 0;
    if (this.stream) this.lastPosition = this.stream.position;
    return this.lag.seconds(Date.now(), wal?.serverLsn, this.lastPosition);
  }

  private onReplicationError(stream: ReplicationStream, error: Error) {
    if (stream !== this.stream) return;
    this.lastPosition = stream.position;
    this.stream = undefined;
    void stream.stop();
    this.markFailed(error);
  }

  private onTransaction(tx: Transaction) {
    const now = Date.now();
    this.lag.processed(tx.commitTime);
    this.metrics.changes.inc(tx.changes.length);
    this.changesProcessed += tx.changes.length;
    this.registry.receive(tx, now);
  }

  async fetchShape(
    asked: ShapeDefinition,
    params: URLSearchParams,
    signal: AbortSignal,
    requester?: ShapeRequester,
    subset?: SubsetDefinition,
  ): Promise<Response> {
    const parsed = parseProtocol(params);
    if ('errors' in parsed) return badRequest(parsed.errors);
    const protocol = parsed;
    if (subset && protocol.live) return badRequest({ live: ['a subset snapshot is never live'] });
    // A changes-only log is another log of the same shape (another handle), as in Electric.
    const def: ShapeDefinition = protocol.changesOnly
      ? { ...asked, key: `${asked.key}\u0000changes_only`, changesOnly: true }
      : asked;
    if (this.state === 'failed' && Date.now() < this.retryAt) {
      return unavailable('Live sync is recovering from a database interruption. Try again in a few seconds.');
    }
    try {
      await this.start();
    } catch {
      return unavailable('The live sync service is starting or recovering. Try again in a few seconds.');
    }
    let log: ShapeLog;
    try {
      log = await this.registry.logFor(def, protocol.replica, requester?.userId);
    } catch (error) {
      if (error instanceof TooManyShapes) throw error;
      if (error instanceof SnapshotQueueFull) return snapshotQueueFull(error);
      return badRequest({ table: [(error as Error).message] });
    }
    log.lastAccess = Date.now();

    if (protocol.offset.kind === 'at' && protocol.handle !== log.handle) return mustRefetch(log.handle);
    log.schemaJson ??= JSON.stringify(columnsOf(def, log.table));
    const schema = log.schemaJson;
    // A snapshot chunk is served as soon as its rows are read, before the rest of the snapshot.
    const at = protocol.offset;
    const from = subset
      ? undefined
      : at.kind === 'start'
        ? 0
        : at.kind === 'at' && at.lsn === 0
          ? at.op
          : undefined;
    if (from !== undefined) {
      try {
        await log.snapshotReadTo(from);
      } catch (error) {
        return snapshotError(error as Error);
      }
      if (log.dropped) return this.refetchFor(def, protocol.replica);
      // The first request gets the first chunk even of an empty snapshot (snapshot-end alone).
      const end = log.chunkEndFrom(from) ?? (at.kind === 'start' ? log.rows.length : undefined);
      if (end !== undefined)
        return snapshotChunk(log, from, end, schema, at.kind === 'start' ? '-1' : `0_${from}`);
      if (from > log.rows.length) return mustRefetch(log.handle);
    }
    try {
      await log.ready;
    } catch (error) {
      return snapshotError(error as Error);
    }
    if (log.dropped) return this.refetchFor(def, protocol.replica);
    if (subset) return this.subsetAnswer(log, subset, schema);
    // (a start is always answered above, once the snapshot is read at the latest)
    if (protocol.offset.kind === 'start')
      return snapshotChunk(log, 0, log.chunkEndFrom(0) ?? log.rows.length, schema, '-1');
    if (protocol.offset.kind === 'now') return upToDateNow(log, schema, protocol);
    const { lsn, op } = protocol.offset;
    const requested = `${lsn}_${op}`;
    if (protocol.live && protocol.sse) {
      return this.live.sse(log, { lsn, op }, requested, protocol.cursor, signal);
    }

    let start = lsn === 0 ? 0 : log.positionAfter(lsn, op);
    if (protocol.live && start >= log.entries.length) {
      await this.live.hold(log, signal);
      if (log.dropped) return this.refetchFor(def, protocol.replica);
      start = lsn === 0 ? 0 : log.positionAfter(lsn, op);
    }
    return changesChunk(log, start, this.options.chunkBytes, { schema, requested, protocol });
  }

  /**
   * A subset snapshot of the log's shape, read through snapshot admission. Its offset is the
   * log's head when the read starts: the client follows the log from there, and drops the
   * changes the subset already contains (by the metadata's snapshot and LSN).
   */
  private async subsetAnswer(log: ShapeLog, subset: SubsetDefinition, schema: string): Promise<Response> {
    const offset = log.headOffset();
    const mark = randomInt(0, 2 ** 31 - 1);
    let read: SubsetSnapshot;
    try {
      read = await this.registry.admitRead(log.def.orgId, (timeoutMs) =>
        readSubset(this.deps.scope.runSnapshot, log.def, log.table.primaryKey, subset, mark, timeoutMs),
      );
    } catch (error) {
      return snapshotError(error as Error);
    }
    this.metrics.subsetRows.observe(read.rows.length);
    return respond(200, `{"metadata":${JSON.stringify(read.metadata)},"data":[${read.rows.join(',')}]}`, {
      'electric-handle': log.handle,
      'electric-offset': offset,
      'electric-schema': schema,
      'electric-snapshot': 'true',
      'cache-control': 'no-cache',
    });
  }

  /** After a reset: answer 409 with the handle of the shape's fresh log. */
  private async refetchFor(def: ShapeDefinition, replica: Replica): Promise<Response> {
    // Stood down: without persisted logs the new leader has other handles, so the client starts
    // over (once); with them the new leader restores these very handles, so the client only retries.
    if (this.state === 'idle') {
      if (this.persistence)
        return unavailable('Live sync is moving to another process. Try again in a moment.');
      return mustRefetch(undefined);
    }
    if (this.state !== 'running')
      return unavailable('The live sync service is recovering. Try again in a few seconds.');
    const fresh = await this.registry.logFor(def, replica).catch(() => undefined);
    return mustRefetch(fresh?.handle);
  }
}
