import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { tenantTransaction } from '../../src/db/tenant.ts';
import type { TestApp } from '../helpers/app.ts';
import { auth, createIdentityTestApp, freshIp, login, me, register, uniqueEmail } from './helpers.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createIdentityTestApp();
});
afterAll(() => t.close());

describe('POST /auth/register', () => {
  it('creates an organisation, its owner, default strategies, and a token pair', async () => {
    const email = uniqueEmail('Mixed.Case').replace('mixed', 'MiXeD');
    const r = await register(t.app, { email, organization_name: '  Acme Safety Ltd  ' });
    const body = r.body;
    expect(body.token_type).toBe('Bearer');
    expect(body.expires_in).toBe(900);
    expect(body.user).toMatchObject({
      email: email.toLowerCase(),
      role: 'owner',
      organization_id: body.organization.id,
    });
    expect(body.user).not.toHaveProperty('password_hash');
    expect(JSON.stringify(body)).not.toContain('argon2');
    expect(body.organization.name).toBe('Acme Safety Ltd');
    expect(body.organization.slug).toMatch(/^acme-safety-ltd-[0-9a-f]{8}$/);
    expect(body.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const header = decodeProtectedHeader(body.access_token);
    expect(header.alg).toBe('HS256');
    const claims = decodeJwt(body.access_token);
    expect(claims).toMatchObject({
      sub: `user?id=${body.user.id}`,
      org_id: body.organization.id,
      role: 'owner',
      iss: 'sertantai',
      aud: 'sertantai',
    });
    expect(claims.sid).toMatch(/^[0-9a-f-]{36}$/);
    expect(claims.jti).toBeTypeOf('string');
    expect(claims.exp! - claims.iat!).toBe(900);

    const strategies = await tenantTransaction(
      t.db.appPool,
      { orgId: r.orgId },
      async (tx) =>
        (
          await tx.query(
            'SELECT quadrant, method, frequency_days, notification_days_before FROM verification_strategies ORDER BY quadrant',
          )
        ).rows,
    );
    expect(strategies).toEqual([
      { quadrant: 'self', method: 'user_reporting', frequency_days: 30, notification_days_before: 7 },
      { quadrant: 'service', method: 'sla_monitoring', frequency_days: 7, notification_days_before: 7 },
      { quadrant: 'specialist', method: 'toolbox_talk', frequency_days: 90, notification_days_before: 7 },
      { quadrant: 'strange', method: 'proactive_sampling', frequency_days: 180, notification_days_before: 7 },
    ]);
    const stored = await tenantTransaction(
      t.db.appPool,
      { orgId: r.orgId },
      async (tx) => (await tx.query('SELECT password_hash FROM users WHERE id = $1', [r.userId])).rows[0],
    );
    expect(stored.password_hash).toMatch(/^\$argon2id\$/);
  });

  it('refuses an e-mail that is already registered, in any casing (409)', async () => {
    const r = await register(t.app);
    const response = await t.app.inject({
      method: 'POST',
      url: '/auth/register',
      remoteAddress: freshIp(),
      payload: { email: r.email.toUpperCase(), password: 'another password', organization_name: 'Dup' },
    });
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ code: 'CONFLICT' });
  });

  it.each([
    ['short password', { password: 'seven77' }],
    ['password over 128 characters', { password: 'x'.repeat(129) }],
    ['bad e-mail', { email: 'not-an-email' }],
    ['empty organisation name', { organization_name: '   ' }],
    ['unknown field', { is_admin: true }],
  ])('answers 400 VALIDATION_ERROR for %s', async (_label, change) => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/auth/register',
      remoteAddress: freshIp(),
      payload: { email: uniqueEmail(), password: 'long enough pw', organization_name: 'Valid', ...change },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().code).toBe('VALIDATION_ERROR');
  });

  it('accepts a password of exactly 128 characters and logs in with it (no truncation)', async () => {
    const password = 'p'.repeat(128);
    const r = await register(t.app, { password });
    expect((await login(t.app, r.email, password)).statusCode).toBe(200);
    expect((await login(t.app, r.email, 'p'.repeat(127))).statusCode).toBe(401);
  });
});

describe('POST /auth/login', () => {
  it('returns the same body shape as register, with the organisation', async () => {
    const r = await register(t.app);
    const response = await login(t.app, r.email.toUpperCase(), r.password);
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(Object.keys(body).sort()).toEqual(
      ['access_token', 'expires_in', 'organization', 'refresh_token', 'token_type', 'user'].sort(),
    );
    expect(body.organization.id).toBe(r.orgId);
    expect(body.user).not.toHaveProperty('password_hash');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(decodeJwt(body.access_token).sid).not.toBe(decodeJwt(r.accessToken).sid);
  });

  it('gives the same generic 401 for a wrong password and an unknown e-mail', async () => {
    const r = await register(t.app);
    const wrong = await login(t.app, r.email, 'wrong password');
    const unknown = await login(t.app, uniqueEmail('nobody'), 'wrong password');
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json()).toEqual(unknown.json());
    expect(wrong.json().code).toBe('INVALID_CREDENTIALS');
  });

  it('counts logins and failures in the metrics', async () => {
    const r = await register(t.app);
    await login(t.app, r.email, 'wrong password');
    await login(t.app, r.email, r.password);
    const text = await t.metrics.registry.metrics();
    expect(text).toMatch(/logins_total\{result="ok"\} [1-9]/);
    expect(text).toMatch(/logins_total\{result="failed"\} [1-9]/);
    expect(text).toMatch(/auth_failures_total\{reason="invalid_credentials"\} [1-9]/);
  });
});

