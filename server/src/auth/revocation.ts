// Owns the answer to "has this access token's session been revoked?" on every authenticated
// request, cheaply and for every server process at once.
//
// - A small in-process cache maps session id → live/revoked. A revoked answer is final (a
//   session never comes back). A live answer is trusted for at most `liveTtlMs` (default 10 s).
// - Every revocation (logout, global logout, reuse detection, member removed, role changed)
//   runs `pg_notify('sertantai_session_revoked', <sid>)` in the revoking transaction, so the
//   notification is delivered when — and only if — the revocation commits. Each process keeps
//   one dedicated connection LISTENing on that channel and marks the session revoked in its cache.
// - While the listening connection is down (or not yet connected), cached live answers are not
//   trusted: every check goes to the database until the listener is back, and the cache is
//   cleared on reconnect because notifications sent in the gap are lost.
//
// Worst-case delay for another process to refuse a revoked session: the NOTIFY round trip
// (milliseconds) while its listener is healthy; `liveTtlMs` (10 s) if its listening connection
// dies silently (half-open TCP) without an error event. The revoking process itself refuses
// the token at once.
import pg from 'pg';
import type { Database } from '../db/database.ts';
import { type Tx, tenantTransaction } from '../db/tenant.ts';
import type { Logger } from '../ops/logger.ts';
import type { AccessClaims } from './tokens.ts';

export const REVOCATION_CHANNEL = 'sertantai_session_revoked';

export type RevocationReason =
  | 'logout'
  | 'logout_global'
  | 'reuse_detected'
  | 'member_removed'
  | 'role_changed'
  | 'password_changed'
  | 'password_reset'
  | 'admin';

type Entry = { revoked: boolean; until: number };

export type RevocationOptions = { liveTtlMs?: number; maxEntries?: number };

export class RevocationCache {
  private readonly entries = new Map<string, Entry>();
  private readonly liveTtlMs: number;
  private readonly maxEntries: number;
  private listener: pg.Client | undefined;
  private listening = false;
  private pid: number | undefined;
  private stopped = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectDelayMs = 250;
  /** Bumped on every notification: a database answer that raced one is not cached. */
  private epoch = 0;
  /** Counters for tests, the bench and the health of the cache. */
  readonly stats = { hits: 0, misses: 0, notifications: 0 };

  constructor(
    private readonly db: Database,
    private readonly log: Logger,
    options: RevocationOptions = {},
  ) {
    this.liveTtlMs = options.liveTtlMs ?? 10_000;
    this.maxEntries = options.maxEntries ?? 50_000;
  }

  get isListening() {
    return this.listening;
  }

  /** The server process id of the listening connection (for operations and tests). */
  get listenerPid(): number | undefined {
    return this.listening ? this.pid : undefined;
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    const client = this.listener;
    this.listener = undefined;
    this.listening = false;
    if (client) await client.end().catch(() => {});
  }

  /** The RevocationCheck the authenticate hook calls. */
  isRevoked = async (claims: AccessClaims): Promise<boolean> => {
    const now = Date.now();
    const entry = this.entries.get(claims.sessionId);
    if (entry && (entry.revoked || (this.listening && entry.until > now))) {
      this.stats.hits += 1;
      return entry.revoked;
    }
    this.stats.misses += 1;
    const epoch = this.epoch;
    const revoked = await this.lookup(claims);
    if (revoked) this.remember(claims.sessionId, true, claims.expiresAt * 1000);
    else if (epoch === this.epoch && this.listening)
      this.remember(claims.sessionId, false, now + this.liveTtlMs);
    return revoked;
  };

  /** Bumped on every notification: read before opening a session, for markOpened. */
  get notificationEpoch(): number {
    return this.epoch;
  }

  /**
   * A session this process has just opened and committed is live: its first requests (the
   * sync plan, the streams and the first page, all at once right after sign-in) are answered
   * from memory instead of each looking it up. Not when a notification came since `epoch` (read
   * before the session was opened: it may have been about this session), nor over a revoked
   * answer, nor while the listener is down (as for any cached live answer).
   */
  markOpened(sessionId: string, epoch: number) {
    if (!this.listening || epoch !== this.epoch || this.entries.get(sessionId)?.revoked) return;
    this.remember(sessionId, false, Date.now() + this.liveTtlMs);
  }

