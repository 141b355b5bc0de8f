// Owns the shared store behind the identity rate limits (the LimitStore contract) and its default
// implementation: token buckets and failure backoffs kept in PostgreSQL (table rate_limit_state,
// migration 071), so every process on one database counts against the same limits. With
// REDIS_URL the same contract is kept in Redis instead (redis-limit-store.ts). The runtime role reaches the table only through the
// SECURITY DEFINER functions called here, one key at a time. Keys are SHA-256 digests of the
// limiter's name and its subject: no address or e-mail is stored. Time comes from the app's
// clock, so all processes (and tests) agree on it.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { Clock } from '../clock.ts';
import { boundedQuery } from '../db/overload.ts';
import type { BucketSettings } from '../limit-settings.ts';

export type LimitVerdict = { ok: true } | { ok: false; retryAfterSeconds: number };

export type BackoffSettings = {
  /** Failures allowed before any delay. */
  freeFailures: number;
  /** Delay after the first failure past the free ones; doubles with each further failure. */
  baseSeconds: number;
  /** The delay never exceeds this. */
  maxSeconds: number;
  /** Failures are forgotten this long after the last failure (or the end of its lock). */
  forgetAfterSeconds: number;
};

export type BackoffState = { retryAfterSeconds: number; failures: number };

export type Queryable = Pick<pg.ClientBase, 'query'>;

/** The key a limiter stores for one subject: a digest, never the subject itself. */
export function limitKey(limiter: string, subject: string): string {
  return createHash('sha256').update(`${limiter}\u0000${subject}`).digest('hex');
}

/** Where every process's rate limits are counted; each method is atomic for its key. */
export interface LimitStore {
  /** Takes one token from `key`'s bucket; `via` runs it on an open transaction's connection (PostgreSQL only). */
  take(key: string, bucket: BucketSettings, via?: Queryable): Promise<LimitVerdict>;
  /** Takes one token from each bucket in one round trip, in the order given; a refusal undoes none. */
  takeAll(buckets: Array<{ key: string; bucket: BucketSettings }>): Promise<LimitVerdict[]>;
  /** The lock and failure count of several backoff keys. */
  backoff(keys: string[]): Promise<BackoffState[]>;
  /** Counts one failure for `key`; returns the failures now counted. */
  fail(key: string, settings: BackoffSettings): Promise<number>;
  clear(key: string): Promise<void>;
  /** Deletes what restricts nothing any more and keeps at most `maxRows`; returns the count. */
  sweep(maxRows: number): Promise<number>;
}

/** The table's bound: at most `maxRows`, swept also after every `writesBetweenSweeps` writes. */
export type RowCap = { maxRows: number; writesBetweenSweeps: number };

export const DEFAULT_ROW_CAP: RowCap = { maxRows: 500_000, writesBetweenSweeps: 10_000 };

export class PostgresLimitStore implements LimitStore {
  private writes = 0;
  private sweeping = false;

  /**
   * Besides the owner's periodic sweep, the store sweeps itself after `cap.writesBetweenSweeps`
   * writes from this process: a client spraying new keys between two periodic sweeps grows the
   * table by at most that many rows per process past `cap.maxRows`, never without bound.
   */
  constructor(
    private readonly pool: pg.Pool,
    private readonly clock: Clock,
    private readonly cap: RowCap = DEFAULT_ROW_CAP,
  ) {}

  /** Counts one write that may have added a row; sweeps (in the background, once at a time) past the cap. */
  private wrote(count = 1) {
    this.writes += count;
    if (this.writes < this.cap.writesBetweenSweeps || this.sweeping) return;
    this.writes = 0;
    this.sweeping = true;
    this.sweep(this.cap.maxRows)
      .catch(() => 0) // the periodic sweep logs failures; the next write tries again
      .finally(() => {
        this.sweeping = false;
      });
  }

  /** Takes one token from `key`'s bucket; `via` runs it on an open transaction's connection. */
  async take(key: string, bucket: BucketSettings, via?: Queryable): Promise<LimitVerdict> {
    const text = 'SELECT rate_limit_take($1, $2, $3, $4) AS retry_after';
    const values = [key, bucket.limit, bucket.windowSeconds, this.clock.now()];
    const { rows } = via ? await via.query(text, values) : await boundedQuery(this.pool, text, values);
    this.wrote();
    const retryAfter = rows[0].retry_after as number;
    return retryAfter > 0 ? { ok: false, retryAfterSeconds: retryAfter } : { ok: true };
  }

  /**
   * Takes one token from each bucket, in one round trip (always in the order given, so two
   * callers lock the same keys in the same order). A refused bucket does not undo the others.
   */
  async takeAll(buckets: Array<{ key: string; bucket: BucketSettings }>): Promise<LimitVerdict[]> {
    const { rows } = await boundedQuery(
      this.pool,
      `SELECT k.ord, rate_limit_take(k.key, k.lim, k.win, $4) AS retry_after
         FROM unnest($1::text[], $2::integer[], $3::double precision[]) WITH ORDINALITY AS k(key, lim, win, ord)
        ORDER BY k.ord`,
      [
        buckets.map((b) => b.key),
        buckets.map((b) => b.bucket.limit),
        buckets.map((b) => b.bucket.windowSeconds),
        this.clock.now(),
      ],
    );
    this.wrote(buckets.length);
    return rows.map((row) =>
      row.retry_after > 0 ? { ok: false, retryAfterSeconds: row.retry_after as number } : { ok: true },
    );
  }

  /** The lock and failure count of several backoff keys, in one round trip. */
  async backoff(keys: string[]): Promise<BackoffState[]> {
    const { rows } = await boundedQuery(
      this.pool,
      `SELECT k.ord, b.retry_after, b.failures
         FROM unnest($1::text[]) WITH ORDINALITY AS k(key, ord), rate_limit_backoff(k.key, $2) b
        ORDER BY k.ord`,
      [keys, this.clock.now()],
    );
    return rows.map((row) => ({ retryAfterSeconds: row.retry_after, failures: row.failures }));
  }

  /** Counts one failure for `key`; returns the failures now counted. */
  async fail(key: string, settings: BackoffSettings): Promise<number> {
    const { rows } = await boundedQuery(
      this.pool,
      'SELECT rate_limit_fail($1, $2, $3, $4, $5, $6) AS failures',
      [
        key,
        settings.freeFailures,
        settings.baseSeconds,
        settings.maxSeconds,
        settings.forgetAfterSeconds,
        this.clock.now(),
      ],
    );
    this.wrote();
    return rows[0]?.failures as number;
  }

  async clear(key: string): Promise<void> {
    await boundedQuery(this.pool, 'SELECT rate_limit_clear($1)', [key]);
  }

  /** Deletes rows that restrict nothing any more and keeps at most `maxRows`; returns the count. */
  async sweep(maxRows: number): Promise<number> {
    const { rows } = await boundedQuery(this.pool, 'SELECT rate_limit_sweep($1, $2) AS deleted', [
      this.clock.now(),
      maxRows,
    ]);
    return rows[0]?.deleted as number;
  }
}
