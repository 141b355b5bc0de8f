// Owns the built-in Electric-compatible engine for one machine: a lazily started logical
// replication stream, one shape log per shape (shared by all its clients), the answers to
// Electric protocol requests (snapshot chunks, catch-up, live long-poll and SSE, 409), the
// eviction of idle or oversized logs, metrics and health. Implements ShapeUpstream in-process.
import type { Database } from '../../db/database.ts';
import { tenantTransaction } from '../../db/tenant.ts';
import type { HealthCheck } from '../../ops/health.ts';
import type { Logger } from '../../ops/logger.ts';
import type { Metrics } from '../../ops/metrics.ts';
import type { ShapeDefinition, ShapeUpstream } from '../upstream.ts';
import { createEngineMetrics, type EngineMetrics } from './metrics.ts';
import { ReplicationStream, type Transaction } from './replication.ts';
import {
  columnsOf,
  type Entry,
  parsePgSnapshot,
  type Replica,
  ShapeLog,
  snapshotMessageSql,
  type TableInfo,
  tenantColumnOf,
} from './shape-log.ts';

export type EngineOptions = {
  /** How long a live long-poll is held before answering up-to-date (Electric: ~20 s). */
  liveTimeoutMs: number;
  /** How long one SSE response stays open before the client reconnects. */
  sseMaxMs: number;
  /** SSE keep-alive comment interval. */
  sseKeepAliveMs: number;
  /** A log with no request for this long (and no live subscriber) is evicted. */
  idleMs: number;
  /** A log with more change entries than this is reset: its clients refetch (409). */
  maxLogChanges: number;
  /** At most this many shape logs; beyond it the least recently used idle ones are evicted. */
  maxShapes: number;
  /** Approximate size of one response body. */
  chunkBytes: number;
  /** Sweep period for eviction. */
  sweepMs: number;
  /** Wait before restarting a failed replication stream. */
  restartDelayMs: number;
};

export const defaultEngineOptions: EngineOptions = {
  liveTimeoutMs: 20_000,
  sseMaxMs: 60_000,
  sseKeepAliveMs: 21_000,
  idleMs: 10 * 60_000,
  maxLogChanges: 10_000,
  maxShapes: 50_000,
  chunkBytes: 10 * 1024 * 1024,
  sweepMs: 30_000,
  restartDelayMs: 2_000,
};

export type EngineDeps = {
  db: Database;
  log: Logger;
  metrics: Metrics;
  clock?: { now(): Date };
  /** When given, the engine registers its health check here. */
  healthChecks?: HealthCheck[];
  options?: Partial<EngineOptions>;
};

export type EngineState = 'idle' | 'starting' | 'running' | 'failed' | 'stopped';

