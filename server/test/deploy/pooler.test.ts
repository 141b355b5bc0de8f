// Request traffic through a real PgBouncer in transaction mode (APP_DATABASE_URL), two app
// instances sharing it, DATABASE_URL direct beside it. The essential flows must hold: register,
// login, refresh, logout revoking the session in the other instance too (LISTEN stays on a direct
// connection), controls CRUD, a sync shape, and the sweep's session lock released every round
// (an advisory lock taken through the pooler would stay on whichever server connection ran it).
// Skips when /usr/sbin/pgbouncer is absent (apt-get install pgbouncer; .ci/run does).
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepLockKey } from '../../src/classification/sweeper.ts';
import { preparesStatements } from '../../src/db/prepared.ts';
import { SYNC_PATH } from '../../src/sync/endpoint.ts';
import { freshIp, login, register } from '../auth/helpers.ts';
import { createTestApp, type TestApp, testConfig } from '../helpers/app.ts';
import { havePgBouncer, type Pooler, startPooler } from '../helpers/pgbouncer.ts';

describe.skipIf(!havePgBouncer)(
  'through PgBouncer in transaction mode (skipped: no /usr/sbin/pgbouncer)',
  () => {
    let pooler: Pooler;
    let a: TestApp;
    let b: TestApp;

    beforeAll(async () => {
      // A login role of its own, made a member of <database>_app by the server.
      pooler = await startPooler(testConfig().databaseUrl!, 'pooled');
      // As the drill and docs/deployment.md say: no prepared statements behind a transaction pooler.
      const env = { APP_DATABASE_URL: pooler.appUrl, DB_PREPARED_STATEMENTS: 'false' };
      a = await createTestApp({ env });
      b = await createTestApp({ env });
      // Listening, so the elected engine's internal route is reachable from the other instance.
      await a.app.listen({ port: 0, host: '127.0.0.1' });
      await b.app.listen({ port: 0, host: '127.0.0.1' });
    }, 60_000);

    afterAll(async () => {
      await a?.close();
      await b?.close();
      await pooler?.close();
    });

    it('sends request traffic through the pooler and keeps the owner and LISTEN direct', async () => {
      expect(new URL(a.db.appUrl).port).toBe(String(pooler.bouncer.port));
      expect(new URL(a.db.appDirectUrl).port).not.toBe(String(pooler.bouncer.port));
      expect(new URL(a.db.ownerUrl).port).not.toBe(String(pooler.bouncer.port));
      expect(preparesStatements(a.db.appPool)).toBe(false); // PgBouncer 1.18 cannot keep them
      const { rows } = await a.db.appPool.query(
        `SELECT current_user AS "user", pg_has_role(current_user, $1, 'USAGE') AS granted`,
        [a.db.appRole],
      );
      expect(rows[0]).toEqual({ user: pooler.role, granted: true });
    });

    it('register, login, refresh and controls CRUD across both instances', async () => {
      const owner = await register(a.app);
      const signedIn = await login(b.app, owner.email, owner.password);
      expect(signedIn.statusCode).toBe(200);
      const refreshed = await a.app.inject({
        method: 'POST',
        url: '/auth/refresh',
        remoteAddress: freshIp(),
        payload: { refresh_token: signedIn.json().refresh_token },
      });
      expect(refreshed.statusCode).toBe(200);
      const auth = { authorization: `Bearer ${refreshed.json().access_token}` };

      const created = await a.app.inject({
        method: 'POST',
        url: '/api/controls',
        headers: auth,
        payload: { name: 'Pooled fire door', control_type: 'technical', functional_range: 'narrow' },
      });
      expect(created.statusCode).toBe(201);
      const id = created.json().data.id;
      expect(typeof created.json().txid).toBe('number');
      const read = await b.app.inject({ method: 'GET', url: `/api/controls/${id}`, headers: auth });
      expect(read.json().data.name).toBe('Pooled fire door');
      const patched = await b.app.inject({
        method: 'PATCH',
        url: `/api/controls/${id}`,
        headers: auth,
        payload: { name: 'Pooled fire door, rehung' },
      });
      expect(patched.statusCode).toBe(200);
      const deleted = await a.app.inject({ method: 'DELETE', url: `/api/controls/${id}`, headers: auth });
      expect(deleted.statusCode).toBeLessThan(300);
      const gone = await b.app.inject({ method: 'GET', url: `/api/controls/${id}`, headers: auth });
      expect(gone.statusCode).toBe(404);
    });

    it('a logout in one instance revokes the session in the other', async () => {
      const owner = await register(a.app);
      const auth = { authorization: `Bearer ${owner.accessToken}` };
      // B checks the session once and caches it as live; only the NOTIFY can change its mind.
      expect((await b.app.inject({ method: 'GET', url: '/api/me', headers: auth })).statusCode).toBe(200);
      expect((await a.app.inject({ method: 'POST', url: '/auth/logout', headers: auth })).statusCode).toBe(
        204,
      );
      let answer = await b.app.inject({ method: 'GET', url: '/api/me', headers: auth });
      for (let attempt = 0; attempt < 100 && answer.statusCode === 200; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        answer = await b.app.inject({ method: 'GET', url: '/api/me', headers: auth });
      }
      expect(answer.statusCode).toBe(401);
      expect(answer.json().code).toBe('TOKEN_REVOKED');
    });

    it('serves a sync shape', async () => {
      const owner = await register(a.app);
      const auth = { authorization: `Bearer ${owner.accessToken}` };
      await a.app.inject({
        method: 'POST',
        url: '/api/controls',
        headers: auth,
        payload: { name: 'Synced through the pooler', control_type: 'technical', functional_range: 'narrow' },
      });
      // Through whichever instance is not the engine's: forwarded; 503 only while electing.
      const fetchShape = () =>
        b.app.inject({ method: 'GET', url: `${SYNC_PATH}?table=controls&offset=-1`, headers: auth });
      let shape = await fetchShape();
      for (let attempt = 0; attempt < 100 && shape.statusCode === 503; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        shape = await fetchShape();
      }
      expect(shape.statusCode).toBe(200);
      const names = (shape.json() as Array<{ value?: { name?: string } }>).map(
        (message) => message.value?.name,
      );
      expect(names).toContain('Synced through the pooler');
    });

    it('releases the sweep lock every round, whichever instance sweeps', async () => {
      const owner = await register(a.app);
      for (const t of [a, b, a, b]) {
        expect(await t.app.runSweep({ only: [owner.orgId] })).toMatchObject({ skipped: false });
        // No session anywhere still holds the sweep's lock (pg_locks shows the key's halves unsigned).
        const [classid, objid] = sweepLockKey(a.config.syncEngineGroup);
        const { rows } = await a.db.ownerPool.query(
          `SELECT count(*)::int AS held FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 AND objid = $2`,
          [classid >>> 0, objid >>> 0],
        );
        expect(rows[0].held).toBe(0);
      }
    });

    it('PgBouncer counted the transactions', async () => {
      const stats = new pg.Client({
        connectionString: pooler.appUrl.replace(/\/[^/]+$/, '/pgbouncer'),
      });
      await stats.connect();
      try {
        const { rows } = await stats.query('SHOW STATS');
        const ours = rows.find((row) => row.database === new URL(a.db.appUrl).pathname.slice(1));
        expect(Number(ours?.total_xact_count)).toBeGreaterThan(20);
      } finally {
        await stats.end();
      }
    });
  },
);
