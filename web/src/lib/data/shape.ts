// Owns how a table becomes a live TanStack DB collection over /api/electric/sync.
//
// - The Authorization header is a *function*: the Electric client calls it before every
//   request, so a running stream picks up a refreshed token without restarting.
// - A 401 (token expired or revoked) goes through onError: the session refreshes and the stream
//   resumes from the same offset; when the session is over the stream stops.
// - The last synced rows are kept in a ShapeCache (IndexedDB) and written into the collection
//   before the stream starts, so data is readable offline and at once after a reload. When the
//   stream delivers its first batch, that batch replaces the cached rows in one transaction
//   (truncate + snapshot), so nothing stale survives.
// - Each synced transaction's writes reach the store in key order (write-order.ts: a 50,000-row
//   snapshot in arrival order spent ~0.4 s splicing keys into TanStack DB's sorted key array).

import type { SyncedTable } from '@sertantai/core';
import { BTreeIndex, type Collection, createCollection } from '@tanstack/db';
import { type ElectricCollectionUtils, electricCollectionOptions } from '@tanstack/electric-db-collection';
import { answerProvenTiesLocally } from './proven-ties';
import { type ShapeWiring, shapeOptions } from './shape-options';
import { orderPendingWrites } from './write-order';

export type { ShapeWiring };
export { shapeOptions };

type Row = { id: string };
export type PendingWrite = {
  key: string;
  modified: Record<string, unknown>;
  changes: Record<string, unknown>;
  original: Record<string, unknown>;
};
export type WriteHandler = (params: {
  transaction: { mutations: PendingWrite[] };
}) => Promise<{ txid: number[]; timeout: number } | undefined>;
type Handlers = { onInsert?: WriteHandler; onUpdate?: WriteHandler; onDelete?: WriteHandler };

export type SyncedCollectionOptions = Handlers & {
  /** Start syncing at once (true) or when the first live query needs it (false). */
  eager: boolean;
  /** How long an unused on-demand collection keeps its stream open (ms). */
  gcTime?: number;
  /** `on-demand`: a changes-only stream plus subset snapshots of what live queries ask for. */
  syncMode?: 'eager' | 'on-demand';
  /** Only these columns (the primary key among them): a narrow shape of the table. */
  columns?: readonly string[];
  /** The collection's id and offline-copy name, when it is not the table's (a narrow shape). */
  name?: string;
};

/**
 * A TanStack DB collection (electric-db-collection) for `table`, with the offline copy.
 */
export function syncedCollection<T extends Row>(
  table: SyncedTable,
  wiring: ShapeWiring,
  options: SyncedCollectionOptions,
): SyncedCollection<T> {
  // biome-ignore lint/suspicious/noExplicitAny: the library's generics do not fit plain row types
  const base = electricCollectionOptions<any>({
    id: options.name ?? table,
    getKey: (row: T) => row.id,
    shapeOptions: shapeOptions(table, wiring, options.columns),
    syncMode: options.syncMode ?? 'eager',
    onInsert: options.onInsert,
    onUpdate: options.onUpdate,
    onDelete: options.onDelete,
  });

  if (options.syncMode === 'on-demand') {
    // The library's own sync as it is: it hands TanStack DB the loadSubset handler that turns
    // live queries into subset snapshots. No offline copy (it would be a few pages at most).
    // Indexes on what pages sort by (created as live queries ask): an ordered, limited query
    // then loads exactly its page; without one TanStack DB asks the server for a second page
    // after the first (one more round trip before the first screen).
    // The page's tie request is answered locally (proven-ties.ts: server and collection order
    // a page the same way, by its column and then id).
    const originalSync = base.sync.sync;
    // biome-ignore lint/suspicious/noExplicitAny: sync params and result are passed through
    const sync = (params: any) => {
      const result = originalSync(params);
      if (!result || typeof result !== 'object' || typeof result.loadSubset !== 'function') return result;
      return { ...result, loadSubset: answerProvenTiesLocally(result.loadSubset, params.collection) };
    };
    return createCollection({
      ...base,
      sync: { ...base.sync, sync },
      autoIndex: 'eager',
      defaultIndexType: BTreeIndex,
      startSync: options.eager,
      gcTime: options.gcTime ?? (options.eager ? Number.POSITIVE_INFINITY : 150),
    }) as unknown as SyncedCollection<T>;
  }

  const cache = wiring.cache;
  const key = `${wiring.cacheKey ?? 'anonymous'}:${options.name ?? table}`;
  const originalSync = base.sync.sync;

  // biome-ignore lint/suspicious/noExplicitAny: sync params are passed through unchanged
  const sync = (params: any) => {
    const commitInKeyOrder = (...args: unknown[]) => {
      orderPendingWrites(params.collection);
      return params.commit(...args);
    };
    // Without an offline copy (the dashboard's narrow shape) nothing else is kept: no mirror of
    // the rows, which only exists to be saved.
    if (!cache) return originalSync({ ...params, commit: commitInKeyOrder });

    const mirror = new Map<string, Record<string, unknown>>();
    let replaceCached = false;
    let stopped = false;
    let saveTimer: ReturnType<typeof setTimeout> | undefined;
    let cleanup: unknown;

    const persist = () => {
      if (saveTimer) clearTimeout(saveTimer);
      saveTimer = setTimeout(() => {
        saveTimer = undefined;
        void cache.save(key, { rows: [...mirror.values()], savedAt: Date.now() });
      }, 500);
    };

    const wrapped = {
      ...params,
      begin: (...args: unknown[]) => {
        params.begin(...args);
        if (replaceCached) {
          // The first batch from the server replaces the offline copy atomically.
          replaceCached = false;
          params.truncate();
          mirror.clear();
        }
      },
      write: (message: { type: string; value?: Record<string, unknown> }) => {
        if (message.value) {
          const id = String(message.value.id);
          if (message.type === 'delete') mirror.delete(id);
          else mirror.set(id, { ...(mirror.get(id) ?? {}), ...message.value });
        }
        params.write(message);
      },
      truncate: () => {
        mirror.clear();
        params.truncate();
      },
      commit: (...args: unknown[]) => {
        const receipt = commitInKeyOrder(...args);
        persist();
        return receipt;
      },
    };

    const start = () => {
      if (stopped) return;
      const result = originalSync(wrapped);
      cleanup = result;
    };

    void cache.load(key).then((cached) => {
      if (stopped) return;
      if (cached && cached.rows.length > 0) {
        params.begin();
        for (const value of cached.rows) {
          mirror.set(String(value.id), value);
          params.write({ type: 'insert', value });
        }
        commitInKeyOrder();
        params.markReady();
        replaceCached = true;
      }
      start();
    });

    return () => {
      stopped = true;
      if (saveTimer) {
        clearTimeout(saveTimer);
        saveTimer = undefined;
        void cache.save(key, { rows: [...mirror.values()], savedAt: Date.now() });
      }
      if (typeof cleanup === 'function') cleanup();
      else if (cleanup && typeof (cleanup as { cleanup?: () => void }).cleanup === 'function') {
        (cleanup as { cleanup: () => void }).cleanup();
      }
    };
  };

  return createCollection({
    ...base,
    sync: { ...base.sync, sync },
    startSync: options.eager,
    gcTime: options.gcTime ?? (options.eager ? Number.POSITIVE_INFINITY : 150),
  }) as unknown as SyncedCollection<T>;
}

export type SyncedCollection<T extends Row> = Collection<T, string, ElectricCollectionUtils>;