  /** Marks sessions revoked in this process at once (the NOTIFY reaches the others). */
  markRevoked(sessionIds: Iterable<string>) {
    for (const sid of sessionIds) this.remember(sid, true, Date.now() + 24 * 3600_000);
  }

  private remember(sid: string, revoked: boolean, until: number) {
    this.entries.delete(sid);
    this.entries.set(sid, { revoked, until });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  /**
   * A session is live when its row exists, is not revoked and has not expired. A token whose
   * sid has no row here was minted by another service sharing the secret: it is accepted while
   * its user exists in this organisation (removing the member refuses it).
   */
  private async lookup(claims: AccessClaims): Promise<boolean> {
    const { rows } = await tenantTransaction(
      this.db.appPool,
      { orgId: claims.orgId },
      (tx) =>
        tx.query(
          `SELECT (SELECT s.revoked_at IS NULL AND s.expires_at > now()
                     FROM sessions s WHERE s.id = $1 AND s.user_id = $2) AS session_live,
                  EXISTS (SELECT 1 FROM users u WHERE u.id = $2) AS user_exists`,
          [claims.sessionId, claims.userId],
        ),
      { readOnly: true, operation: 'auth_lookup' },
    );
    const row = rows[0];
    if (row.session_live === null) return !row.user_exists;
    return !row.session_live;
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({
      connectionString: this.db.appDirectUrl, // LISTEN needs a session: never through a pooler
      application_name: 'sertantai-revocation-listener',
      keepAlive: true,
    });
    client.on('notification', (message) => {
      if (message.channel !== REVOCATION_CHANNEL || !message.payload) return;
      this.epoch += 1;
      this.stats.notifications += 1;
      this.remember(message.payload, true, Date.now() + 24 * 3600_000);
    });
    const lost = (error?: Error) => {
      if (this.listener !== client) return;
      this.listener = undefined;
      this.listening = false;
      this.epoch += 1;
      if (this.stopped) return;
      this.log.warn(
        { event: 'auth.revocation_listener_lost', err: error?.message },
        'revocation listener lost',
      );
      client.end().catch(() => {});
      this.scheduleReconnect();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    this.listener = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${REVOCATION_CHANNEL}`);
      const { rows } = await client.query('SELECT pg_backend_pid() AS pid');
      this.pid = rows[0].pid;
      if (this.listener !== client) return;
      // Notifications sent while we were not listening are lost: start from a clean cache.
      for (const [sid, entry] of this.entries) if (!entry.revoked) this.entries.delete(sid);
      this.listening = true;
      this.reconnectDelayMs = 250;
    } catch (error) {
      lost(error as Error);
    }
  }

  private scheduleReconnect() {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => void this.connect(), this.reconnectDelayMs);
    this.reconnectTimer.unref();
    this.reconnectDelayMs = Math.min(this.reconnectDelayMs * 2, 10_000);
  }
}

/**
 * Revokes the sessions matched by `where` (a fixed SQL fragment over `s`, parameters from $2),
 * their refresh tokens, and notifies every process. Returns the revoked session ids.
 * Call inside the organisation's tenantTransaction.
 */
export async function revokeSessions(
  tx: Tx,
  reason: RevocationReason,
  where: 'id' | 'user',
  value: string,
  exceptSessionId?: string,
): Promise<string[]> {
  const column = where === 'id' ? 'id' : 'user_id';
  const { rows } = await tx.query(
    `WITH revoked AS (
       UPDATE sessions SET revoked_at = now(), revoked_reason = $1
       WHERE ${column} = $2 AND revoked_at IS NULL AND ($4::uuid IS NULL OR id <> $4::uuid)
       RETURNING id
     ), tokens AS (
       UPDATE refresh_tokens SET revoked_at = now()
       WHERE session_id IN (SELECT id FROM revoked) AND revoked_at IS NULL
     )
     SELECT id, pg_notify($3, id::text) FROM revoked`,
    [reason, value, REVOCATION_CHANNEL, exceptSessionId ?? null],
  );
  return rows.map((row) => row.id as string);
}
