// Owns the persistence of the engine's shape logs in PostgreSQL (migration 078), so that a
// restarted engine — or another process after a fail-over — serves the same handles and offsets.
// The registry reports what happens to its logs (ready, appended, compacted, dropped); the store
// queues it and writes it in one transaction per flush (every `intervalMs`), in order, on the
// owner pool (never through a transaction pooler, like the rest of the engine). A flush also
// returns the LSN below which every routed transaction is now written: the engine acknowledges
// its replication slot only up to there, so what was not written is read again from the slot.
// Why PostgreSQL rather than files in DATA_DIR: the next leader is usually another process, on
// another machine, and the database is the one store they all reach.
import type pg from 'pg';
import type { Logger } from '../../ops/logger.ts';
import type { Entry, Replica } from './log-types.ts';
import type { ShapeLog } from './shape-log.ts';

/** A shape in the internal route's own terms: enough to compile its filter again. */
export type StoredShape = {
  table: string;
  where: string;
  params: string[];
  columns: string[];
  orgId: string;
  /** A log=changes_only log (no snapshot rows). */
  changesOnly?: boolean;
};

export type StoredLog = {
  handle: string;
  key: string;
  replica: Replica;
  shape: StoredShape;
  pgSnapshot: string;
  rows: string[];
  entries: Entry[];
};

type Pending = { log: ShapeLog; save: boolean; rewrite: boolean; added: Entry[] };

/** The shape of a log as stored, or undefined when its key is not the internal route's. */
export function storedShapeOf(log: ShapeLog): StoredShape | undefined {
  const { def } = log;
  const mode = def.changesOnly ? { changesOnly: true } : {};
  if (def.electric) {
    const { table, where, params } = def.electric;
    return { table, where, params, columns: def.columns, orgId: def.orgId, ...mode };
  }
  // The internal route's key (routes.ts internalShapeKey), before any changes_only suffix.
  const base = def.changesOnly ? def.key.slice(0, def.key.lastIndexOf('\u0000')) : def.key;
  try {
    const [table, where, params, columns, orgId] = JSON.parse(base) as unknown[];
    if (typeof table !== 'string' || typeof where !== 'string' || typeof orgId !== 'string') return undefined;
    if (!Array.isArray(params) || !Array.isArray(columns)) return undefined;
    return { table, where, params: params.map(String), columns: columns.map(String), orgId, ...mode };
  } catch {
    return undefined;
  }
}

