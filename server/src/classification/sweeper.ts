// Owns the time sweep's schedule: run at start and every SWEEP_INTERVAL_SECONDS, visiting each
// organisation (organization_ids(), a SECURITY DEFINER function) in its own tenant transaction.
// A session advisory lock makes one process sweep at a time when several servers share the
// database; the others skip that round. The lock is held on `lockPool`, a direct connection
// (session state does not survive a pooler in transaction mode); the work goes through `pool`. The clock is injected so tests move time.
import type pg from 'pg';
import type { Clock } from '../clock.ts';
import { LOCK_NAMESPACE } from '../db/advisory-locks.ts';
import { tenantTransaction } from '../db/tenant.ts';
import type { EventPublisher } from '../events/bus.ts';
import type { Logger } from '../ops/logger.ts';
import { sweepOrganization } from './service.ts';

/**
 * Advisory lock key (two int4s): "sertantai" namespace, then the election group (SYNC_ENGINE_GROUP):
 * 1 for the default group (the key every process used before groups), else a 32-bit FNV-1a of
 * its name. Processes of one group take turns; test processes, each its own group, never skip
 * a round because another test file is sweeping.
 */
export function sweepLockKey(group = 'default'): [number, number] {
  if (group === 'default') return [LOCK_NAMESPACE.sweep, 1];
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(group)) hash = Math.imul(hash ^ byte, 0x01000193);
  return [LOCK_NAMESPACE.sweep, hash | 0];
}

export type SweepResult =
  | { skipped: true }
  | { skipped: false; organizations: number; moved: number; failed: number };

export type SweepOptions = { only?: string[] };

export type Sweeper = {
  /**
   * Runs one sweep now (tests call this after moving the clock). `only` limits the round to
   * some organisations, so a test never reclassifies another test's tenants.
   */
  runOnce(options?: SweepOptions): Promise<SweepResult>;
  /** Runs now, then every `intervalSeconds`; returns the first run's promise. */
  start(intervalSeconds: number, options?: SweepOptions): Promise<SweepResult>;
  stop(): Promise<void>;
};

export function createSweeper(options: {
  /** The runtime role's pool for the tenant transactions (may go through a pooler). */
  pool: pg.Pool;
  /** A direct connection's pool for the session advisory lock (the owner's). */
  lockPool: pg.Pool;
  clock: Clock;
  log: Logger;
  /** Where each organisation's sweep publishes its events (the app's bus). */
  events: EventPublisher;
  /** The election group (SYNC_ENGINE_GROUP): processes of one group sweep one at a time. */
  lockGroup?: string;
}): Sweeper {
  const { pool, lockPool, clock, log, events } = options;
  const LOCK_KEY = sweepLockKey(options.lockGroup);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<SweepResult> | undefined;

  async function sweep(options: SweepOptions): Promise<SweepResult> {
    const lockClient = await lockPool.connect();
    let broken = false;
    try {
      const { rows } = await lockClient.query('SELECT pg_try_advisory_lock($1, $2) AS locked', [...LOCK_KEY]);
      if (!rows[0].locked) return { skipped: true };
      try {
        const now = clock.now();
        const orgs = await lockClient.query<{ id: string }>(
          options.only
            ? 'SELECT id FROM organization_ids() AS id WHERE id = ANY($1::uuid[])'
            : 'SELECT id FROM organization_ids() AS id',
          options.only ? [options.only] : [],
        );
        let moved = 0;
        let failed = 0;
        for (const { id } of orgs.rows) {
          try {
            const result = await tenantTransaction(
              pool,
              { orgId: id, requestId: 'time-sweep' },
              (tx) => sweepOrganization(tx, now, events),
              { operation: 'sweep' },
            );
            moved += result.moved.length;
          } catch (error) {
            // One organisation's failure must not stop the others; the next round retries it.
            failed += 1;
            log.error({ err: error, orgId: id }, 'time sweep failed for an organisation');
          }
        }
        if (moved > 0 || failed > 0) log.info({ organizations: orgs.rowCount, moved, failed }, 'time sweep');
        return { skipped: false, organizations: orgs.rowCount ?? 0, moved, failed };
      } finally {
        await lockClient.query('SELECT pg_advisory_unlock($1, $2)', [...LOCK_KEY]).catch(() => {
          broken = true; // a lock we cannot release must not go back to the pool with the connection
        });
      }
    } catch (error) {
      broken = true;
      throw error;
    } finally {
      lockClient.release(broken);
    }
  }

  async function runOnce(options: SweepOptions = {}): Promise<SweepResult> {
    // Rounds in one process never overlap: a round waits for the one in progress to finish.
    while (running) await running.catch(() => {});
    const round = sweep(options).finally(() => {
      if (running === round) running = undefined;
    });
    running = round;
    return round;
  }

  return {
    runOnce,
    start(intervalSeconds, options = {}) {
      const first = runOnce(options);
      first.catch((error) => log.error({ err: error }, 'time sweep failed'));
      timer = setInterval(() => {
        runOnce(options).catch((error) => log.error({ err: error }, 'time sweep failed'));
      }, intervalSeconds * 1000);
      timer.unref();
      return first;
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running?.catch(() => {});
    },
  };
}
