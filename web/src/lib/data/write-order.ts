// Owns the order in which a synced transaction's writes reach TanStack DB's store. A collection
// keeps its rows in a SortedMap by key: an array of keys kept sorted by splicing each new key in
// at its place. Rows arriving in the server's order (random uuids) each move half the array:
// 50,000 rows of the dashboard's narrow shape spent ~0.4 s of one commit in SortedMap.set in a
// Chromium profile (bench/web.ts, BENCH_PROFILE). The same writes in key order only append.
//
// The writes are sorted just before the commit, in the transaction TanStack DB is building (the
// same internal `_state` electric-db-collection reads). The sort is stable, so the writes of one
// key keep their order, and writes to different keys commute: the rows, the state and the set of
// change events are the same; the events come in key order, the order the collection iterates in.

type PendingTransaction = { committed: boolean; operations?: { key: string | number }[] };
type WithPendingState = { _state?: { pendingSyncedTransactions?: PendingTransaction[] } };

const byKey = (a: { key: string | number }, b: { key: string | number }) =>
  a.key < b.key ? -1 : a.key > b.key ? 1 : 0;

/** Puts the open synced transaction's writes in key order (a no-op if the library changes shape). */
export function orderPendingWrites(collection: unknown): void {
  const pending = (collection as WithPendingState | undefined)?._state?.pendingSyncedTransactions;
  if (!Array.isArray(pending)) return;
  const open = pending[pending.length - 1];
  const operations = open?.operations;
  if (!open || open.committed || !Array.isArray(operations) || operations.length < 2) return;
  operations.sort(byKey);
}