type Protocol = {
  offset: { kind: 'start' } | { kind: 'now' } | { kind: 'at'; lsn: number; op: number };
  handle: string | undefined;
  live: boolean;
  sse: boolean;
  replica: Replica;
  cursor: string | undefined;
};

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };
const UP_TO_DATE = '{"headers":{"control":"up-to-date"}}';
const MUST_REFETCH = '[{"headers":{"control":"must-refetch"}}]';
const encoder = new TextEncoder();

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
  private sweepTimer: NodeJS.Timeout | undefined;
  private readonly logs = new Map<string, ShapeLog>();
  /** (table, organisation) → logs, for routing changes. */
  private readonly routes = new Map<string, Set<ShapeLog>>();
  private readonly tables = new Map<string, Promise<TableInfo>>();
  /** Transactions of the last few seconds, replayed into new logs against their snapshot. */
  private recent: Array<{ at: number; tx: Transaction }> = [];
  private readonly metrics: EngineMetrics;
  private liveCount = 0;
  private readonly openStreams = new Set<() => void>();

  constructor(private readonly deps: EngineDeps) {
    this.options = { ...defaultEngineOptions, ...deps.options };
    this.metrics = createEngineMetrics(deps.metrics.registry, {
      shapes: () => this.logs.size,
      live: () => this.liveCount,
    });
    deps.healthChecks?.push({ name: 'sync_engine', check: async () => this.health() });
  }

  health(): { ok: boolean; detail: Record<string, unknown> } {
    return {
      ok: this.state !== 'failed',
      detail: {
        state: this.state,
        shapes: this.logs.size,
        live_subscribers: this.liveCount,
        ...(this.stream ? { slot: this.stream.slotName } : {}),
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
    const stream = new ReplicationStream(this.deps.db.ownerUrl, {
      onTransaction: (tx) => this.onTransaction(tx),
      onError: (error) => this.onReplicationError(stream, error),
    });
    this.starting = stream
      .start()
      .then(() => {
        if (this.state === 'stopped') {
          void stream.stop();
          return;
        }
        this.stream = stream;
        this.state = 'running';
        this.lastError = undefined;
        this.deps.log.info({ slot: stream.slotName }, 'sync engine: replication started');
        this.sweepTimer ??= setInterval(() => this.sweep(), this.options.sweepMs).unref();
      })
      .catch((error: Error) => {
        void stream.stop();
        this.markFailed(error);
        throw error;
      })
      .finally(() => {
        this.starting = undefined;
      });
    return this.starting;
  }

  async stop(): Promise<void> {
    this.state = 'stopped';
    clearTimeout(this.retryTimer);
    clearInterval(this.sweepTimer);
    for (const log of this.logs.values()) log.drop();
    this.logs.clear();
    this.routes.clear();
    for (const close of [...this.openStreams]) close();
    await this.starting?.catch(() => {});
    await this.stream?.stop();
    this.stream = undefined;
  }

  private markFailed(error: Error) {
    if (this.state === 'stopped') return;
    this.state = 'failed';
    this.lastError = error.message;
    this.deps.log.error({ err: error }, 'sync engine: replication failed');
    this.resetAll();
    this.retryAt = Date.now() + this.options.restartDelayMs;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      if (this.state === 'failed') this.start().catch(() => {});
    }, this.options.restartDelayMs).unref();
  }

  private onReplicationError(stream: ReplicationStream, error: Error) {
    if (stream !== this.stream) return;
    this.stream = undefined;
    void stream.stop();
    this.markFailed(error);
  }

  /** Every log is dropped: changes may have been missed, so every client must refetch. */
  private resetAll() {
    for (const log of this.logs.values()) log.drop();
    this.logs.clear();
    this.routes.clear();
    this.recent = [];
  }

  private dropLog(log: ShapeLog, reason: string) {
    if (this.logs.get(log.key) === log) this.logs.delete(log.key);
    const route = this.routes.get(`${log.def.table}\u0000${log.def.orgId}`);
    route?.delete(log);
    if (route && route.size === 0) this.routes.delete(`${log.def.table}\u0000${log.def.orgId}`);
    log.drop();
    this.deps.log.debug(
      { handle: log.handle, table: log.def.table, reason },
      'sync engine: shape log dropped',
    );
  }

  private onTransaction(tx: Transaction) {
    const now = Date.now();
    this.metrics.lag.set(Math.max(0, (now - tx.commitTime) / 1000));
    this.metrics.changes.inc(tx.changes.length);
    this.changesProcessed += tx.changes.length;
    // Schema changes and truncates reset the logs of those tables.
    for (const table of [...tx.truncated, ...tx.relationsChanged]) {
      if (tx.relationsChanged.includes(table)) this.tables.delete(table);
      for (const log of [...this.logs.values()])
        if (log.def.table === table) this.dropLog(log, 'truncate or schema change');
    }
    this.recent.push({ at: now, tx });
    while (
      this.recent.length > 0 &&
      ((this.recent[0]?.at ?? now) < now - 5_000 || this.recent.length > 5_000)
    ) {
      this.recent.shift();
    }
    // Route each change only to the logs of its table and organisation(s), keeping its index
    // in the transaction (its op position).
    const touched = new Map<ShapeLog, number[]>();
    const changes = tx.changes;
    for (let i = 0; i < changes.length; i++) {
      const change = changes[i] as Transaction['changes'][number];
      const tenantColumn = tenantColumnOf(change.table);
      const after = change.op === 'delete' ? undefined : change.new[tenantColumn];
      const before = change.op === 'insert' ? undefined : change.old?.[tenantColumn];
      for (const org of before && before !== after ? [after, before] : [after ?? before]) {
        if (!org) continue;
        const route = this.routes.get(`${change.table}\u0000${org}`);
        if (!route) continue;
        for (const log of route) {
          const list = touched.get(log);
          if (!list) touched.set(log, [i]);
          else if (list.at(-1) !== i) list.push(i);
        }
      }
    }
    for (const [log, indexes] of touched) {
      if (log.apply(tx, indexes) && log.changeCount > this.options.maxLogChanges)
        this.dropLog(log, 'log over its cap');
    }
  }

  private sweep() {
    const now = Date.now();
    for (const log of [...this.logs.values()]) {
      if (log.liveSubscribers === 0 && now - log.lastAccess > this.options.idleMs) this.dropLog(log, 'idle');
    }
    if (this.logs.size > this.options.maxShapes) {
      const idle = [...this.logs.values()]
        .filter((log) => log.liveSubscribers === 0)
        .sort((a, b) => a.lastAccess - b.lastAccess);
      for (const log of idle.slice(0, this.logs.size - this.options.maxShapes))
        this.dropLog(log, 'too many shapes');
    }
  }

  /** Every column of a table, in order (for requests that name none). */
  async columnNames(table: string): Promise<string[]> {
    return [...(await this.tableInfo(table)).columns.keys()];
  }

  private tableInfo(table: string): Promise<TableInfo> {
    let info = this.tables.get(table);
    if (!info) {
      info = loadTableInfo(this.deps.db, table);
      info.catch(() => this.tables.delete(table));
      this.tables.set(table, info);
    }
    return info;
  }

  private async logFor(def: ShapeDefinition, replica: Replica): Promise<ShapeLog> {
    const key = `${def.key}\u0000${replica}`;
    const existing = this.logs.get(key);
    if (existing) return existing;
    const table = await this.tableInfo(def.table);
    const again = this.logs.get(key);
    if (again) return again;
    const log = new ShapeLog(key, def, replica, table);
    this.logs.set(key, log);
    const routeKey = `${def.table}\u0000${def.orgId}`;
    let route = this.routes.get(routeKey);
    if (!route) {
      route = new Set();
      this.routes.set(routeKey, route);
    }
    route.add(log);
    // Recent transactions may have committed before the snapshot but not yet be visible to it
    // (commit record flushed, procarray not yet updated): replay them against the snapshot.
    const since = Date.now() - 5_000;
    log.pending = this.recent.filter((r) => r.at >= since).map((r) => r.tx);
    void this.takeSnapshot(log);
    if (this.logs.size > this.options.maxShapes) this.sweep();
    return log;
  }

  private async takeSnapshot(log: ShapeLog) {
    const started = performance.now();
    const { def } = log;
    const message = snapshotMessageSql(def.table, def.columns, log.table.primaryKey);
    const where = def.filter.sql.trim() === '' ? '' : ` WHERE (${def.filter.sql})`;
    try {
      const { snapshot, rows } = await tenantTransaction(
        this.deps.db.appPool,
        { orgId: def.orgId },
        async (tx) => {
          await tx.query(
            `SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL IntervalStyle = 'postgres'`,
          );
          const snap = await tx.query<{ snapshot: string }>('SELECT pg_current_snapshot()::text AS snapshot');
          const result = await tx.query<[string]>({
            text: `SELECT ${message} FROM public.${quoteIdent(def.table)}${where}`,
            values: def.filter.params,
            rowMode: 'array',
          });
          return { snapshot: snap.rows[0]?.snapshot ?? '0:0:', rows: result.rows.map((row) => row[0]) };
        },
        { isolation: 'repeatable read', readOnly: true },
      );
      if (log.dropped) return;
      log.completeSnapshot(parsePgSnapshot(snapshot), rows, this.options.chunkBytes);
      this.metrics.snapshotSeconds.observe((performance.now() - started) / 1000);
      if (log.changeCount > this.options.maxLogChanges) this.dropLog(log, 'log over its cap');
    } catch (error) {
      this.deps.log.warn({ err: error, table: def.table }, 'sync engine: snapshot failed');
      this.dropLog(log, 'snapshot failed');
      log.failSnapshot(error as Error);
    }
  }

  async fetchShape(def: ShapeDefinition, params: URLSearchParams, signal: AbortSignal): Promise<Response> {
    const parsed = parseProtocol(params);
    if ('errors' in parsed) return badRequest(parsed.errors);
    const protocol = parsed;
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
      log = await this.logFor(def, protocol.replica);
    } catch (error) {
      return badRequest({ table: [(error as Error).message] });
    }
    log.lastAccess = Date.now();

    if (protocol.offset.kind === 'at' && protocol.handle !== log.handle) return mustRefetch(log.handle);
    try {
      await log.ready;
    } catch (error) {
      return snapshotError(error as Error);
    }
    if (log.dropped) return this.refetchFor(def, protocol.replica);
    log.schemaJson ??= JSON.stringify(columnsOf(def, log.table));
    const schema = log.schemaJson;

    if (protocol.offset.kind === 'start') return this.snapshotChunk(log, 0, schema);
    if (protocol.offset.kind === 'now') {
      return respond(200, `[${UP_TO_DATE}]`, {
        'electric-handle': log.handle,
        'electric-offset': log.headOffset(),
        'electric-schema': schema,
        'electric-up-to-date': '',
        'cache-control': 'no-store',
        ...(protocol.live ? { 'electric-cursor': nextCursor(protocol.cursor) } : {}),
      });
    }
    const { lsn, op } = protocol.offset;
    if (lsn === 0 && op < log.rows.length) return this.snapshotChunk(log, op, schema);
    if (lsn === 0 && op > log.rows.length) return mustRefetch(log.handle);
    const requested = `${lsn}_${op}`;
    if (protocol.live && protocol.sse) return this.sse(log, lsn, op, requested, protocol, signal);

    let start = lsn === 0 ? 0 : log.positionAfter(lsn, op);
    if (protocol.live && start >= log.entries.length) {
      log.liveSubscribers++;
      this.liveCount++;
      try {
        await this.waitForChange(log, signal);
      } finally {
        log.liveSubscribers--;
        this.liveCount--;
      }
      if (log.dropped) return this.refetchFor(def, protocol.replica);
      start = lsn === 0 ? 0 : log.positionAfter(lsn, op);
    }
    const slice = log.sliceFrom(start, this.options.chunkBytes);
    const complete = slice.end >= log.entries.length;
    const parts = complete ? [...slice.parts, UP_TO_DATE] : slice.parts;
    const headers: Record<string, string> = {
      'electric-handle': log.handle,
      'electric-offset': slice.offset ?? requested,
    };
    if (complete) headers['electric-up-to-date'] = '';
    if (protocol.live) {
      headers['electric-cursor'] = nextCursor(protocol.cursor);
      headers['cache-control'] = 'public, max-age=5, stale-while-revalidate=5';
    } else {
      headers['electric-schema'] = schema;
      headers['cache-control'] = 'public, max-age=60, stale-while-revalidate=300';
    }
    return respond(200, `[${parts.join(',')}]`, headers);
  }

  /** After a reset: answer 409 with the handle of the shape's fresh log. */
  private async refetchFor(def: ShapeDefinition, replica: Replica): Promise<Response> {
    if (this.state !== 'running')
      return unavailable('The live sync service is recovering. Try again in a few seconds.');
    const fresh = await this.logFor(def, replica).catch(() => undefined);
    return mustRefetch(fresh?.handle);
  }

  private snapshotChunk(log: ShapeLog, from: number, schema: string): Response {
    const end = log.chunkEnds.find((e) => e > from) ?? log.rows.length;
    const rows = log.rows.slice(from, end);
    if (end >= log.rows.length) {
      const s = log.snapshot;
      const [xmin = '0', xmax = '0', xip = ''] = (s?.text ?? '0:0:').split(':');
      rows.push(
        JSON.stringify({
          headers: { control: 'snapshot-end', xmin, xmax, xip_list: xip === '' ? [] : xip.split(',') },
        }),
      );
    }
    return respond(200, `[${rows.join(',')}]`, {
      'electric-handle': log.handle,
      'electric-offset': `0_${end}`,
      'electric-schema': schema,
      'cache-control': 'public, max-age=60, stale-while-revalidate=300',
    });
  }

  private waitForChange(log: ShapeLog, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        log.waiters.delete(done);
        signal.removeEventListener('abort', done);
        this.openStreams.delete(done);
        resolve();
      };
      if (signal.aborted) return resolve();
      const timer = setTimeout(done, this.options.liveTimeoutMs);
      log.waiters.add(done);
      this.openStreams.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private sse(
    log: ShapeLog,
    lsn: number,
    op: number,
    requested: string,
    protocol: Protocol,
    signal: AbortSignal,
  ): Response {
    let position = lsn === 0 ? 0 : log.positionAfter(lsn, op);
    let cleanup = () => {};
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        let closed = false;
        const send = (text: string) => {
          if (!closed) controller.enqueue(encoder.encode(text));
        };
        const flush = (force: boolean) => {
          if (log.dropped) return close();
          if (position >= log.entries.length && !force) return;
          let text = '';
          for (; position < log.entries.length; position++)
            text += `data: ${(log.entries[position] as Entry).json}\n\n`;
          const end = log.lastEndLsn();
          const upToDate =
            end === undefined
              ? UP_TO_DATE
              : `{"headers":{"control":"up-to-date","global_last_seen_lsn":"${end}"}}`;
          send(`${text}data: ${upToDate}\n\n`);
          log.lastAccess = Date.now();
        };
        const keepAlive = setInterval(() => send(': keep-alive\n\n'), this.options.sseKeepAliveMs);
        const maxTimer = setTimeout(() => close(), this.options.sseMaxMs);
        const wake = () => flush(false);
        const close = () => {
          if (closed) return;
          closed = true;
          cleanup();
          try {
            controller.close();
          } catch {}
        };
        cleanup = () => {
          clearInterval(keepAlive);
          clearTimeout(maxTimer);
          log.waiters.delete(wake);
          this.openStreams.delete(close);
          signal.removeEventListener('abort', close);
          log.liveSubscribers--;
          this.liveCount--;
          cleanup = () => {};
        };
        log.liveSubscribers++;
        this.liveCount++;
        log.waiters.add(wake);
        this.openStreams.add(close);
        signal.addEventListener('abort', close, { once: true });
        if (signal.aborted) return close();
        flush(true);
      },
      cancel: () => cleanup(),
    });
    return new Response(body, {
      status: 200,
      headers: {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        'x-accel-buffering': 'no',
        // An SSE connection is never reused: closing it with the stream keeps no half-dead
        // keep-alive socket around to hold up server shutdown.
        connection: 'close',
        'electric-handle': log.handle,
        'electric-offset': requested,
        'electric-cursor': nextCursor(protocol.cursor),
      },
    });
  }
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

