// Owns the scrape-time read of the server's WAL position and of what the engine's slot holds
// back: one short query on the owner pool, shared by every gauge of one scrape, and bounded in
// time so a hung database never hangs /metrics.
import type pg from 'pg';
import { withTimeout } from '../../ops/with-timeout.ts';
import { lsnToNumber } from './replication.ts';

export type WalStatus = {
  /** Flushed WAL end (what a walsender can read), as a number. */
  serverLsn: number;
  /** WAL the slot keeps from being recycled (0 when the slot does not exist). */
  retainedBytes: number;
  /** max_slot_wal_keep_size in bytes; -1 when unlimited. */
  keepSizeBytes: number;
};

const READ_TIMEOUT_MS = 2_000;
const REUSE_MS = 1_000;

export class WalStatusReader {
  private last: { at: number; reading: Promise<WalStatus | undefined> } | undefined;

  constructor(private readonly ownerPool: pg.Pool) {}

  /** The status, or undefined when the server did not answer in time; one query per second at most. */
  read(slotName: string | undefined, now = Date.now()): Promise<WalStatus | undefined> {
    if (this.last && now - this.last.at < REUSE_MS) return this.last.reading;
    const reading = withTimeout(this.query(slotName), READ_TIMEOUT_MS).catch(() => undefined);
    this.last = { at: now, reading };
    return reading;
  }

  private async query(slotName: string | undefined): Promise<WalStatus> {
    const { rows } = await this.ownerPool.query<{
      server_lsn: string;
      retained: number | null;
      keep: number;
    }>(
      `SELECT pg_current_wal_flush_lsn()::text AS server_lsn,
              (SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::float8
                 FROM pg_replication_slots WHERE slot_name = $1) AS retained,
              pg_size_bytes(current_setting('max_slot_wal_keep_size'))::float8 AS keep`,
      [slotName ?? ''],
    );
    const row = rows[0];
    return {
      serverLsn: lsnToNumber(row?.server_lsn),
      retainedBytes: Math.max(0, row?.retained ?? 0),
      keepSizeBytes: row?.keep ?? -1,
    };
  }
}
