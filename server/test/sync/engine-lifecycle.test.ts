// The engine's lifecycle, each test on an engine of its own with shortened options: idle
// eviction and the log cap (clients get 409 and a new handle), health and 503s while replication
// has failed, and the temporary replication slot that exists only while the engine runs.
import { describe, expect, it } from 'vitest';
import { buildOrganization } from '../helpers/factories.ts';
import {
  eventually,
  getShape,
  insertControls,
  shapeParams,
  startEngineApp,
  syncToUpToDate,
} from './engine-harness.ts';

describe('engine memory bounds', () => {
  it('evicts idle shapes (the returning client gets 409) and resets logs over their cap', async () => {
    const small = await startEngineApp({ idleMs: 300, sweepMs: 100, maxLogChanges: 3, liveTimeoutMs: 300 });
    try {
      const org = await buildOrganization(small.db);
      const query = shapeParams(small, 'controls', org.id);
      const first = await syncToUpToDate(small, query);
      // Idle for longer than idleMs: the sweep drops the log (polled, not timed).
      await eventually(() => expect(small.engine.health().detail.shapes).toBe(0));
      const back = await getShape(small, { ...query, offset: first.offset, handle: first.handle });
      expect(back.status).toBe(409);
      const fresh = back.headers['electric-handle'] as string;
      expect(fresh).toBeDefined();
      expect(fresh).not.toBe(first.handle);

      const second = await syncToUpToDate(small, query);
      expect(second.handle).toBe(fresh);
      await insertControls(small, org.id, ['1', '2', '3', '4']);
      await eventually(async () => {
        const a = await getShape(small, { ...query, offset: second.offset, handle: second.handle });
        expect(a.status).toBe(409);
        expect(a.headers['electric-handle']).not.toBe(second.handle);
      });
      const health = await small.app.inject({ method: 'GET', url: '/health' });
      expect(health.statusCode).toBe(200);
    } finally {
      await small.close();
    }
  });
});

describe('engine health', () => {
  it('reports down (503) when replication fails, and 503s requests until it recovers', async () => {
    const fragile = await startEngineApp({ restartDelayMs: 60_000 });
    try {
      const idle = await fragile.app.inject({ method: 'GET', url: '/health' });
      expect(idle.statusCode).toBe(200);
      expect(idle.json().checks.sync_engine).toMatchObject({ state: 'idle' });
      const org = await buildOrganization(fragile.db);
      const query = shapeParams(fragile, 'controls', org.id);
      const synced = await syncToUpToDate(fragile, query);
      const slot = fragile.engine.health().detail.slot as string;
      await fragile.db.ownerPool.query(
        'SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1',
        [slot],
      );
      await eventually(async () => {
        const health = await fragile.app.inject({ method: 'GET', url: '/health' });
        expect(health.statusCode).toBe(503);
        expect(health.json().checks.sync_engine).toMatchObject({ ok: false, state: 'failed' });
      });
      const after = await getShape(fragile, { ...query, offset: synced.offset, handle: synced.handle });
      expect(after.status).toBe(503);
      expect(after.headers['retry-after']).toBe('5');
    } finally {
      await fragile.close();
    }
  });
});

describe('engine replication slot', () => {
  it('opens its temporary slot on the first shape request and the slot vanishes when the engine stops', async () => {
    const app = await startEngineApp();
    let slot: string | undefined;
    try {
      expect(app.engine.health().detail.slot).toBeUndefined();
      const org = await buildOrganization(app.db);
      await syncToUpToDate(app, shapeParams(app, 'controls', org.id));
      slot = app.engine.health().detail.slot as string;
      const { rows } = await app.db.ownerPool.query(
        'SELECT temporary, active FROM pg_replication_slots WHERE slot_name = $1',
        [slot],
      );
      expect(rows).toEqual([{ temporary: true, active: true }]);
    } finally {
      const owner = new (await import('pg')).default.Client({ connectionString: app.db.ownerUrl });
      await app.close();
      await owner.connect();
      try {
        await eventually(async () => {
          const { rowCount } = await owner.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [
            slot,
          ]);
          expect(rowCount).toBe(0);
        });
      } finally {
        await owner.end();
      }
    }
  });
});