async function loadTableInfo(db: Database, table: string): Promise<TableInfo> {
  const { rows } = await db.appPool.query<{
    name: string;
    type: string;
    not_null: boolean;
    dims: number;
    pk_index: number | null;
  }>(
    `SELECT a.attname AS name, t.typname AS type, a.attnotnull AS not_null, a.attndims AS dims,
            array_position(i.indkey::int2[], a.attnum) AS pk_index
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
       JOIN pg_type t ON t.oid = a.atttypid
       LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
      WHERE c.relname = $1 AND c.relkind = 'r'
      ORDER BY a.attnum`,
    [table],
  );
  if (rows.length === 0) throw new Error(`unknown table ${table}`);
  const columns = new Map<string, { type: string; not_null?: boolean; pk_index?: number; dims?: number }>();
  const primaryKey: Array<[number, string]> = [];
  for (const row of rows) {
    const array = row.type.startsWith('_');
    const info: { type: string; not_null?: boolean; pk_index?: number; dims?: number } = {
      type: array ? row.type.slice(1) : row.type,
    };
    if (row.not_null) info.not_null = true;
    if (row.pk_index !== null) {
      info.pk_index = row.pk_index;
      primaryKey.push([row.pk_index, row.name]);
    }
    if (array) info.dims = Math.max(1, row.dims);
    columns.set(row.name, info);
  }
  primaryKey.sort((a, b) => a[0] - b[0]);
  return { columns, primaryKey: primaryKey.map(([, name]) => name) };
}

