// Owns the compaction of a shape log's change entries, as Electric compacts its logs: every row
// key keeps one entry, at the offset of its last change, holding the net effect of all its
// changes (insert + updates → one insert of the latest row, updates → one update with every
// changed column at its latest value, anything then delete → delete). A client holding any
// offset still reaches the right rows: for each key it either saw every change already (all at
// or before its offset), or it receives the one retained entry, whose net effect applied over
// whatever it saw before gives the latest row. What compaction loses is the grouping into
// transactions (and txids of dropped entries), as in Electric.

import type { Entry } from './log-types.ts';
import type { TextRow } from './replication.ts';

type Message = {
  key: string;
  value: TextRow;
  old_value?: TextRow;
  headers: { operation: 'insert' | 'update' | 'delete'; [name: string]: unknown };
};

/** The net effect of `earlier` followed by `later` on one row key. */
function merge(earlier: Message, later: Message): Message {
  const operation = later.headers.operation;
  // A delete or a (re-)insert stands for the row's whole state: nothing before it matters.
  if (operation !== 'update') return later;
  if (earlier.headers.operation === 'delete') return later;
  const merged: Message = {
    ...later,
    value: { ...earlier.value, ...later.value },
    headers: { ...later.headers, operation: earlier.headers.operation === 'insert' ? 'insert' : 'update' },
  };
  if (merged.headers.operation === 'update' && (earlier.old_value || later.old_value)) {
    // The value each column had before the first of the merged updates.
    merged.old_value = { ...later.old_value, ...earlier.old_value };
  } else {
    delete merged.old_value;
  }
  return merged;
}

/** The entries with one per row key, in offset order (see the header). */
export function compactEntries(entries: readonly Entry[]): Entry[] {
  const messages = entries.map((entry) => JSON.parse(entry.json) as Message);
  const latest = new Map<string, { index: number; message: Message }>();
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i] as Message;
    const previous = latest.get(message.key);
    latest.set(message.key, { index: i, message: previous ? merge(previous.message, message) : message });
  }
  const compacted: Entry[] = [];
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as Entry;
    const kept = latest.get((messages[i] as Message).key);
    if (kept?.index !== i) continue;
    // An entry nothing was merged into keeps its text as it was.
    const json = kept.message === messages[i] ? entry.json : JSON.stringify(kept.message);
    compacted.push({ ...entry, json });
  }
  return compacted;
}
