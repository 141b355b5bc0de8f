// Owns a live, read-only list of rows for one screen, fed either by a TanStack DB collection or
// straight from an Electric ShapeStream (`shapeFeed`).
//
// Why a shape is ever read without TanStack DB: the browser keeps its organisation's data in
// TanStack DB (the register, and every view that writes, with optimistic writes confirmed by
// txid). The dashboard's narrow projection of a large register (matrix-rows.ts) is read-only and
// has no offline copy. Loaded through electric-db-collection and TanStack DB, with the writes
// already in key order (write-order.ts), it still spent ~0.58 s of a 2.9 s load at 50,000
// controls in Chromium's profile (bench/web.ts, BENCH_PROFILE: processMessages and the
// collection's commit; per row a message copy, metadata, origin and virtual-property
// bookkeeping and a change event, and the garbage they leave), against a goal of 2 s for the
// whole load. Read here, each message is one Map write (~40 ms for the 50,000), and the list is
// published once per up-to-date, as the collection commits.

import {
  isChangeMessage,
  isControlMessage,
  type Message,
  type Row,
  ShapeStream,
  type ShapeStreamOptions,
} from '@electric-sql/client';
import type { Collection } from '@tanstack/db';

export type RowFeed<T> = {
  /** The rows now: a new array after each change; an unchanged row keeps its object. */
  readonly rows: readonly T[];
  /** Whether the first complete set of rows is in. */
  readonly ready: boolean;
  /** Calls `listener` after each change (and when ready). The first listener starts the feed. */
  subscribe(listener: () => void): () => void;
};

/** A collection as a feed: its rows kept by key from its change events, one update per tick. */
export function collectionFeed<T extends object>(collection: Collection<T, string>): RowFeed<T> {
  let rows = collection.toArray as T[];
  const listeners = new Set<() => void>();
  let stop: (() => void) | undefined;
  const notify = () => {
    for (const listener of listeners) listener();
  };
  const start = () => {
    let scheduled = false;
    const byKey = new Map<string | number, T>();
    const flush = () => {
      scheduled = false;
      rows = Array.from(byKey.values());
      notify();
    };
    // collection.toArray walks the collection's virtual state row by row (~85 ms at 50,000
    // rows, on every live write); the Map's values take a millisecond.
    const subscription = collection.subscribeChanges(
      (changes) => {
        for (const change of changes) {
          if (change.type === 'delete') byKey.delete(change.key);
          else byKey.set(change.key, change.value);
        }
        // Coalesce the changes of one tick into one update.
        if (!scheduled) {
          scheduled = true;
          queueMicrotask(flush);
        }
      },
      { includeInitialState: true },
    );
    const offReady = collection.onFirstReady(flush);
    return () => {
      subscription.unsubscribe();
      offReady();
    };
  };
  return {
    get rows() {
      return rows;
    },
    get ready() {
      return collection.isReady();
    },
    subscribe(listener) {
      listeners.add(listener);
      stop ??= start();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) {
          stop?.();
          stop = undefined;
        }
      };
    },
  };
}

/**
 * A shape's rows from its messages, keyed by `id`: each change is one Map write; the list is
 * published (a new array) at each up-to-date that follows a change. A must-refetch replaces
 * every row, in one publish, once the new snapshot is in. Updates carry only the changed
 * columns: they are merged into the row (an update of a row never seen is dropped).
 */
export function shapeRows<T extends { id: string }>() {
  const byId = new Map<string, T>();
  let rows: T[] = [];
  let ready = false;
  let refetching = false;
  let changed = false;

  return {
    get rows(): readonly T[] {
      return rows;
    },
    get ready() {
      return ready;
    },
    /** Applies a batch of messages; true when it published a new list. */
    apply(messages: readonly Message<Row>[]): boolean {
      let published = false;
      for (const message of messages) {
        if (isChangeMessage(message)) {
          if (refetching) {
            refetching = false;
            byId.clear();
          }
          const value = message.value as unknown as T;
          const operation = message.headers.operation;
          if (operation === 'delete') byId.delete(value.id);
          else if (operation === 'insert') byId.set(value.id, value);
          else {
            const previous = byId.get(value.id);
            if (!previous) continue;
            byId.set(value.id, { ...previous, ...value });
          }
          changed = true;
        } else if (isControlMessage(message)) {
          if (message.headers.control === 'must-refetch') {
            refetching = true;
            changed = true;
          } else if (message.headers.control === 'up-to-date' && (changed || !ready)) {
            if (refetching) {
              refetching = false; // the new snapshot had no rows at all
              byId.clear();
            }
            rows = Array.from(byId.values());
            changed = false;
            ready = true;
            published = true;
          }
        }
      }
      return published;
    },
    clear() {
      byId.clear();
      rows = [];
      ready = false;
      refetching = false;
      changed = false;
    },
  };
}

export type ShapeFeed<T> = RowFeed<T> & {
  /** Starts the stream now, without a listener (it stops after `lingerMs` if none comes). */
  start(): void;
  /** Stops the stream and forgets the rows (sign-out). */
  close(): void;
};

/**
 * A shape's rows (shapeRows) straight from the Electric client. The stream starts with the
 * first listener and stops `lingerMs` after the last one leaves; coming back resumes it from
 * where it stopped, with the rows kept.
 */
export function shapeFeed<T extends { id: string }>(
  options: ShapeStreamOptions,
  lingerMs: number,
): ShapeFeed<T> {
  const store = shapeRows<T>();
  const listeners = new Set<() => void>();
  let running: { abort: AbortController; stream: ShapeStream<Row>; unsubscribe: () => void } | undefined;
  let resumeFrom: { offset: ShapeStreamOptions['offset']; handle: string } | undefined;
  let lingerTimer: ReturnType<typeof setTimeout> | undefined;

  const apply = (messages: Message<Row>[]) => {
    if (store.apply(messages)) for (const listener of listeners) listener();
  };

  const stop = () => {
    if (lingerTimer) clearTimeout(lingerTimer);
    lingerTimer = undefined;
    if (!running) return;
    const { abort, stream, unsubscribe } = running;
    running = undefined;
    if (stream.shapeHandle && store.ready)
      resumeFrom = { offset: stream.lastOffset, handle: stream.shapeHandle };
    unsubscribe();
    abort.abort();
  };

  const lingerThenStop = () => {
    if (lingerTimer) clearTimeout(lingerTimer);
    lingerTimer = setTimeout(() => {
      if (listeners.size === 0) stop();
    }, lingerMs);
  };

  const start = () => {
    if (lingerTimer) clearTimeout(lingerTimer);
    lingerTimer = undefined;
    if (running) return;
    // From the start (first time, or stopped before its first up-to-date or by an error): a new
    // snapshot, so nothing of an earlier one may stay.
    if (!resumeFrom) store.clear();
    const abort = new AbortController();
    const stream = new ShapeStream<Row>({ ...options, ...resumeFrom, signal: abort.signal });
    const unsubscribe = stream.subscribe(apply, () => {
      // The stream gave up (signed out, refused): the next listener starts it again.
      if (running?.stream === stream) {
        running = undefined;
        resumeFrom = undefined;
      }
    });
    running = { abort, stream, unsubscribe };
  };

  return {
    get rows() {
      return store.rows;
    },
    get ready() {
      return store.ready;
    },
    subscribe(listener) {
      listeners.add(listener);
      start();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) lingerThenStop();
      };
    },
    start() {
      start();
      if (listeners.size === 0) lingerThenStop();
    },
    close() {
      listeners.clear();
      stop();
      resumeFrom = undefined;
      store.clear();
    },
  };
}
