// Owns the logical replication stream of one engine instance, START_REPLICATION over the
// publication its caller names (engine/scope.ts), and the assembly of pgoutput messages into whole committed transactions, in
// commit order, with every value kept as PostgreSQL's text output (the pg type parsers are
// bypassed). Two kinds of slot: a TEMPORARY one made on the replication connection itself
// (PostgreSQL drops it when that connection ends, so a dead process never leaves a slot pinning
// WAL; positions acknowledged as read), or — when shape logs are persisted — the election
// group's permanent slot (ensurePermanentSlot), acknowledged only up to what the engine says is
// safely written (acknowledge), so the next leader reads every later change again.
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { LogicalReplicationService, type Pgoutput, PgoutputPlugin } from 'pg-logical-replication';
import { relationKey } from './log-types.ts';

export const SLOT_PREFIX = 'sertantai_engine_';

export type TextRow = Record<string, string | null>;

/** `table` is the engine's name of the changed table: relationKey(schema, name). */
export type RowChange =
  | { op: 'insert'; table: string; new: TextRow }
  | { op: 'update'; table: string; new: TextRow; old: TextRow | null }
  | { op: 'delete'; table: string; old: TextRow };

export type Transaction = {
  /** 32-bit transaction id, as pg_current_xact_id()::xid reads inside the writer. */
  xid: number;
  /** LSN of the commit record, as a number (exact below 2^53). */
  commitLsn: number;
  /** LSN just past the commit record. */
  endLsn: number;
  /** Commit time, ms since the epoch. */
  commitTime: number;
  changes: RowChange[];
  /** Tables truncated in this transaction (relationKey). */
  truncated: string[];
  /** Tables whose relation (column list) changed since first seen. */
  relationsChanged: string[];
};

export type ReplicationEvents = {
  onTransaction: (tx: Transaction) => void;
  /** The stream failed or ended unexpectedly. */
  onError: (error: Error) => void;
  /** Server WAL position from keepalives (for lag). */
  onServerLsn?: (lsn: number) => void;
};

export function lsnToNumber(lsn: string | null | undefined): number {
  if (!lsn) return 0;
  const [hi, lo] = lsn.split('/');
  return Number.parseInt(hi ?? '0', 16) * 2 ** 32 + Number.parseInt(lo ?? '0', 16);
}

export function numberToLsn(value: number): string {
  const high = Math.floor(value / 2 ** 32);
  return `${high.toString(16).toUpperCase()}/${(value - high * 2 ** 32).toString(16).toUpperCase()}`;
}

/**
 * The permanent logical slot `name` exists and can still stream: made when missing, made again
 * when PostgreSQL invalidated it (max_slot_wal_keep_size). A backend still streaming from it is
 * a former leader's (the caller holds the election): it is ended. `created` says the slot is new,
 * so nothing written before it can be trusted to be complete.
 */
export async function ensurePermanentSlot(
  pool: pg.Pool,
  name: string,
): Promise<{ created: boolean; confirmedLsn: number }> {
  const { rows } = await pool.query<{
    confirmed: string | null;
    wal_status: string | null;
    active_pid: number | null;
  }>(
    `SELECT confirmed_flush_lsn::text AS confirmed, wal_status, active_pid
       FROM pg_replication_slots WHERE slot_name = $1`,
    [name],
  );
  const slot = rows[0];
  if (slot?.active_pid) await pool.query('SELECT pg_terminate_backend($1)', [slot.active_pid]);
  if (slot && slot.wal_status !== 'lost' && slot.confirmed) {
    return { created: false, confirmedLsn: lsnToNumber(slot.confirmed) };
  }
  if (slot) await pool.query('SELECT pg_drop_replication_slot($1)', [name]);
  const made = await pool.query<{ lsn: string }>(
    `SELECT lsn::text AS lsn FROM pg_create_logical_replication_slot($1, 'pgoutput')`,
    [name],
  );
  return { created: true, confirmedLsn: lsnToNumber(made.rows[0]?.lsn) };
}

/** pgoutput plugin that creates a temporary slot on the replication connection first (unless the slot is permanent). */
class TemporarySlotPlugin extends PgoutputPlugin {
  /** WAL position the slot became consistent at: the stream has read everything before it. */
  consistentPoint = 0;
  /** Set for a permanent slot: it exists already, from this position. */
  permanentFrom: number | undefined;

  override parse(buffer: Buffer): Pgoutput.Message {
    const message = super.parse(buffer);
    // Keep PostgreSQL's text format: the engine sends text to clients, as Electric does.
    if (message.tag === 'relation') for (const column of message.columns) column.parser = keepText;
    return message;
  }

  override async start(client: pg.Client, slotName: string, lastLsn: string): Promise<unknown> {
    if (this.permanentFrom !== undefined) {
      this.consistentPoint = this.permanentFrom;
      return super.start(client, slotName, lastLsn);
    }
    const { rows } = await client.query(
      `CREATE_REPLICATION_SLOT "${slotName}" TEMPORARY LOGICAL pgoutput (SNAPSHOT 'nothing')`,
    );
    this.consistentPoint = lsnToNumber(rows[0]?.consistent_point);
    return super.start(client, slotName, lastLsn);
  }
}

const keepText = (value: unknown) => value;

export class ReplicationStream {
  readonly slotName: string;
  /** Acknowledged position of a permanent slot: every transaction ending at or before it is safe. */
  private ackedLsn = 0;
  private service: LogicalReplicationService | undefined;
  private current: Transaction | undefined;
  private readonly relationColumns = new Map<string, string>();
  private stopped = false;
  lastCommitEndLsn = 0;
  /** Highest WAL position the walsender reported (keepalives carry how far it has read). */
  serverLsn = 0;
  private plugin: TemporarySlotPlugin | undefined;

