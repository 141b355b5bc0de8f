// The engine's replication gauges tell the truth at scrape time: lag is 0 while the engine has
// read all WAL (also when other WAL moves the server on), and grows while the stream is dead
// and a transaction waits; the slot's retained WAL and max_slot_wal_keep_size are exported.
import { describe, expect, it } from 'vitest';
import { ReplicationLag } from '../../src/sync/engine/lag.ts';
import { buildOrganization } from '../helpers/factories.ts';
import {
  type EngineApp,
  eventually,
  insertControls,
  shapeParams,
  sleep,
  startEngineApp,
  syncToUpToDate,
} from './engine-harness.ts';

async function gauge(e: EngineApp, name: string): Promise<number> {
  const text = (await e.app.inject({ method: 'GET', url: '/metrics' })).body;
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`${name} is not exported`);
  return Number(line.split(' ')[1]);
}

describe('ReplicationLag', () => {
  it('is 0 when caught up, and counts from the later of the last commit and the last catch-up', () => {
    const lag = new ReplicationLag();
    expect(lag.seconds(10_000, 500, 0)).toBe(0); // never started: nothing to measure from
    lag.started(20_000);
    expect(lag.seconds(21_000, 100, 100)).toBe(0); // caught up at 21 s
    lag.processed(15_000); // an old commit does not pull the bound back
    expect(lag.seconds(26_000, 200, 100)).toBe(5);
    lag.processed(24_000);
    expect(lag.seconds(30_000, 200, 150)).toBe(6);
    expect(lag.seconds(40_000, undefined, 150)).toBe(16); // server unreachable: still pending
    expect(lag.seconds(41_000, 200, 200)).toBe(0);
  });
});

describe('replication gauges at scrape time', () => {
  it('stay at 0 lag while caught up, grow while the stream is dead with WAL pending, and report the slot', async () => {
    const e = await startEngineApp({ restartDelayMs: 60_000 });
    try {
      expect(await gauge(e, 'sync_engine_replication_lag_seconds')).toBe(0); // not started
      const org = await buildOrganization(e.db);
      await syncToUpToDate(e, shapeParams(e, 'controls', org.id));
      await insertControls(e, org.id, ['a']);
      // WAL from outside the publication moves the server on; keepalives move the engine too.
      await e.db.ownerPool.query('CREATE TEMP TABLE lag_probe AS SELECT 1 AS x');
      await eventually(async () => expect(await gauge(e, 'sync_engine_replication_lag_seconds')).toBe(0));
      await sleep(1_100);
      expect(await gauge(e, 'sync_engine_replication_lag_seconds')).toBe(0);
      expect(await gauge(e, 'sync_engine_slot_retained_wal_bytes')).toBeGreaterThanOrEqual(0);
      const keep = await e.db.ownerPool.query(
        `SELECT pg_size_bytes(current_setting('max_slot_wal_keep_size'))::float8 AS bytes`,
      );
      expect(await gauge(e, 'sync_engine_max_slot_wal_keep_size_bytes')).toBe(keep.rows[0].bytes);

      const slot = e.engine.health().detail.slot as string;
      await e.db.ownerPool.query(
        'SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1',
        [slot],
      );
      await eventually(() => expect(e.engine.health().ok).toBe(false));
      await insertControls(e, org.id, ['b']); // committed, never read: the stream is dead
      const first = await eventually(async () => {
        const value = await gauge(e, 'sync_engine_replication_lag_seconds');
        expect(value).toBeGreaterThan(0);
        return value;
      });
      await sleep(1_100);
      expect(await gauge(e, 'sync_engine_replication_lag_seconds')).toBeGreaterThan(first);
    } finally {
      await e.close();
    }
  });
});
