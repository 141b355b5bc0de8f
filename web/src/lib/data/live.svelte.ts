// A whole collection as a live, *raw* array (no deep reactive proxies): the rows are the
// collection's own objects, so an unchanged row keeps its identity across updates and keyed
// blocks only touch what changed. Used for the 10,000-row screens (dashboard, register);
// filtered views use useLiveQuery.
import type { Collection } from '@tanstack/svelte-db';

export function liveRows<T extends object>(collection: Collection<T, string>) {
  let rows = $state.raw<T[]>(collection.toArray as T[]);
  let ready = $state(collection.isReady());

  $effect(() => {
    let scheduled = false;
    const flush = () => {
      scheduled = false;
      rows = collection.toArray as T[];
    };
    const subscription = collection.subscribeChanges(
      () => {
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
