// Owns the election of the one built-in sync engine per database (per election group): a
// session advisory lock taken with pg_try_advisory_lock on a dedicated direct owner connection.
// The holder is the leader and publishes its internal URL in sync_engine_leaders (believed only
// while its backend still holds the lock) and with pg_notify; every other process is a follower
// that forwards to that URL. Followers retry the lock every `retryMs`: when the leader's process
// dies, PostgreSQL releases its lock with its connection and a follower wins the next round.
// A leader whose connection fails steps down at once (it may no longer hold the lock).
import { createHash } from 'node:crypto';
import pg from 'pg';
import client from 'prom-client';
import { LOCK_NAMESPACE } from '../../db/advisory-locks.ts';
import type { Logger } from '../../ops/logger.ts';

export const ELECTION_LOCK_CLASS = LOCK_NAMESPACE.election;
const CHANNEL = 'sertantai_engine_leader';

export type ElectionRole = 'electing' | 'leader' | 'follower';

export type ElectionOptions = {
  /** Direct owner connection (never through a transaction pooler: the lock is per session). */
  ownerUrl: string;
  /** Processes with the same database and group elect one engine among themselves. */
  group: string;
  log: Logger;
  registry?: client.Registry;
  /** How often a follower tries the lock and a leader checks its connection. */
  retryMs?: number;
  /** Called on every change of role (a leader that steps down becomes 'electing'). */
  onRoleChange?: (role: ElectionRole) => void;
};

/** The lock's second key: a stable positive int4 from the group name. */
export function groupKey(group: string): number {
  return createHash('sha256').update(group).digest().readUInt32BE(0) & 0x7fffffff;
}

export class EngineElection {
  role: ElectionRole = 'electing';
  /** A follower's leader (its internal URL), once known. */
  leaderUrl: string | undefined;
  /** Resolves after the first round, won or lost (or failed). */
  readonly firstRound: Promise<void>;
  private resolveFirstRound!: () => void;
  private client: pg.Client | undefined;
  private ownUrl: string | undefined;
  private published: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private stopped = false;
  private lastError: string | undefined;
  private readonly key: number;
  private readonly retryMs: number;

  constructor(private readonly options: ElectionOptions) {
    this.key = groupKey(options.group);
    this.retryMs = options.retryMs ?? 1_500;
    this.firstRound = new Promise((resolve) => {
      this.resolveFirstRound = resolve;
    });
    if (options.registry) {
      const election = this;
      new client.Gauge({
        name: 'sync_engine_leader',
        help: '1 when this process runs the elected sync engine of its database, else 0',
        registers: [options.registry],
        collect() {
          this.set(election.role === 'leader' ? 1 : 0);
        },
      });
    }
  }

  /** Starts the rounds; resolves after the first. */
  start(): Promise<void> {
    this.schedule(0);
    return this.firstRound;
  }

  /** This process's internal URL (known once it listens); the leader publishes it. */
  setOwnUrl(url: string) {
    this.ownUrl = url;
    if (this.role === 'leader') this.schedule(0);
  }

  /** Runs a round now (a follower that could not reach its leader). */
  recheck() {
    if (this.role !== 'leader') this.schedule(0);
  }

  health(): { ok: boolean; detail: Record<string, unknown> } {
    return {
      ok: this.lastError === undefined,
      detail: {
        role: this.role,
        group: this.options.group,
        ...(this.role === 'leader' ? { url: this.ownUrl ?? null } : {}),
        ...(this.role === 'follower' ? { forwards_to: this.leaderUrl ?? null } : {}),
        ...(this.lastError ? { error: this.lastError } : {}),
      },
    };
  }

