import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.ts';
import { auth, createIdentityTestApp, login, me, refresh, register } from './helpers.ts';

let a: TestApp;
let b: TestApp;
beforeAll(async () => {
  // Two server processes (two apps, two pools, two revocation listeners) on one database.
  a = await createIdentityTestApp();
  b = await createIdentityTestApp();
});
afterAll(async () => {
  await a.close();
  await b.close();
});

async function logout(app: TestApp, token: string, url = '/auth/logout') {
  return app.app.inject({ method: 'POST', url, headers: auth(token) });
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

describe('POST /auth/logout', () => {
  it('revokes the session: 204, then its access token is refused and its refresh token dead', async () => {
    const r = await register(a.app);
    const response = await logout(a, r.accessToken);
    expect(response.statusCode).toBe(204);
    const after = await me(a.app, r.accessToken);
    expect(after.statusCode).toBe(401);
    expect(after.json().code).toBe('TOKEN_REVOKED');
    const dead = await refresh(a.app, r.refreshToken);
    expect(dead.statusCode).toBe(401);
    expect(dead.json().code).toBe('TOKEN_REVOKED');
    expect((await logout(a, r.accessToken)).statusCode).toBe(401);
  });

  it('local scope leaves the user’s other sessions alive', async () => {
    const r = await register(a.app);
    const other = (await login(a.app, r.email, r.password)).json();
    expect((await logout(a, r.accessToken)).statusCode).toBe(204);
    expect((await me(a.app, other.access_token)).statusCode).toBe(200);
    expect((await refresh(a.app, other.refresh_token)).statusCode).toBe(200);
  });

  it('global scope revokes every session of the user (query or body)', async () => {
    const r = await register(a.app);
    const second = (await login(a.app, r.email, r.password)).json();
    const third = (await login(a.app, r.email, r.password)).json();
    const response = await logout(a, r.accessToken, '/auth/logout?scope=global');
    expect(response.statusCode).toBe(204);
    for (const token of [r.accessToken, second.access_token, third.access_token]) {
      expect((await me(a.app, token)).json().code).toBe('TOKEN_REVOKED');
      expect((await me(b.app, token)).json().code).toBe('TOKEN_REVOKED');
    }
    expect((await refresh(a.app, third.refresh_token)).statusCode).toBe(401);

    const s = await register(a.app);
    const other = (await login(a.app, s.email, s.password)).json();
    const viaBody = await a.app.inject({
      method: 'POST',
      url: '/auth/logout',
      headers: auth(s.accessToken),
      payload: { scope: 'global' },
    });
    expect(viaBody.statusCode).toBe(204);
    expect((await me(a.app, other.access_token)).statusCode).toBe(401);
    const text = await a.metrics.registry.metrics();
    expect(text).toMatch(/sessions_revoked_total\{reason="logout_global"\} [2-9]/);
  });

  it('reaches a second server process: the other one refuses the token with TOKEN_REVOKED', async () => {
    const r = await register(a.app);
    // process B has seen the token as live (and cached that)
    expect((await me(b.app, r.accessToken)).statusCode).toBe(200);
    expect((await me(b.app, r.accessToken)).statusCode).toBe(200);
    expect((await logout(a, r.accessToken)).statusCode).toBe(204);
    // delivered by NOTIFY, not by the cache's 10 s TTL
    const refused = await eventually(async () => (await me(b.app, r.accessToken)).statusCode === 401, 2000);
    expect(refused).toBe(true);
    const response = await me(b.app, r.accessToken);
    expect(response.json().code).toBe('TOKEN_REVOKED');
  });

  it('refuses an invalid scope and a missing token', async () => {
    const r = await register(a.app);
    const bad = await a.app.inject({
      method: 'POST',
      url: '/auth/logout?scope=everyone',
      headers: auth(r.accessToken),
    });
    expect(bad.statusCode).toBe(400);
    const missing = await a.app.inject({ method: 'POST', url: '/auth/logout' });
    expect(missing.statusCode).toBe(401);
    expect(missing.json().code).toBe('MISSING_TOKEN');
  });
});

describe('dead-session sweep', () => {
  it('deletes sessions a day after revocation or expiry, and keeps the rest', async () => {
    const { sweepDeadSessions } = await import('../../src/auth/session-sweep.ts');
    const { tenantTransaction } = await import('../../src/db/tenant.ts');
    const { decodeJwt } = await import('jose');
    const old = await register(a.app);
    const recent = (await login(a.app, old.email, old.password)).json();
    const live = (await login(a.app, old.email, old.password)).json();
    await logout(a, old.accessToken);
    await logout(a, recent.access_token);
    const sid = (token: string) => decodeJwt(token).sid as string;
    await tenantTransaction(a.db.appPool, { orgId: old.orgId }, (tx) =>
      tx.query(`UPDATE sessions SET revoked_at = now() - interval '2 days' WHERE id = $1`, [
        sid(old.accessToken),
      ]),
    );
    expect(await sweepDeadSessions(a.db, 86_400)).toBeGreaterThanOrEqual(1);
    const rows = await tenantTransaction(a.db.appPool, { orgId: old.orgId }, async (tx) =>
      (await tx.query('SELECT id FROM sessions')).rows.map((row) => row.id),
    );
    expect(rows).not.toContain(sid(old.accessToken));
    expect(rows).toContain(sid(recent.access_token)); // revoked, but its tokens may still be in flight
    expect(rows).toContain(sid(live.access_token));
    // the swept session's refresh token is gone with it
    expect((await refresh(a.app, old.refreshToken)).json().code).toBe('INVALID_TOKEN');
    expect((await me(a.app, live.access_token)).statusCode).toBe(200);
  });
});
