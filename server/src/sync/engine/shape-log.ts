// Owns one shape log: the snapshot of a shape (serialized once, shared by every client of the
// shape) and the change entries that followed it, with offsets `<commit lsn>_<op>`. Offsets of
// snapshot rows are `0_<row index>`; change offsets are always greater (a real LSN is never 0).
// Entries are stored as ready JSON text so fan-out to many clients costs a string join; what
// a change becomes for this shape is decided by shape-messages.ts.
import { createHash, randomBytes } from 'node:crypto';
import type { ShapeDefinition } from '../upstream.ts';
import { compactEntries } from './compaction.ts';
import { type ColumnInfo, type Entry, type Replica, relationKey, type TableInfo } from './log-types.ts';
import type { RowChange, Transaction } from './replication.ts';
import { ShapeMessages } from './shape-messages.ts';

export type PgSnapshot = { xmin: number; xmax: number; xip: Set<number>; text: string };

const TWO_32 = 2 ** 32;

export function parsePgSnapshot(text: string): PgSnapshot {
  const [xmin = '0', xmax = '0', xip = ''] = text.split(':');
  return {
    xmin: Number(xmin),
    xmax: Number(xmax),
    xip: new Set(xip === '' ? [] : xip.split(',').map(Number)),
    text,
  };
}

/** Whether a transaction with this 32-bit xid is already contained in the snapshot. */
export function visibleInSnapshot(snapshot: PgSnapshot, xid32: number): boolean {
  const epoch = Math.floor(snapshot.xmax / TWO_32);
  let full = epoch * TWO_32 + xid32;
  if (full > snapshot.xmax + 2 ** 31) full -= TWO_32;
  if (full < snapshot.xmin) return true;
  return full < snapshot.xmax && !snapshot.xip.has(full);
}

export function newHandle(key: string): string {
  const digest = createHash('sha256').update(key).digest('hex').slice(0, 8);
  return `${digest}-${Date.now()}${randomBytes(3).toString('hex')}`;
}

export class ShapeLog {
  readonly handle: string;
  readonly createdAt = Date.now();
  lastAccess = Date.now();
  state: 'snapshotting' | 'ready' | 'dropped' = 'snapshotting';
  ready: Promise<void>;
  private resolveReady!: () => void;
  private rejectReady!: (error: Error) => void;
  snapshot: PgSnapshot | undefined;
  /** Serialized snapshot rows (insert messages). */
  rows: string[] = [];
  /** Row indexes at which snapshot chunks end (once the snapshot is read, the last is rows.length). */
  chunkEnds: number[] = [];
  /** Every snapshot row is in (rows and chunkEnds are final). */
  snapshotRead = false;
  /** JSON characters in the snapshot chunk still open. */
  private chunkFill = 0;
  /** Requests waiting for snapshot rows still being read (snapshotReadTo). */
  private readonly snapshotWaiters = new Set<() => void>();
  private snapshotError: Error | undefined;
  entries: Entry[] = [];
  /** Characters held in rows and entries (their JSON text): what the byte budgets count. */
  bytes = 0;
  /** Times the entries were compacted (a reader holding an index into them must look again). */
  compactions = 0;
  /** Told the entries of each appended transaction (the persisted copy follows them). */
  onAppend: ((entries: Entry[]) => void) | undefined;
  /** Told every change of `bytes` (the registry keeps the totals). */
  onBytes: ((delta: number) => void) | undefined;
  /** Transactions seen while the snapshot is being taken, replayed (minus visible ones) after. */
  pending: Transaction[] | null = [];
  readonly waiters = new Set<() => void>();
  liveSubscribers = 0;
  /** The electric-schema header value, computed once. */
  schemaJson: string | undefined;
  private readonly messages: ShapeMessages;
  /** The engine's name of the shape's table (as replicated changes carry it). */
  readonly relation: string;