function parseProtocol(params: URLSearchParams): Protocol | { errors: Record<string, string[]> } {
  const errors: Record<string, string[]> = {};
  const rawOffset = params.get('offset');
  let offset: Protocol['offset'] = { kind: 'start' };
  if (rawOffset === null) errors.offset = ['offset is required'];
  else if (rawOffset === '-1') offset = { kind: 'start' };
  else if (rawOffset === 'now') offset = { kind: 'now' };
  else {
    const match = /^(\d{1,20})_(\d{1,20})$/.exec(rawOffset);
    if (!match) errors.offset = ['has invalid format'];
    else offset = { kind: 'at', lsn: Number(match[1]), op: Number(match[2]) };
  }
  const handle = params.get('handle') ?? undefined;
  if (offset.kind === 'at' && !handle) errors.handle = ["can't be blank when offset != -1"];
  const liveRaw = params.get('live');
  if (liveRaw !== null && liveRaw !== 'true' && liveRaw !== 'false') errors.live = ['must be true or false'];
  const live = liveRaw === 'true';
  if (live && offset.kind === 'start') errors.live = ["can't be true when offset == -1"];
  const sse = params.get('live_sse') === 'true' || params.get('experimental_live_sse') === 'true';
  const replicaRaw = params.get('replica') ?? 'default';
  if (replicaRaw !== 'default' && replicaRaw !== 'full') errors.replica = ['must be default or full'];
  if (Object.keys(errors).length > 0) return { errors };
  return {
    offset,
    handle,
    live,
    sse,
    replica: replicaRaw as Replica,
    cursor: params.get('cursor') ?? undefined,
  };
}

