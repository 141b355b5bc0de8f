// Owns the routing of one committed transaction into the shape logs it concerns, without holding
// the event loop: each change goes only to the logs of its table and organisation(s), each log's
// entries are computed change by change, and whenever routing has run for `sliceMs` it yields
// (setImmediate) so requests waiting on the loop are served in between. A log receives a
// transaction's entries all at once, after they are all computed, so clients never see part of
// one; transactions are routed one after another, in commit order (see ShapeRegistry.receive).
import type { Transaction } from './replication.ts';
import type { Entry, ShapeLog } from './shape-log.ts';
import { tenantColumnOf } from './shape-messages.ts';

/** The logs a transaction may concern, with the indexes of its changes for each. */
export type TouchedLogs = Map<ShapeLog, number[]>;

export const routeKeyOf = (table: string, orgId: string) => `${table}\u0000${orgId}`;

export const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Each change to the logs of its table and organisation(s), keeping its index (op position). */
export function touchedLogs(tx: Transaction, routes: Map<string, Set<ShapeLog>>): TouchedLogs {
  const touched: TouchedLogs = new Map();
  const changes = tx.changes;
  for (let i = 0; i < changes.length; i++) {
    const change = changes[i] as Transaction['changes'][number];
    const tenantColumn = tenantColumnOf(change.table);
    const after = change.op === 'delete' ? undefined : change.new[tenantColumn];
    const before = change.op === 'insert' ? undefined : change.old?.[tenantColumn];
    for (const org of before && before !== after ? [after, before] : [after ?? before]) {
      if (!org) continue;
      const route = routes.get(routeKeyOf(change.table, org));
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

export type RouteStats = { slices: number; longestSliceMs: number };

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
  const stats: RouteStats = { slices: 1, longestSliceMs: 0 };
  let sliceStart = performance.now();
  const pause = async () => {
    const elapsed = performance.now() - sliceStart;
    if (elapsed < sliceMs) return;
    stats.longestSliceMs = Math.max(stats.longestSliceMs, elapsed);
    stats.slices++;
    await yieldToEventLoop();
    sliceStart = performance.now();
  };
  for (const [log, indexes] of touched) {
    if (!log.accepts(tx)) continue;
    const entries: Entry[] = [];
    for (const i of indexes) {
      const entry = log.entryAt(tx, i);
      if (entry) entries.push(entry);
      await pause();
      if (log.dropped) break;
    }
    if (log.append(tx, entries)) appended(log);
  }
  stats.longestSliceMs = Math.max(stats.longestSliceMs, performance.now() - sliceStart);
  return stats;
}