  /** Ends the election connection: a leader's lock is released with it. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.round?.catch(() => {});
    const connection = this.client;
    this.client = undefined;
    if (connection && this.role === 'leader') {
      // Hand over now: free the lock and wake the followers instead of letting them poll.
      await connection
        .query('SELECT pg_advisory_unlock($1, $2), pg_notify($3, $4)', [
          ELECTION_LOCK_CLASS,
          this.key,
          CHANNEL,
          this.options.group,
        ])
        .catch(() => {});
    }
    this.setRole('electing');
    await connection?.end().catch(() => {});
    this.resolveFirstRound();
  }

  private schedule(delayMs: number) {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      // Rounds never overlap: a round asked for during one runs right after it.
      const previous = this.round ?? Promise.resolve();
      this.round = previous
        .then(() => this.runRound())
        .finally(() => {
          this.resolveFirstRound();
          this.schedule(this.retryMs);
        });
    }, delayMs);
    this.timer.unref();
  }

  private async runRound(): Promise<void> {
    if (this.stopped) return;
    try {
      const connection = await this.connection();
      if (this.role === 'leader') {
        await connection.query('SELECT 1'); // the session lives, so the lock is still ours
        if (this.ownUrl !== this.published) await this.publish(connection);
        return;
      }
      const { rows } = await connection.query<{ won: boolean }>(
        'SELECT pg_try_advisory_lock($1, $2) AS won',
        [ELECTION_LOCK_CLASS, this.key],
      );
      if (rows[0]?.won) {
        await this.publish(connection);
        this.leaderUrl = undefined;
        this.setRole('leader');
      } else {
        this.leaderUrl = await this.readLeader(connection);
        this.setRole('follower');
      }
      this.lastError = undefined;
    } catch (error) {
      this.connectionLost(error as Error);
    }
  }

  private async connection(): Promise<pg.Client> {
    if (this.client) return this.client;
    const connection = new pg.Client({
      connectionString: this.options.ownerUrl,
      application_name: 'sertantai-engine-election',
      keepAlive: true,
      // Long enough that a loaded server is not taken for a lost connection (a leader steps
      // down on it); a dead peer is found sooner by the socket's keep-alive or an error.
      query_timeout: 30_000,
    });
    connection.on('error', (error) => this.connectionLost(error, connection));
    connection.on('end', () => this.connectionLost(new Error('connection ended'), connection));
    connection.on('notification', (message) => {
      if (message.channel === CHANNEL && message.payload === this.options.group && this.role !== 'leader')
        this.schedule(0);
    });
    this.client = connection;
    await connection.connect();
    await connection.query(`LISTEN ${CHANNEL}`);
    return connection;
  }

  private async publish(connection: pg.Client) {
    const url = this.ownUrl;
    await connection.query(
      `INSERT INTO sync_engine_leaders (election_group, internal_url, backend_pid, elected_at)
       VALUES ($1, $2, pg_backend_pid(), now())
       ON CONFLICT (election_group) DO UPDATE
         SET internal_url = excluded.internal_url, backend_pid = excluded.backend_pid,
             elected_at = excluded.elected_at`,
      [this.options.group, url ?? null],
    );
    await connection.query('SELECT pg_notify($1, $2)', [CHANNEL, this.options.group]);
    this.published = url;
    this.options.log.info({ group: this.options.group, url }, 'sync engine election: this process leads');
  }

  /** The leader's URL, only from a row whose backend still holds the lock. */
  private async readLeader(connection: pg.Client): Promise<string | undefined> {
    const { rows } = await connection.query<{ url: string | null }>(
      `SELECT e.internal_url AS url FROM sync_engine_leaders e
       JOIN pg_locks l ON l.locktype = 'advisory' AND l.granted AND l.pid = e.backend_pid
         AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND l.classid = $2::oid AND l.objid = $3::oid AND l.objsubid = 2
       WHERE e.election_group = $1`,
      [this.options.group, ELECTION_LOCK_CLASS, this.key],
    );
    return rows[0]?.url ?? undefined;
  }

  private connectionLost(error: Error, connection = this.client) {
    if (connection !== this.client || this.stopped) return;
    this.client = undefined;
    connection?.end().catch(() => {});
    this.lastError = error.message;
    if (this.role === 'leader') {
      this.options.log.warn({ err: error }, 'sync engine election: connection lost, stepping down');
    } else {
      this.options.log.warn({ err: error }, 'sync engine election: connection lost');
    }
    this.leaderUrl = undefined;
    this.setRole('electing');
  }

  private setRole(role: ElectionRole) {
    if (this.role === role) return;
    this.role = role;
    if (role !== 'leader') this.published = undefined;
    this.options.onRoleChange?.(role);
  }
}