const CURSOR_EPOCH = Date.UTC(2024, 9, 9);

/** Live cache-buster: a 20 s interval number, never equal to the one the client sent. */
function nextCursor(previous: string | undefined): string {
  const interval = Math.ceil((Date.now() - CURSOR_EPOCH) / 20_000);
  if (previous !== undefined && String(interval) === previous) {
    return String(interval + 1 + Math.floor(Math.random() * 3600));
  }
  return String(interval);
}

function respond(status: number, body: string, headers: Record<string, string>): Response {
  return new Response(body, { status, headers: { ...JSON_HEADERS, ...headers } });
}

function badRequest(errors: Record<string, string[]>): Response {
  return respond(400, JSON.stringify({ message: 'Invalid request', errors }), {
    'cache-control': 'no-store',
  });
}

function mustRefetch(handle: string | undefined): Response {
  return respond(409, MUST_REFETCH, {
    'cache-control': 'no-store',
    ...(handle ? { 'electric-handle': handle } : {}),
  });
}

function unavailable(message: string): Response {
  return respond(503, JSON.stringify({ message }), { 'cache-control': 'no-store', 'retry-after': '5' });
}

/** A snapshot the database refused: bad input (22xxx, 42xxx) is the client's; the rest is transient. */
function snapshotError(error: Error): Response {
  const code = (error as { code?: string }).code ?? '';
  if (code.startsWith('22') || code.startsWith('42')) {
    return badRequest({ where: [`the shape could not be read: ${error.message}`] });
  }
  return unavailable('The shape could not be read from the database right now. Try again in a few seconds.');
}
