// Owns the routing of one committed transaction into the shape logs it concerns, without holding
// the event loop: each change goes only to the logs of its table and partition(s) (the
// caller's partition column, engine/scope.ts: the tenant gate's organisation), each log's
// entries are computed change by change, and whenever routing has run for `sliceMs` it yields
// (setImmediate) so requests waiting on the loop are served in between. A log receives a
// transaction's entries all at once, after they are all computed, so clients never see part of
// one; transactions are routed one after another, in commit order (see ShapeRegistry.receive).

import type { Entry } from './log-types.ts';
import type { Transaction } from './replication.ts';
import type { ShapeLog } from './shape-log.ts';

/** The logs a transaction may concern, with the indexes of its changes for each. */
export type TouchedLogs = Map<ShapeLog, number[]>;

/** `table` is the engine's name of it (relationKey); `partition` '' when the table has none. */
export const routeKeyOf = (table: string, partition: string) => `${table}\u0001${partition}`;

/** The partition column of a table (the engine's name of it), or undefined. */
export type PartitionColumnOf = (table: string) => string | undefined;

export const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Each change to the logs of its table and partition(s), keeping its index (op position). */
export function touchedLogs(
  tx: Transaction,
  routes: Map<string, Set<ShapeLog>>,
  partitionColumnOf: PartitionColumnOf,
): TouchedLogs {
  const touched: TouchedLogs = new Map();
  const changes = tx.changes;
  for (let i = 0; i < changes.length; i++) {
    const change = changes[i] as Transaction['changes'][number];
    const column = partitionColumnOf(change.table);
    const after = column === undefined ? '' : change.op === 'delete' ? undefined : change.new[column];
    const before = column === undefined ? '' : change.op === 'insert' ? undefined : change.old?.[column];
    for (const partition of before && before !== after ? [after, before] : [after ?? before]) {
      if (partition === undefined || partition === null || (column !== undefined && partition === ''))
        continue;
      const route = routes.get(routeKeyOf(change.table, partition));
      if (!route) continue;
      for (const log of route) {
        const list = touched.get(log);
        if (!list) touched.set(log, [i]);
        else if (list.at(-1) !== i) list.push(i);
      }
    }
  }
  return touched;
}

/** (table, partition) → logs: the logs each change may concern. */
export class RouteIndex {
  private readonly routes = new Map<string, Set<ShapeLog>>();

  constructor(private readonly partitionColumnOf: PartitionColumnOf) {}

  private keyOf(log: ShapeLog): string {
    return routeKeyOf(log.relation, log.table.partitionColumn === undefined ? '' : log.def.orgId);
  }

  add(log: ShapeLog) {
    const key = this.keyOf(log);
    let route = this.routes.get(key);
    if (!route) {
      route = new Set();
      this.routes.set(key, route);
    }
    route.add(log);
  }

  delete(log: ShapeLog) {
    const key = this.keyOf(log);
    const route = this.routes.get(key);
    route?.delete(log);
    if (route && route.size === 0) this.routes.delete(key);
  }

  clear() {
    this.routes.clear();
  }

  touched(tx: Transaction): TouchedLogs {
    return touchedLogs(tx, this.routes, this.partitionColumnOf);
  }
}

export type RouteStats = { slices: number; longestSliceMs: number };

/** Counts time on the event loop and yields once a slice of `sliceMs` is used. */
class Slicer {
  readonly stats: RouteStats = { slices: 1, longestSliceMs: 0 };
  private sliceStart = performance.now();

  constructor(private readonly sliceMs: number) {}

  async pause() {
    const elapsed = performance.now() - this.sliceStart;
    if (elapsed < this.sliceMs) return;
    this.stats.longestSliceMs = Math.max(this.stats.longestSliceMs, elapsed);
    this.stats.slices++;
    await yieldToEventLoop();
    this.sliceStart = performance.now();
  }

  finish(): RouteStats {
    this.stats.longestSliceMs = Math.max(this.stats.longestSliceMs, performance.now() - this.sliceStart);
    return this.stats;
  }
}

/** The log's entries for the given changes of the transaction, computed in slices. */
async function entriesFor(log: ShapeLog, tx: Transaction, indexes: Iterable<number>, slicer: Slicer) {
  const entries: Entry[] = [];
  for (const i of indexes) {
    const entry = log.entryAt(tx, i);
    if (entry) entries.push(entry);
    await slicer.pause();
    if (log.dropped) break;
  }
  return entries;
}

/**
 * Appends the transaction to every touched log, yielding after each `sliceMs` of work;
 * `appended(log)` runs after a log took entries. Resolves when every log has its entries.
 */
export async function routeTransaction(
  tx: Transaction,
  touched: TouchedLogs,
  sliceMs: number,
  appended: (log: ShapeLog) => void,
): Promise<RouteStats> {
  const slicer = new Slicer(sliceMs);
  for (const [log, indexes] of touched) {
    if (!log.accepts(tx)) continue;
    const entries = await entriesFor(log, tx, indexes, slicer);
    if (log.append(tx, entries)) appended(log);
  }
  return slicer.finish();
}

/**
 * After a log's snapshot: the transactions kept meanwhile (and those routed to it while they
 * are replayed) appended in order, in slices; then the log is ready for its clients.
 */
export async function replayPending(log: ShapeLog, sliceMs: number): Promise<RouteStats> {
  const slicer = new Slicer(sliceMs);
  for (let tx = log.nextPending(); tx && !log.dropped; tx = log.nextPending()) {
    const entries = await entriesFor(log, tx, tx.changes.keys(), slicer);
    log.append(tx, entries);
  }
  log.markReady();
  return slicer.finish();
}