  constructor(
    readonly key: string,
    readonly def: ShapeDefinition,
    readonly replica: Replica,
    readonly table: TableInfo,
    /** A persisted log's handle, kept across restarts; a new log gets a new one. */
    handle?: string,
  ) {
    this.handle = handle ?? newHandle(key);
    this.messages = new ShapeMessages(def, replica, table);
    this.relation = relationKey(def.schema, def.table);
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => {});
  }

  get dropped(): boolean {
    return this.state === 'dropped';
  }

  get changeCount() {
    return this.entries.length;
  }

  /** The offset after the last entry: what a caught-up client holds. */
  headOffset(): string {
    const last = this.entries.at(-1);
    return last ? `${last.lsn}_${last.op}` : `0_${this.rows.length}`;
  }

  /** LSN past the last logged transaction, for up-to-date's global_last_seen_lsn (SSE). */
  lastEndLsn(): number | undefined {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const end = this.entries[i]?.endLsn;
      if (end !== undefined) return end;
    }
    return undefined;
  }

  /**
   * The snapshot rows arrive as ready JSON messages built by PostgreSQL (see
   * snapshotMessageSql in shape-messages.ts), so the engine stores strings without parsing or re-serialising.
   */
  completeSnapshot(snapshot: PgSnapshot, rows: string[], chunkBytes: number) {
    this.setSnapshotRows(snapshot, rows, chunkBytes);
    for (let tx = this.nextPending(); tx; tx = this.nextPending()) this.append(tx, this.entriesOf(tx));
    this.markReady();
  }

  /** The whole snapshot at once (a restored log); the transactions kept meanwhile still wait (nextPending, then markReady). */
  setSnapshotRows(snapshot: PgSnapshot, rows: string[], chunkBytes: number) {
    this.beginSnapshot(snapshot);
    this.addSnapshotRows(rows, chunkBytes);
    this.endSnapshotRows();
  }

  /** The snapshot's visibility boundary, known before its first row. */
  beginSnapshot(snapshot: PgSnapshot) {
    this.snapshot = snapshot;
  }

  /**
   * Snapshot rows as they are read, in order: every chunk they close (about `chunkBytes` of
   * JSON) is final, and served at once to the requests waiting for it.
   */
  addSnapshotRows(batch: string[], chunkBytes: number) {
    const rows = this.rows;
    let fill = this.chunkFill;
    let bytes = 0;
    for (let i = 0; i < batch.length; i++) {
      const row = batch[i] as string;
      rows.push(row);
      fill += row.length + 1;
      bytes += row.length;
      if (fill >= chunkBytes) {
        this.chunkEnds.push(rows.length);
        fill = 0;
      }
    }
    this.chunkFill = fill;
    this.grow(bytes);
    this.wakeSnapshotWaiters();
  }

  /** Every snapshot row is in: the last chunk (with snapshot-end) can be served. */
  endSnapshotRows() {
    if (this.chunkEnds.at(-1) !== this.rows.length) this.chunkEnds.push(this.rows.length);
    this.snapshotRead = true;
    this.wakeSnapshotWaiters();
  }

  /**
   * The end of the snapshot chunk starting at row `from` once it can be served: a chunk is final
   * when a later row has been read (or the whole snapshot); the one holding the last row is
   * served only with the whole snapshot read (it carries snapshot-end). Undefined while it is
   * still being read, or when `from` is past the snapshot (the answer comes from the entries).
   */
  chunkEndFrom(from: number): number | undefined {
    const end = this.chunkEnds.find((e) => e > from);
    if (!this.snapshotRead) return end !== undefined && end < this.rows.length ? end : undefined;
    return end;
  }

  /**
   * Waits until the chunk from row `from` can be served, the whole snapshot is read, or the log
   * is dropped; throws the error of a failed snapshot.
   */
  async snapshotReadTo(from: number): Promise<void> {
    while (!this.snapshotRead && !this.dropped && this.chunkEndFrom(from) === undefined) {
      if (this.snapshotError) throw this.snapshotError;
      await new Promise<void>((resolve) => this.snapshotWaiters.add(resolve));
    }
    if (this.snapshotError) throw this.snapshotError;
  }

  private wakeSnapshotWaiters() {
    const waiters = [...this.snapshotWaiters];
    this.snapshotWaiters.clear();
    for (const wake of waiters) wake();
  }

  /**
   * The next transaction kept during the snapshot that the snapshot does not contain, in commit
   * order; transactions routed meanwhile are still kept behind it. Undefined when none is left.
   */
  nextPending(): Transaction | undefined {
    const snapshot = this.snapshot;
    for (let tx = this.pending?.shift(); tx; tx = this.pending?.shift()) {
      if (!snapshot || !visibleInSnapshot(snapshot, tx.xid)) return tx;
    }
    return undefined;
  }

  /** A persisted log's entries, as written (see log-store.ts); then markReady. */
  restoreEntries(entries: Entry[]) {
    this.pending = [];
    this.entries = entries;
    this.grow(entries.reduce((sum, entry) => sum + entry.json.length, 0));
  }

  /** Every kept transaction is appended: the log serves its clients. */
  markReady() {
    if (this.state !== 'snapshotting') return;
    this.pending = null;
    this.state = 'ready';
    this.resolveReady();
  }

  /** Every entry of one transaction for this shape (see entryAt). */
  entriesOf(tx: Transaction): Entry[] {
    const entries: Entry[] = [];
    for (let i = 0; i < tx.changes.length; i++) {
      const entry = this.entryAt(tx, i);
      if (entry) entries.push(entry);
    }
    return entries;
  }

  /** The snapshot failed: its waiting requests get the error (the registry then drops the log). */
  failSnapshot(error: Error) {
    this.snapshotError = error;
    this.rejectReady(error);
    this.wakeSnapshotWaiters();
  }

  /** Appends the changes of one transaction that concern this shape; false if none did. */
  apply(tx: Transaction, indexes?: number[]): boolean {
    if (!this.accepts(tx)) return false;
    if (!indexes) return this.append(tx, this.entriesOf(tx));
    const added: Entry[] = [];
    for (const i of indexes) {
      const entry = this.entryAt(tx, i);
      if (entry) added.push(entry);
    }
    return this.append(tx, added);
  }

  /**
   * Whether the transaction is to be routed here now: not when dropped or already in the
   * snapshot; while the snapshot is under way the whole transaction is kept for after it.
   */
  accepts(tx: Transaction): boolean {
    if (this.state === 'dropped') return false;
    if (this.pending) {
      if (this.pending.at(-1) !== tx) this.pending.push(tx);
      return false;
    }
    // A transaction read again from the slot after a restart is already here.
    const head = this.entries.at(-1);
    if (head && tx.commitLsn <= head.lsn) return false;
    return !(this.snapshot && visibleInSnapshot(this.snapshot, tx.xid));
  }

  /** The entry for change `i` of the transaction, or undefined when it does not concern this shape. */
  entryAt(tx: Transaction, i: number): Entry | undefined {
    const change = tx.changes[i] as RowChange;
    if (change.table !== this.relation) return undefined;
    const op = i + 1;
    const json = this.messages.entryJson(change, tx, op);
    return json === undefined ? undefined : { lsn: tx.commitLsn, op, json };
  }

  /** Appends one transaction's entries at once (clients never see part of a transaction). */
  append(tx: Transaction, added: Entry[]): boolean {
    if (this.state === 'dropped' || added.length === 0) return false;
    const head = this.entries.at(-1);
    if (head && tx.commitLsn <= head.lsn) return false; // read again from the slot: already here
    const last = added[added.length - 1] as Entry;
    // Mark the transaction's last change for this shape.
    last.json = `${last.json.slice(0, -2)},"last":true}}`;
    last.endLsn = tx.endLsn;
    let bytes = 0;
    for (const entry of added) {
      this.entries.push(entry);
      bytes += entry.json.length;
    }
    this.grow(bytes);
    this.onAppend?.(added);
    for (const wake of [...this.waiters]) wake();
    return true;
  }

  /** Keeps one entry per row key (compaction.ts); returns how many entries went. */
  compact(): number {
    const before = this.entries;
    const after = compactEntries(before);
    const size = (entries: Entry[]) => entries.reduce((sum, entry) => sum + entry.json.length, 0);
    this.entries = after;
    this.compactions++;
    this.grow(size(after) - size(before));
    return before.length - after.length;
  }

  private grow(bytes: number) {
    this.bytes += bytes;
    this.onBytes?.(bytes);
  }

  /** Index of the first entry strictly after offset `lsn_op`. */
  positionAfter(lsn: number, op: number): number {
    let low = 0;
    let high = this.entries.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const entry = this.entries[mid] as Entry;
      if (entry.lsn < lsn || (entry.lsn === lsn && entry.op <= op)) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** Entries from `start`, whole transactions, up to about `maxBytes`. */
  sliceFrom(start: number, maxBytes: number): { parts: string[]; end: number; offset: string | undefined } {
    const parts: string[] = [];
    let bytes = 0;
    let end = start;
    let cut = start;
    for (let i = start; i < this.entries.length; i++) {
      const entry = this.entries[i] as Entry;
      parts.push(entry.json);
      bytes += entry.json.length;
      if (entry.endLsn !== undefined) {
        cut = i + 1;
        if (bytes >= maxBytes) break;
      }
    }
    end = cut;
    parts.length = end - start;
    const last = this.entries[end - 1];
    return { parts, end, offset: last ? `${last.lsn}_${last.op}` : undefined };
  }

  drop() {
    this.state = 'dropped';
    // Requests waiting for the snapshot go on, see the log dropped and answer 409.
    this.resolveReady();
    this.rows = [];
    this.entries = [];
    this.grow(-this.bytes);
    this.pending = null;
    for (const wake of [...this.waiters]) wake();
    this.wakeSnapshotWaiters();
  }
}
export function columnsOf(def: ShapeDefinition, table: TableInfo) {
  const schema: Record<string, ColumnInfo> = {};
  for (const column of def.columns) {
    const info = table.columns.get(column);
    if (info) schema[column] = info;
  }
  return schema;
}