describe('bad input never reaches a 5xx', () => {
  it.each([
    ['malformed JSON', { 'content-type': 'application/json' }, '{"email": '],
    ['a JSON array', { 'content-type': 'application/json' }, '[]'],
    ['a JSON string', { 'content-type': 'application/json' }, '"x"'],
    ['form encoding', { 'content-type': 'application/x-www-form-urlencoded' }, 'email=a&password=b'],
    [
      'a huge body',
      { 'content-type': 'application/json' },
      JSON.stringify({ email: 'a@b.c', password: 'x'.repeat(2_000_000) }),
    ],
    [
      'a non-string e-mail',
      { 'content-type': 'application/json' },
      JSON.stringify({ email: ['a@b.c'], password: 'long enough' }),
    ],
  ])('login with %s answers 4xx', async (_label, headers, payload) => {
    for (const url of ['/auth/login', '/auth/register', '/auth/refresh', '/auth/invitations/accept']) {
      const response = await t.app.inject({
        method: 'POST',
        url,
        headers,
        payload,
        remoteAddress: freshIp(),
      });
      expect(response.statusCode, `${url}: ${response.body}`).toBeGreaterThanOrEqual(400);
      expect(response.statusCode, `${url}: ${response.body}`).toBeLessThan(500);
      expect(response.json()).toHaveProperty('code');
    }
  });

  it('NUL in a name is refused with 400 on register', async () => {
    for (const change of [{ organization_name: 'Acme\u0000' }, { name: 'Ada\u0000' }]) {
      const response = await t.app.inject({
        method: 'POST',
        url: '/auth/register',
        remoteAddress: freshIp(),
        payload: { email: uniqueEmail(), password: 'long enough pw', organization_name: 'Valid', ...change },
      });
      expect(response.statusCode).toBe(400);
    }
  });

  it('an e-mail with a NUL byte or an absurd length is refused, not a 5xx', async () => {
    for (const email of ['a\u0000@b.test', `${'a'.repeat(300)}@example.test`]) {
      const response = await login(t.app, email, 'long enough password');
      expect([400, 401]).toContain(response.statusCode);
    }
  });
});

describe('GET /auth/me and GET /api/me', () => {
  it('returns the user, organisation and role; /api/me the token facts and e-mail', async () => {
    const r = await register(t.app);
    const response = await me(t.app, r.accessToken);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      user: { id: r.userId, email: r.email },
      organization: { id: r.orgId },
      role: 'owner',
    });
    expect(response.json().user).not.toHaveProperty('password_hash');
    const api = await t.app.inject({ method: 'GET', url: '/api/me', headers: auth(r.accessToken) });
    expect(api.statusCode).toBe(200);
    expect(api.json()).toEqual({ user_id: r.userId, org_id: r.orgId, role: 'owner', email: r.email });
  });

  it('answers 401 MISSING_TOKEN without a token', async () => {
    for (const url of ['/auth/me', '/api/me', '/auth/members']) {
      const response = await t.app.inject({ method: 'GET', url });
      expect(response.statusCode).toBe(401);
      expect(response.json().code).toBe('MISSING_TOKEN');
    }
  });
});

describe('configuration of the token secret', () => {
  it('refuses a secret shorter than 32 bytes at start-up', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', SHARED_TOKEN_SECRET: 'x'.repeat(31) })).toThrow(
      ConfigError,
    );
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/SHARED_TOKEN_SECRET/);
    expect(
      loadConfig({
        NODE_ENV: 'production',
        EMBEDDED_DB: 'true',
        SHARED_TOKEN_SECRET: 'x'.repeat(32),
        INTERNAL_SYNC_SECRET: 'y'.repeat(32),
      }).tokenSecret,
    ).toHaveLength(32);
  });

  it('generates a development secret once into DATA_DIR and reuses it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sertantai-secret-'));
    try {
      const first = loadConfig({ NODE_ENV: 'development', DATA_DIR: dir });
      const file = path.join(dir, 'dev-token-secret');
      expect(existsSync(file)).toBe(true);
      expect(Buffer.byteLength(first.tokenSecret)).toBeGreaterThanOrEqual(32);
      expect(readFileSync(file, 'utf8').trim()).toBe(first.tokenSecret);
      expect(loadConfig({ NODE_ENV: 'development', DATA_DIR: dir }).tokenSecret).toBe(first.tokenSecret);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
