import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantTransaction } from '../../src/db/tenant.ts';
import type { TestApp } from '../helpers/app.ts';
import { createIdentityTestApp, me, refresh, register } from './helpers.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createIdentityTestApp();
});
afterAll(() => t.close());

async function sessionRow(orgId: string, sessionId: string) {
  return tenantTransaction(
    t.db.appPool,
    { orgId },
    async (tx) =>
      (await tx.query('SELECT revoked_at, revoked_reason FROM sessions WHERE id = $1', [sessionId])).rows[0],
  );
}

describe('POST /auth/refresh', () => {
  it('rotates: a new pair for the same session, the old refresh token spent', async () => {
    const r = await register(t.app);
    const response = await refresh(t.app, r.refreshToken);
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 900,
      user: { id: r.userId },
      organization: { id: r.orgId },
    });
    expect(body.refresh_token).not.toBe(r.refreshToken);
    expect(body.access_token).not.toBe(r.accessToken);
    expect(decodeJwt(body.access_token).sid).toBe(decodeJwt(r.accessToken).sid);
    expect((await me(t.app, body.access_token)).statusCode).toBe(200);
    // the successor rotates again
    const again = await refresh(t.app, body.refresh_token);
    expect(again.statusCode).toBe(200);
    const text = await t.metrics.registry.metrics();
    expect(text).toMatch(/token_refresh_total\{result="ok"\} [2-9]/);
  });

  it('stores only a hash of the refresh token', async () => {
    const r = await register(t.app);
    const rows = await tenantTransaction(
      t.db.appPool,
      { orgId: r.orgId },
      async (tx) => (await tx.query(`SELECT encode(token_hash, 'hex') AS h FROM refresh_tokens`)).rows,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].h).toHaveLength(64);
    expect(JSON.stringify(rows)).not.toContain(r.refreshToken);
  });

  it('detects reuse of a spent token: 401 REFRESH_TOKEN_REUSED and the whole session dies (committed)', async () => {
    const r = await register(t.app);
    const first = (await refresh(t.app, r.refreshToken)).json();
    // Outside the grace window: pretend the first use happened a minute ago.
    await tenantTransaction(t.db.appPool, { orgId: r.orgId }, (tx) =>
      tx.query(`UPDATE refresh_tokens SET used_at = now() - interval '60 seconds' WHERE used_at IS NOT NULL`),
    );
    const reused = await refresh(t.app, r.refreshToken);
    expect(reused.statusCode).toBe(401);
    expect(reused.json().code).toBe('REFRESH_TOKEN_REUSED');

    const sid = decodeJwt(r.accessToken).sid as string;
    expect(await sessionRow(r.orgId, sid)).toMatchObject({ revoked_reason: 'reuse_detected' });
    // the legitimate successor is dead too, and so are the access tokens of the session
    const successor = await refresh(t.app, first.refresh_token);
    expect(successor.statusCode).toBe(401);
    expect(successor.json().code).toBe('TOKEN_REVOKED');
    for (const token of [r.accessToken, first.access_token]) {
      const response = await me(t.app, token);
      expect(response.statusCode).toBe(401);
      expect(response.json().code).toBe('TOKEN_REVOKED');
    }
    const text = await t.metrics.registry.metrics();
    expect(text).toMatch(/sessions_revoked_total\{reason="reuse_detected"\} 1/);
    expect(text).toMatch(/token_refresh_total\{result="reused"\} 1/);
  });

  it('also detects reuse when the successor has already been used (inside the grace window)', async () => {
    const r = await register(t.app);
    const first = (await refresh(t.app, r.refreshToken)).json();
    expect((await refresh(t.app, first.refresh_token)).statusCode).toBe(200);
    const reused = await refresh(t.app, r.refreshToken);
    expect(reused.statusCode).toBe(401);
    expect(reused.json().code).toBe('REFRESH_TOKEN_REUSED');
  });

  it('a retry inside the grace window gets the same successor, not a second one', async () => {
    const r = await register(t.app);
    const first = (await refresh(t.app, r.refreshToken)).json();
    const retry = await refresh(t.app, r.refreshToken);
    expect(retry.statusCode).toBe(200);
    expect(retry.json().refresh_token).toBe(first.refresh_token);
    expect(await sessionRow(r.orgId, decodeJwt(r.accessToken).sid as string)).toMatchObject({
      revoked_at: null,
    });
  });

  it('concurrent refreshes of one token: never two different live successors', async () => {
    for (let round = 0; round < 5; round++) {
      const r = await register(t.app);
      const responses = await Promise.all([refresh(t.app, r.refreshToken), refresh(t.app, r.refreshToken)]);
      const ok = responses
        .filter((response) => response.statusCode === 200)
        .map((response) => response.json());
      expect(ok.length).toBeGreaterThanOrEqual(1);
      const successors = new Set(ok.map((body) => body.refresh_token));
      expect(successors.size).toBe(1);
      // exactly one successor row exists and it works
      const rows = await tenantTransaction(
        t.db.appPool,
        { orgId: r.orgId },
        async (tx) => (await tx.query('SELECT id FROM refresh_tokens WHERE parent_id IS NOT NULL')).rows,
      );
      expect(rows).toHaveLength(1);
      expect((await refresh(t.app, [...successors][0])).statusCode).toBe(200);
    }
  });

  it('refuses unknown, malformed and expired refresh tokens', async () => {
    const unknown = await refresh(t.app, 'A'.repeat(43));
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json().code).toBe('INVALID_TOKEN');
    const malformed = await refresh(t.app, "' OR 1=1 --");
    expect(malformed.statusCode).toBe(401);

    const r = await register(t.app);
    await tenantTransaction(t.db.appPool, { orgId: r.orgId }, (tx) =>
      tx.query(`UPDATE refresh_tokens SET created_at = now() - interval '15 days'`),
    );
    const expired = await refresh(t.app, r.refreshToken);
    expect(expired.statusCode).toBe(401);
    expect(expired.json().code).toBe('TOKEN_EXPIRED');
  });

  it('answers 401 MISSING_TOKEN without a token (a missing credential), 400 for unknown fields', async () => {
    for (const payload of [{}, undefined]) {
      const missing = await t.app.inject({ method: 'POST', url: '/auth/refresh', payload });
      expect(missing.statusCode).toBe(401);
      expect(missing.json()).toMatchObject({
        code: 'MISSING_TOKEN',
        error: expect.stringMatching(/Sign in/),
      });
    }
    const extra = await t.app.inject({
      method: 'POST',
      url: '/auth/refresh',
      payload: { refresh_token: 'x', org_id: 'y' },
    });
    expect(extra.statusCode).toBe(400);
  });
});
