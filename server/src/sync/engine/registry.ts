// Owns the engine's shape logs: finding or creating the log of a shape (one per shape and replica
// mode, shared by all its clients) and starting its snapshot, the (table, organisation) index that
// routes each replicated change only to the logs it may concern, the transactions of the last few
// seconds replayed into new logs, and eviction (idle, over the change cap, too many shapes).
import type { Database } from '../../db/database.ts';
import type { Logger } from '../../ops/logger.ts';
import type { ShapeDefinition } from '../upstream.ts';
import type { EngineMetrics } from './metrics.ts';
import type { EngineOptions } from './options.ts';
import type { Transaction } from './replication.ts';
import { parsePgSnapshot, type Replica, ShapeLog, type TableInfo } from './shape-log.ts';
import { tenantColumnOf } from './shape-messages.ts';
import { loadTableInfo, readSnapshot } from './snapshot.ts';

type RegistryDeps = { db: Database; log: Logger; metrics: EngineMetrics; options: EngineOptions };

const routeKeyOf = (table: string, orgId: string) => `${table}\u0000${orgId}`;

export class ShapeRegistry {
  private readonly logs = new Map<string, ShapeLog>();
  /** (table, organisation) → logs, for routing changes. */
  private readonly routes = new Map<string, Set<ShapeLog>>();
  private readonly tables = new Map<string, Promise<TableInfo>>();
  /** Transactions of the last few seconds, replayed into new logs against their snapshot. */
  private recent: Array<{ at: number; tx: Transaction }> = [];

  constructor(private readonly deps: RegistryDeps) {}

  get size(): number {
    return this.logs.size;
  }

  /** Drops every log (their clients get 409 at their next request). */
  dropAll() {
    for (const log of this.logs.values()) log.drop();
    this.logs.clear();
    this.routes.clear();
  }

  /** Every log is dropped: changes may have been missed, so every client must refetch. */
  resetAll() {
    this.dropAll();
    this.recent = [];
  }

  private dropLog(log: ShapeLog, reason: string) {
    if (this.logs.get(log.key) === log) this.logs.delete(log.key);
    const routeKey = routeKeyOf(log.def.table, log.def.orgId);
    const route = this.routes.get(routeKey);
    route?.delete(log);
    if (route && route.size === 0) this.routes.delete(routeKey);
    log.drop();
    this.deps.log.debug(
      { handle: log.handle, table: log.def.table, reason },
      'sync engine: shape log dropped',
    );
  }

  /** Applies one committed transaction to the logs it concerns; `now` is when it was received. */
  apply(tx: Transaction, now: number) {
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
        const route = this.routes.get(routeKeyOf(change.table, org));
        if (!route) continue;
        for (const log of route) {
          const list = touched.get(log);
          if (!list) touched.set(log, [i]);
          else if (list.at(-1) !== i) list.push(i);
        }
      }
    }
    for (const [log, indexes] of touched) {
      if (log.apply(tx, indexes) && log.changeCount > this.deps.options.maxLogChanges)
        this.dropLog(log, 'log over its cap');
    }
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
      for (const log of idle.slice(0, this.logs.size - options.maxShapes))
        this.dropLog(log, 'too many shapes');
    }
  }

  tableInfo(table: string): Promise<TableInfo> {
    let info = this.tables.get(table);
    if (!info) {
      info = loadTableInfo(this.deps.db, table);
      info.catch(() => this.tables.delete(table));
      this.tables.set(table, info);
    }
    return info;
  }

  /** The shape's log, created (and its snapshot started) on first use. */
  async logFor(def: ShapeDefinition, replica: Replica): Promise<ShapeLog> {
    const key = `${def.key}\u0000${replica}`;
    const existing = this.logs.get(key);
    if (existing) return existing;
    const table = await this.tableInfo(def.table);
    const again = this.logs.get(key);
    if (again) return again;
    const log = new ShapeLog(key, def, replica, table);
    this.logs.set(key, log);
    const routeKey = routeKeyOf(def.table, def.orgId);
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
    if (this.logs.size > this.deps.options.maxShapes) this.sweep();
    return log;
  }

  private async takeSnapshot(log: ShapeLog) {
    const started = performance.now();
    const { def } = log;
    try {
      const { snapshot, rows } = await readSnapshot(this.deps.db, def, log.table.primaryKey);
      if (log.dropped) return;
      log.completeSnapshot(parsePgSnapshot(snapshot), rows, this.deps.options.chunkBytes);
      this.deps.metrics.snapshotSeconds.observe((performance.now() - started) / 1000);
      if (log.changeCount > this.deps.options.maxLogChanges) this.dropLog(log, 'log over its cap');
    } catch (error) {
      this.deps.log.warn({ err: error, table: def.table }, 'sync engine: snapshot failed');
      this.dropLog(log, 'snapshot failed');
      log.failSnapshot(error as Error);
    }
  }
}
