// Every auth event leaves a structured log line; no line ever carries a token or a password.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, buildApp } from '../../src/app.ts';
import { identityFeature } from '../../src/auth/feature.ts';
import { ManualClock } from '../../src/clock.ts';
import type { Database } from '../../src/db/database.ts';
import { createMetrics } from '../../src/ops/metrics.ts';
import { openTestDatabase, testConfig } from '../helpers/app.ts';
import { auth, freshIp, login, me, refresh, register } from './helpers.ts';

const lines: Array<Record<string, unknown>> = [];
const raw: string[] = [];
let app: App;
let db: Database;

beforeAll(async () => {
  const config = testConfig();
  db = await openTestDatabase(config);
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        raw.push(line);
        lines.push(JSON.parse(line));
      }
      done();
    },
  });
  app = await buildApp(
    { config, db, log: pino({ level: 'info' }, stream), metrics: createMetrics(), clock: new ManualClock() },
    [identityFeature],
  );
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await db.close();
});

describe('auth logs', () => {
  it('log login ok/failed, refresh, reuse, logout and rejected tokens, without secrets', async () => {
    const password = 'a very secret password';
    const r = await register(app, { password });
    await login(app, r.email, 'wrong password here');
    const ok = (await login(app, r.email, password)).json();
    const rotated = (await refresh(app, ok.refresh_token)).json();
    await db.appPool.query('SELECT 1');
    await me(app, 'garbage.token.value');
    await app.inject({ method: 'POST', url: '/auth/logout', headers: auth(rotated.access_token) });
    await me(app, rotated.access_token);
    // reuse after the grace window
    const again = (await login(app, r.email, password)).json();
    await refresh(app, again.refresh_token);
    const { tenantTransaction } = await import('../../src/db/tenant.ts');
    await tenantTransaction(db.appPool, { orgId: r.orgId }, (tx) =>
      tx.query(`UPDATE refresh_tokens SET used_at = now() - interval '1 minute' WHERE used_at IS NOT NULL`),
    );
    await refresh(app, again.refresh_token, freshIp());

    const events = lines.map((line) => `${line.event}${line.result ? `:${line.result}` : ''}`);
    for (const expected of [
      'auth.register',
      'auth.login:failed',
      'auth.login:ok',
      'auth.refresh:ok',
      'auth.token_rejected',
      'auth.logout',
      'auth.refresh_reuse_detected',
      'auth.refresh:reused',
    ]) {
      expect(events, expected).toContain(expected);
    }
    const rejected = lines.filter((line) => line.event === 'auth.token_rejected').map((line) => line.reason);
    expect(rejected).toContain('malformed');
    expect(rejected).toContain('revoked');
    const failed = lines.find((line) => line.event === 'auth.login' && line.result === 'failed')!;
    expect(failed).toMatchObject({ reason: 'wrong_password', user_id: r.userId, ip: expect.any(String) });

    const secrets = [
      password,
      r.accessToken,
      r.refreshToken,
      ok.access_token,
      ok.refresh_token,
      rotated.refresh_token,
      again.refresh_token,
    ];
    for (const line of raw) {
      for (const secret of secrets) expect(line.includes(secret), line).toBe(false);
      expect(line).not.toMatch(/\$argon2id\$/);
    }
  });
});
