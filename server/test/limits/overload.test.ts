// A busy database answers 503 OVERLOADED with Retry-After, never 500 and never a hang: a tenant
// statement past DB_STATEMENT_TIMEOUT_MS is canceled (the table is held by a lock so the read
// cannot finish), and with every pooled connection taken a request waits DB_ACQUIRE_TIMEOUT_MS at
// most. Nothing is written by a refused request.
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { limitKey } from '../../src/auth/limit-store.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { bearer, buildOrganization, buildUser, type TestUser } from '../helpers/factories.ts';

let t: TestApp;
let user: TestUser;

beforeAll(async () => {
  t = await createTestApp({ env: { DB_STATEMENT_TIMEOUT_MS: '200', DB_ACQUIRE_TIMEOUT_MS: '1500' } });
  const org = await buildOrganization(t.db);
  user = await buildUser(t.db, t.config, org);
});

afterAll(async () => {
  await t?.close();
});

const newControl = { name: 'Overload probe', control_type: 'technical', functional_range: 'narrow' };

async function countControls(orgId: string): Promise<number> {
  const { rows } = await t.db.ownerPool.query(
    'SELECT count(*)::int AS n FROM controls WHERE organization_id = $1',
    [orgId],
  );
  return rows[0].n;
}

/** Runs `during` while an owner transaction holds an exclusive lock on the controls table. */
async function withControlsLocked<T>(during: () => Promise<T>): Promise<T> {
  const owner = await t.db.ownerPool.connect();
  try {
    await owner.query('BEGIN');
    await owner.query('LOCK TABLE controls IN ACCESS EXCLUSIVE MODE');
    return await during();
  } finally {
    await owner.query('ROLLBACK');
    owner.release();
  }
}

describe('statement timeout', () => {
  it('a read past the timeout answers 503 OVERLOADED with Retry-After and frees its connection', async () => {
    const response = await withControlsLocked(() =>
      t.app.inject({ method: 'GET', url: '/api/controls', headers: bearer(user) }),
    );
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toMatch(/^\d+$/);
    const body = response.json();
    expect(body.code).toBe('OVERLOADED');
    expect(body.error).toMatch(/took too long/);
    expect(body.details.retry_after).toBe(Number(response.headers['retry-after']));
    // The connection went back to the pool, and the next request is served.
    expect(t.db.appPool.totalCount - t.db.appPool.idleCount).toBe(0);
    const after = await t.app.inject({ method: 'GET', url: '/api/controls', headers: bearer(user) });
    expect(after.statusCode).toBe(200);
    const metrics = await t.metrics.registry.getSingleMetricAsString('db_statement_timeouts_total');
    expect(metrics).toMatch(/db_statement_timeouts_total\{pool="app"\} [1-9]/);
  });

  it('a write past the timeout answers 503 and writes nothing', async () => {
    const before = await countControls(user.orgId);
    const response = await withControlsLocked(() =>
      t.app.inject({ method: 'POST', url: '/api/controls', headers: bearer(user), payload: newControl }),
    );
    expect(response.statusCode).toBe(503);
    expect(response.json().code).toBe('OVERLOADED');
    expect(await countControls(user.orgId)).toBe(before);
  });

  it('a statement outside a tenant transaction (a rate-limit bucket, a directory lookup) is bounded too', async () => {
    const sync = () =>
      t.app.inject({
        method: 'GET',
        url: '/api/electric/sync?table=controls&offset=-1',
        headers: bearer(user),
      });
    expect((await sync()).statusCode).toBe(200); // the user's buckets exist now
    const owner = await t.db.ownerPool.connect();
    try {
      // Another transaction holds the user's bucket row: taking a token waits for it.
      await owner.query('BEGIN');
      await owner.query('SELECT 1 FROM rate_limit_state WHERE key = $1 FOR UPDATE', [
        limitKey('sync-user_requests', user.id),
      ]);
      const held = await sync();
      expect(held.statusCode).toBe(503);
      expect(held.json()).toMatchObject({ code: 'OVERLOADED' });
      // The directory (e-mail → organisation) read at sign-in, with its table locked.
      await owner.query('LOCK TABLE directory IN ACCESS EXCLUSIVE MODE');
      const signIn = await t.app.inject({
        method: 'POST',
        url: '/auth/login',
        payload: { email: user.email, password: 'whatever it is' },
      });
      expect(signIn.statusCode).toBe(503);
    } finally {
      await owner.query('ROLLBACK');
      owner.release();
    }
    expect(t.db.appPool.totalCount - t.db.appPool.idleCount).toBe(0);
    expect((await sync()).statusCode).toBe(200);
  });
});

describe('pool acquire timeout', () => {
  it('with every connection taken, a request answers 503 OVERLOADED with Retry-After, not a hang', async () => {
    const held: pg.PoolClient[] = [];
    try {
      const size = t.db.appPool.options.max ?? 5;
      for (let i = 0; i < size; i++) held.push(await t.db.appPool.connect());
      const before = await countControls(user.orgId);
      const read = await t.app.inject({ method: 'GET', url: '/api/controls', headers: bearer(user) });
      expect(read.statusCode).toBe(503);
      expect(read.headers['retry-after']).toMatch(/^\d+$/);
      expect(read.json()).toMatchObject({ code: 'OVERLOADED', details: { retry_after: expect.any(Number) } });
      const write = await t.app.inject({
        method: 'POST',
        url: '/api/controls',
        headers: bearer(user),
        payload: newControl,
      });
      expect(write.statusCode).toBe(503);
      expect(await countControls(user.orgId)).toBe(before);
    } finally {
      for (const client of held) client.release();
    }
    const after = await t.app.inject({ method: 'GET', url: '/api/controls', headers: bearer(user) });
    expect(after.statusCode).toBe(200);
    const metrics = await t.metrics.registry.getSingleMetricAsString('db_pool_acquire_timeouts_total');
    expect(metrics).toMatch(/db_pool_acquire_timeouts_total\{pool="app"\} [1-9]/);
  });
});
