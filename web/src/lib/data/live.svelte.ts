// A live list of rows as *raw* reactive state (no deep reactive proxies): the rows are the
// source's own objects, so an unchanged row keeps its identity across updates and keyed blocks
// only touch what changed. Used for the 10,000-row screens (dashboard, register); filtered views
// use useLiveQuery. The source is a RowFeed (row-feed.ts): a collection's, or a shape's read
// straight from the Electric client.
import type { Collection } from '@tanstack/svelte-db';
import { collectionFeed, type RowFeed } from './row-feed';

export function liveFeed<T>(feed: RowFeed<T>) {
  let rows = $state.raw<readonly T[]>(feed.rows);
  let ready = $state(feed.ready);

  $effect(() => {
    const update = () => {
      rows = feed.rows;
      ready = feed.ready;
    };
    const unsubscribe = feed.subscribe(update);
    update();
    return unsubscribe;
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

/** A whole collection, live (its rows kept by key from its change events). */
export function liveRows<T extends object>(collection: Collection<T, string>) {
  return liveFeed(collectionFeed(collection));
}