export class ShapeLogStore {
  private pending = new Map<string, Pending>();
  private deleted = new Set<string>();
  private flushing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly group: string,
    private readonly log: Logger,
  ) {}

  /** Nothing is waiting to be written. */
  get idle(): boolean {
    return this.pending.size === 0 && this.deleted.size === 0;
  }

  /** A log is ready: its snapshot and entries so far are written at the next flush. */
  saved(log: ShapeLog) {
    if (this.closed || !storedShapeOf(log)) return;
    this.deleted.delete(log.handle);
    this.pending.set(log.handle, { log, save: true, rewrite: false, added: [] });
  }

  appended(log: ShapeLog, entries: Entry[]) {
    const pending = this.pendingOf(log);
    if (pending && !pending.save && !pending.rewrite) pending.added.push(...entries);
  }

  /** The log's entries were compacted: they are written again whole. */
  compacted(log: ShapeLog) {
    const pending = this.pendingOf(log);
    if (pending) pending.rewrite = true;
  }

  dropped(log: ShapeLog) {
    if (this.closed) return;
    this.pending.delete(log.handle);
    this.deleted.add(log.handle);
  }

  private pendingOf(log: ShapeLog): Pending | undefined {
    if (this.closed || log.state !== 'ready' || !storedShapeOf(log)) return undefined;
    let pending = this.pending.get(log.handle);
    if (!pending) {
      pending = { log, save: false, rewrite: false, added: [] };
      this.pending.set(log.handle, pending);
    }
    return pending;
  }

  /**
   * Writes everything queued so far in one transaction; flushes run one after another. What is
   * queued is taken at once (before the first await), so a later change waits for the next flush.
   */
  flush(): Promise<void> {
    const pending = [...this.pending.values()];
    const deleted = [...this.deleted];
    this.pending = new Map();
    this.deleted = new Set();
    const run = this.flushing.then(() =>
      this.write(pending, deleted).catch((error: Error) => {
        this.requeue(pending, deleted);
        throw error;
      }),
    );
    this.flushing = run.catch(() => {});
    return run;
  }

  /**
   * A failed write is queued again ahead of what came since, so nothing is skipped: the slot is
   * not acknowledged past it until a later flush has written it.
   */
  private requeue(pending: Pending[], deleted: string[]) {
    if (this.closed) return;
    for (const handle of deleted) if (!this.pending.has(handle)) this.deleted.add(handle);
    for (const earlier of pending) {
      if (earlier.log.dropped) continue;
      const later = this.pending.get(earlier.log.handle);
      if (!later) {
        this.pending.set(earlier.log.handle, earlier);
        continue;
      }
      later.save ||= earlier.save;
      later.rewrite ||= earlier.rewrite;
      later.added = [...earlier.added, ...later.added];
    }
  }

  private async write(pending: Pending[], deleted: string[]) {
    if (pending.length === 0 && deleted.length === 0) return;
    const saves = pending.filter((p) => (p.save || p.rewrite) && !p.log.dropped);
    const added = pending.filter((p) => !p.save && !p.rewrite && p.added.length > 0 && !p.log.dropped);
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      if (deleted.length > 0) {
        await client.query('DELETE FROM sync_shape_logs WHERE election_group = $1 AND handle = ANY($2)', [
          this.group,
          deleted,
        ]);
      }
      for (const { log, save } of saves) {
        if (save) {
          await client.query(
            `INSERT INTO sync_shape_logs (election_group, handle, shape_key, replica, shape, pg_snapshot, snapshot_rows)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (election_group, handle) DO NOTHING`,
            [
              this.group,
              log.handle,
              JSON.stringify(log.key), // as JSON: the key holds NUL separators, which text cannot
              log.replica,
              JSON.stringify(storedShapeOf(log)),
              log.snapshot?.text ?? '0:0:',
              log.rows.join('\n'),
            ],
          );
        }
        await client.query('DELETE FROM sync_shape_log_entries WHERE election_group = $1 AND handle = $2', [
          this.group,
          log.handle,
        ]);
        await this.insertEntries(client, log.handle, log.entries);
      }
      for (const { log, added: entries } of added) await this.insertEntries(client, log.handle, entries);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      this.log.warn({ err: error }, 'sync engine: writing shape logs failed');
      throw error;
    } finally {
      client.release();
    }
  }

  private async insertEntries(client: pg.PoolClient, handle: string, entries: readonly Entry[]) {
    if (entries.length === 0) return;
    // A log whose entries were deleted meanwhile has no row to refer to: nothing is inserted.
    await client.query(
      `INSERT INTO sync_shape_log_entries (election_group, handle, lsn, op, end_lsn, json)
       SELECT $1, $2, e.lsn, e.op, e.end_lsn, e.json
         FROM unnest($3::bigint[], $4::int[], $5::bigint[], $6::text[]) AS e(lsn, op, end_lsn, json)
        WHERE EXISTS (SELECT 1 FROM sync_shape_logs l WHERE l.election_group = $1 AND l.handle = $2)
       ON CONFLICT DO NOTHING`,
      [
        this.group,
        handle,
        entries.map((e) => e.lsn),
        entries.map((e) => e.op),
        entries.map((e) => e.endLsn ?? null),
        entries.map((e) => e.json),
      ],
    );
  }

  /** Every stored log of the group, entries in offset order. */
  async load(): Promise<StoredLog[]> {
    const { rows: logs } = await this.pool.query<{
      handle: string;
      shape_key: string;
      replica: Replica;
      shape: StoredShape;
      pg_snapshot: string;
      snapshot_rows: string;
    }>(
      `SELECT handle, shape_key, replica, shape, pg_snapshot, snapshot_rows
         FROM sync_shape_logs WHERE election_group = $1 ORDER BY saved_at`,
      [this.group],
    );
    const { rows: entries } = await this.pool.query<{
      handle: string;
      lsn: string;
      op: number;
      end_lsn: string | null;
      json: string;
    }>(
      `SELECT handle, lsn::text, op, end_lsn::text, json FROM sync_shape_log_entries
        WHERE election_group = $1 ORDER BY handle, lsn, op`,
      [this.group],
    );
    const byHandle = new Map<string, Entry[]>();
    for (const row of entries) {
      const entry: Entry = { lsn: Number(row.lsn), op: row.op, json: row.json };
      if (row.end_lsn !== null) entry.endLsn = Number(row.end_lsn);
      const list = byHandle.get(row.handle);
      if (list) list.push(entry);
      else byHandle.set(row.handle, [entry]);
    }
    return logs.map((row) => ({
      handle: row.handle,
      key: JSON.parse(row.shape_key) as string,
      replica: row.replica,
      shape: row.shape,
      pgSnapshot: row.pg_snapshot,
      rows: row.snapshot_rows === '' ? [] : row.snapshot_rows.split('\n'),
      entries: byHandle.get(row.handle) ?? [],
    }));
  }

  /** Deletes every stored log of the group (its slot was lost: they may have missed changes). */
  async clear(): Promise<void> {
    this.pending.clear();
    this.deleted.clear();
    await this.pool.query('DELETE FROM sync_shape_logs WHERE election_group = $1', [this.group]);
  }

  /** Stops taking changes (another process leads now); a flush under way finishes. */
  async close(): Promise<void> {
    this.closed = true;
    this.pending.clear();
    this.deleted.clear();
    await this.flushing;
  }

  reopen() {
    this.closed = false;
  }
}
