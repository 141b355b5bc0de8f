// A whole collection as a live, *raw* array (no deep reactive proxies): the rows are the
// collection's own objects, so an unchanged row keeps its identity across updates and keyed
// blocks only touch what changed. Used for the 10,000-row screens (dashboard, register);
// filtered views use useLiveQuery. The rows are kept by key from the changes themselves: the
// collection's toArray walks its virtual state row by row (~85 ms for 50,000 rows, on every
// live write), a Map's values take a millisecond.
import type { Collection } from '@tanstack/svelte-db';

export function liveRows<T extends object>(collection: Collection<T, string>) {
  let rows = $state.raw<T[]>(collection.toArray as T[]);
  let ready = $state(collection.isReady());

  $effect(() => {
    let scheduled = false;
    const byKey = new Map<string | number, T>();
    const flush = () => {
      scheduled = false;
      rows = Array.from(byKey.values());
    };
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
    const offReady = collection.onFirstReady(() => {
      ready = true;
      flush();
    });
    return () => {
      subscription.unsubscribe();
      offReady();
    };
  });

  return {
    get rows() {
      return rows;
    },
    get ready() {
      return ready;
    },
  };
}