  constructor(
    private readonly connectionString: string,
    private readonly publication: string,
    private readonly events: ReplicationEvents,
    /** The permanent slot to stream from, and its confirmed position; else a temporary slot. */
    private readonly permanent?: { slotName: string; confirmedLsn: number },
  ) {
    this.slotName = permanent?.slotName ?? `${SLOT_PREFIX}${process.pid}_${randomBytes(4).toString('hex')}`;
    this.ackedLsn = permanent?.confirmedLsn ?? 0;
  }

  /** Resolves once START_REPLICATION is streaming (the slot exists and is consistent). */
  async start(): Promise<void> {
    const service = new LogicalReplicationService(
      {
        connectionString: this.connectionString,
        application_name: 'sertantai-sync-engine',
        // Values are sent as the walsender's output functions print them: UTC, ISO dates.
        options: '-c TimeZone=UTC -c DateStyle=ISO,YMD -c IntervalStyle=postgres -c extra_float_digits=1',
      },
      // A permanent slot is acknowledged by the engine alone (no timer acknowledging what was read).
      {
        acknowledge: this.permanent ? { auto: false, timeoutSeconds: 0 } : { auto: true, timeoutSeconds: 10 },
      },
    );
    this.service = service;
    const plugin = new TemporarySlotPlugin({ protoVersion: 1, publicationNames: [this.publication] });
    plugin.permanentFrom = this.permanent?.confirmedLsn;
    this.plugin = plugin;
    service.on('data', (_lsn: string, message: Pgoutput.Message) => this.onMessage(message));
    service.on('heartbeat', (lsn: string, _timestamp: number, shouldRespond: boolean) => {
      this.serverLsn = Math.max(this.serverLsn, lsnToNumber(lsn));
      this.events.onServerLsn?.(this.serverLsn);
      // The server ends a stream that does not answer (wal_sender_timeout): repeat the safe position.
      if (this.permanent && shouldRespond) this.sendStatus();
    });
    const started = new Promise<void>((resolve, reject) => {
      service.once('start', () => resolve());
      service.once('error', (error: Error) => reject(error));
      service
        .subscribe(plugin, this.slotName)
        .then(() => {
          if (!this.stopped) this.fail(new Error('replication stream ended'));
        })
        .catch((error: Error) => {
          reject(error);
          if (!this.stopped) this.fail(error);
        });
    });
    await started;
    service.on('error', (error: Error) => {
      if (!this.stopped) this.fail(error);
    });
  }

  /**
   * Permanent slot: every transaction ending at or before `lsn` is safely written, so the slot may
   * let go of it. Never moves back.
   */
  acknowledge(lsn: number) {
    if (!this.permanent || lsn <= this.ackedLsn) return;
    this.ackedLsn = lsn;
    this.sendStatus();
  }

  private sendStatus() {
    // The library reports lsn + 1 as flushed; the slot then skips transactions whose commit
    // record starts before that, so report one less than the end of the last safe transaction.
    if (this.ackedLsn > 0) void this.service?.acknowledge(numberToLsn(this.ackedLsn - 1)).catch(() => {});
  }

  /** How far this engine has read the WAL: every transaction committed before it is processed. */
  get position(): number {
    return Math.max(this.lastCommitEndLsn, this.serverLsn, this.plugin?.consistentPoint ?? 0);
  }

  private failed = false;
  private fail(error: Error) {
    if (this.failed) return;
    this.failed = true;
    this.events.onError(error);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const service = this.service;
    this.service = undefined;
    if (!service) return;
    // A connection killed while closing (server shutdown, pg_terminate_backend) must not
    // surface as an unhandled 'error' event and crash the process.
    const client = (service as unknown as { _client?: { on(event: 'error', fn: () => void): void } })._client;
    client?.on('error', () => {});
    await service.destroy().catch(() => {});
    service.on('error', () => {});
  }

  private onMessage(message: Pgoutput.Message) {
    switch (message.tag) {
      case 'begin':
        this.current = {
          xid: message.xid >>> 0,
          commitLsn: lsnToNumber(message.commitLsn),
          endLsn: 0,
          commitTime: Number(message.commitTime) / 1000,
          changes: [],
          truncated: [],
          relationsChanged: [],
        };
        return;
      case 'relation': {
        const signature = message.columns.map((c) => `${c.name}:${c.typeOid}`).join(',');
        const name = relationKey(message.schema, message.name);
        const previous = this.relationColumns.get(name);
        this.relationColumns.set(name, signature);
        if (previous !== undefined && previous !== signature) this.current?.relationsChanged.push(name);
        return;
      }
      case 'insert':
        this.current?.changes.push({
          op: 'insert',
          table: relationKey(message.relation.schema, message.relation.name),
          new: message.new,
        });
        return;
      case 'update':
        this.current?.changes.push({
          op: 'update',
          table: relationKey(message.relation.schema, message.relation.name),
          new: message.new,
          old: message.old ?? null,
        });
        return;
      case 'delete':
        this.current?.changes.push({
          op: 'delete',
          table: relationKey(message.relation.schema, message.relation.name),
          old: (message.old ?? message.key ?? {}) as TextRow,
        });
        return;
      case 'truncate':
        for (const relation of message.relations)
          this.current?.truncated.push(relationKey(relation.schema, relation.name));
        return;
      case 'commit': {
        const tx = this.current;
        this.current = undefined;
        if (!tx) return;
        tx.endLsn = lsnToNumber(message.commitEndLsn);
        this.lastCommitEndLsn = tx.endLsn;
        this.serverLsn = Math.max(this.serverLsn, tx.endLsn);
        this.events.onTransaction(tx);
        return;
      }
      default:
        return;
    }
  }
}
