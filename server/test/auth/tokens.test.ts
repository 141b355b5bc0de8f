// The forged-token list from the security checklist: each one is refused with 401 and its code,
// on the identity routes and on /api/me (the routes every other feature's authenticate hook guards).
import { createHmac, randomUUID } from 'node:crypto';
import { generateKeyPair, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAccessToken } from '../../src/auth/tokens.ts';
import type { TestApp } from '../helpers/app.ts';
import { TEST_SECRET } from '../helpers/constants.ts';
import { buildOrganization, buildUser, type TestUser } from '../helpers/factories.ts';
import { createIdentityTestApp, IDENTITY_ONLY, register } from './helpers.ts';

let t: TestApp;
let user: TestUser;
beforeAll(async () => {
  t = await createIdentityTestApp();
  const org = await buildOrganization(t.db);
  user = await buildUser(t.db, t.config, org, 'viewer');
});
afterAll(() => t.close());

const key = (secret = TEST_SECRET) => new TextEncoder().encode(secret);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

function claims(overrides: Record<string, unknown> = {}): JWTPayload {
  const base: Record<string, unknown> = {
    sub: `user?id=${user.id}`,
    org_id: user.orgId,
    role: user.role,
    sid: user.sessionId,
    jti: randomUUID(),
    iat: now(),
    exp: now() + 600,
    iss: 'sertantai',
    aud: 'sertantai',
  };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete base[name];
    else base[name] = value;
  }
  return base as JWTPayload;
}

function sign(payload: JWTPayload, header: Record<string, unknown> = {}, secret = TEST_SECRET) {
  return new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'JWT', ...header }).sign(key(secret));
}

/** Signs any header by hand, correctly, with the real secret. */
function hmacSign(header: Record<string, unknown>, payload: JWTPayload) {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', TEST_SECRET).update(input).digest('base64url')}`;
}

function unsigned(alg: string, payload = claims()) {
  return `${b64({ alg, typ: 'JWT' })}.${b64(payload)}.`;
}

async function call(token: string, url = '/auth/me') {
  return t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
}

describe('a valid token', () => {
  it('is accepted, also when minted elsewhere with the shared secret and the claim format', async () => {
    expect((await call(user.token)).statusCode).toBe(200);
    expect((await call(await sign(claims()))).statusCode).toBe(200);
    expect((await call(hmacSign({ alg: 'HS256', typ: 'JWT' }, claims()))).statusCode).toBe(200);
    // A token from another Sertantai service: its session id is not ours, its user exists here.
    expect((await call(await sign(claims({ sid: randomUUID() })), '/api/me')).statusCode).toBe(200);
  });

  it('is accepted within the 30 s clock skew', async () => {
    expect((await call(await sign(claims({ exp: now() - 10 })))).statusCode).toBe(200);
  });
});

describe('forged and broken tokens are refused with 401', () => {
  const cases: Array<[string, () => Promise<string> | string, string]> = [
    [
      'signed with the wrong secret',
      () => sign(claims(), {}, 'another-secret-that-is-long-enough-0123456789'),
      'INVALID_TOKEN',
    ],
    ['alg none', () => unsigned('none'), 'INVALID_TOKEN'],
    ['alg None', () => unsigned('None'), 'INVALID_TOKEN'],
    ['alg NONE', () => unsigned('NONE'), 'INVALID_TOKEN'],
    ['alg nOnE', () => unsigned('nOnE'), 'INVALID_TOKEN'],
    [
      'alg hs256 (wrong casing)',
      async () => {
        const real = await sign(claims());
        return `${b64({ alg: 'hs256', typ: 'JWT' })}.${real.split('.')[1]}.${real.split('.')[2]}`;
      },
      'INVALID_TOKEN',
    ],
    ['HS512', () => new SignJWT(claims()).setProtectedHeader({ alg: 'HS512' }).sign(key()), 'INVALID_TOKEN'],
    [
      'an RS256 header (real RSA signature)',
      async () => {
        const { privateKey } = await generateKeyPair('RS256');
        return new SignJWT(claims()).setProtectedHeader({ alg: 'RS256' }).sign(privateKey);
      },
      'INVALID_TOKEN',
    ],
    [
      'an RS256 header over an HMAC signature (key confusion)',
      async () => {
        const real = await sign(claims());
        const [, payload, signature] = real.split('.');
        return `${b64({ alg: 'RS256', typ: 'JWT' })}.${payload}.${signature}`;
      },
      'INVALID_TOKEN',
    ],
    ['a kid header', () => sign(claims(), { kid: '../../dev/null' }), 'INVALID_TOKEN'],
    ['a jku header', () => sign(claims(), { jku: 'https://evil.example/jwks.json' }), 'INVALID_TOKEN'],
    ['expired', () => sign(claims({ iat: now() - 3600, exp: now() - 120 })), 'TOKEN_EXPIRED'],
    ['not yet valid (nbf)', () => sign(claims({ nbf: now() + 600 })), 'INVALID_TOKEN'],
    ['issued in the future', () => sign(claims({ iat: now() + 600, exp: now() + 1200 })), 'INVALID_TOKEN'],
    ['missing exp', () => sign(claims({ exp: undefined })), 'INVALID_TOKEN'],
    ['missing sub', () => sign(claims({ sub: undefined })), 'INVALID_TOKEN'],
    ['missing org_id', () => sign(claims({ org_id: undefined })), 'INVALID_TOKEN'],
    ['missing role', () => sign(claims({ role: undefined })), 'INVALID_TOKEN'],
    ['missing sid', () => sign(claims({ sid: undefined })), 'INVALID_TOKEN'],
    ['a bad sub (bare uuid)', () => sign(claims({ sub: user.id })), 'INVALID_TOKEN'],
    ['a bad sub (other prefix)', () => sign(claims({ sub: `admin?id=${user.id}` })), 'INVALID_TOKEN'],
    ['a bad sub (not a uuid)', () => sign(claims({ sub: 'user?id=42' })), 'INVALID_TOKEN'],
    ['a non-uuid org_id', () => sign(claims({ org_id: 'acme' })), 'INVALID_TOKEN'],
    ['an unknown role', () => sign(claims({ role: 'superadmin' })), 'INVALID_TOKEN'],
    ['a wrong audience', () => sign(claims({ aud: 'someone-else' })), 'INVALID_TOKEN'],
    ['no audience', () => sign(claims({ aud: undefined })), 'INVALID_TOKEN'],
    ['a wrong issuer', () => sign(claims({ iss: 'someone-else' })), 'INVALID_TOKEN'],
    ['no issuer', () => sign(claims({ iss: undefined })), 'INVALID_TOKEN'],
    ['an issuer as a list', () => sign(claims({ iss: ['sertantai'] })), 'INVALID_TOKEN'],
    [
      'a tampered payload (viewer → owner)',
      async () => {
        const real = await sign(claims());
        const [header, , signature] = real.split('.');
        return `${header}.${b64(claims({ role: 'owner' }))}.${signature}`;
      },
      'INVALID_TOKEN',
    ],
    ['exp as a string', () => sign(claims({ exp: String(now() + 600) })), 'INVALID_TOKEN'],
    ['nbf as a string', () => sign(claims({ nbf: '0' })), 'INVALID_TOKEN'],
    [
      'a b64=false header',
      () => hmacSign({ alg: 'HS256', b64: false, crit: ['b64'] }, claims()),
      'INVALID_TOKEN',
    ],
    ['a signature with base64 padding appended', async () => `${await sign(claims())}=`, 'INVALID_TOKEN'],
    [
      'a signature with a character flipped',
      async () => {
        const real = await sign(claims());
        const last = real.at(-2) === 'A' ? 'B' : 'A';
        return `${real.slice(0, -2)}${last}${real.at(-1)}`;
      },
      'INVALID_TOKEN',
    ],
    ['a truncated signature', async () => (await sign(claims())).slice(0, -4), 'INVALID_TOKEN'],
    ['four segments', async () => `${await sign(claims())}.extra`, 'INVALID_TOKEN'],
    ['garbage', () => 'not-a-token', 'INVALID_TOKEN'],
    ['three dots of garbage', () => 'a.b.c', 'INVALID_TOKEN'],
    ['empty parts', () => '..', 'INVALID_TOKEN'],
    ['a JSON array header', () => `${b64([1])}.${b64(claims())}.sig`, 'INVALID_TOKEN'],
    ['oversized', async () => sign(claims({ pad: 'x'.repeat(6000) })), 'INVALID_TOKEN'],
  ];

  it.each(cases)('%s', async (_label, make, code) => {
    const token = await make();
    for (const url of ['/auth/me', '/api/me']) {
      const response = await call(token, url);
      expect(response.statusCode, `${url}: ${response.body}`).toBe(401);
      expect(response.json()).toMatchObject({ code, error: expect.any(String), details: {} });
    }
  });

  it('refuses a malformed Authorization header and counts every rejection by reason', async () => {
    for (const authorization of ['Bearer', 'Basic dXNlcjpwYXNz', 'Bearer a b']) {
      const response = await t.app.inject({ method: 'GET', url: '/auth/me', headers: { authorization } });
      expect(response.statusCode).toBe(401);
    }
    await call(unsigned('none'));
    const text = await t.metrics.registry.metrics();
    expect(text).toMatch(/auth_failures_total\{reason="algorithm_not_allowed"\} [1-9]/);
    expect(text).toMatch(/auth_failures_total\{reason="bad_signature"\} [1-9]/);
    expect(text).toMatch(/auth_failures_total\{reason="expired"\} [1-9]/);
  });

  it('refuses a correctly signed token whose user does not exist here (TOKEN_REVOKED)', async () => {
    const token = await sign(claims({ sub: `user?id=${randomUUID()}`, sid: randomUUID() }));
    const response = await call(token);
    expect(response.statusCode).toBe(401);
    expect(response.json().code).toBe('TOKEN_REVOKED');
  });

  it('refuses a correctly signed token naming another organisation than the session (TOKEN_REVOKED)', async () => {
    const other = await buildOrganization(t.db);
    const token = await sign(claims({ org_id: other.id }));
    const response = await call(token);
    expect(response.statusCode).toBe(401);
    expect(response.json().code).toBe('TOKEN_REVOKED');
  });
});

describe('secret rotation (SHARED_TOKEN_SECRET_PREVIOUS)', () => {
  const NEW_SECRET = 'the-new-shared-token-secret-0123456789abcdef';
  let rotating: TestApp;
  beforeAll(async () => {
    rotating = await createIdentityTestApp({
      ...IDENTITY_ONLY,
      env: { SHARED_TOKEN_SECRET: NEW_SECRET, SHARED_TOKEN_SECRET_PREVIOUS: TEST_SECRET },
    });
  });
  afterAll(() => rotating.close());

  const callRotating = (token: string) =>
    rotating.app.inject({ method: 'GET', url: '/api/me', headers: { authorization: `Bearer ${token}` } });

  it('verifies tokens signed with the new secret and with the previous one', async () => {
    expect((await callRotating(await sign(claims(), {}, NEW_SECRET))).statusCode).toBe(200);
    expect((await callRotating(await sign(claims(), {}, TEST_SECRET))).statusCode).toBe(200);
  });

  it('refuses a token signed by neither', async () => {
    const response = await callRotating(
      await sign(claims(), {}, 'a-third-secret-nobody-configured-0123456789'),
    );
    expect(response.statusCode).toBe(401);
    expect(response.json().code).toBe('INVALID_TOKEN');
  });

  it('signs new tokens with the new secret only', async () => {
    const registered = await register(rotating.app);
    await expect(jwtVerify(registered.accessToken, key(NEW_SECRET))).resolves.toBeDefined();
    await expect(jwtVerify(registered.accessToken, key(TEST_SECRET))).rejects.toThrow();
  });

  it('an app that has finished the rotation refuses the old secret', async () => {
    // The first app of this file runs with TEST_SECRET alone: the new one means nothing to it.
    expect((await call(await sign(claims(), {}, NEW_SECRET))).statusCode).toBe(401);
  });
});

describe('a token verified before (remembered by its exact text)', () => {
  const settings = { secret: TEST_SECRET, issuer: 'sertantai', audience: 'sertantai', accessTokenTtl: 600 };

  it('is refused once it has expired, though it passed before', async () => {
    const token = await sign(claims({ exp: now() + 60 }));
    await expect(verifyAccessToken(settings, token)).resolves.toMatchObject({ userId: user.id });
    await expect(verifyAccessToken(settings, token, now() + 120)).rejects.toMatchObject({
      code: 'TOKEN_EXPIRED',
    });
  });

  it('does not vouch for a token that differs from it in one character of the signature', async () => {
    const token = await sign(claims());
    await verifyAccessToken(settings, token);
    const at = token.length - 10; // a character whose 6 bits are all signature bits
    const other = token[at] === 'A' ? 'B' : 'A';
    await expect(
      verifyAccessToken(settings, `${token.slice(0, at)}${other}${token.slice(at + 1)}`),
    ).rejects.toMatchObject({ reason: 'bad_signature' });
  });

  it('refuses the non-canonical spellings of a valid signature (the last character’s unused bits)', async () => {
    const token = await sign(claims());
    await verifyAccessToken(settings, token);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(token.at(-1) as string);
    const twins = [1, 2, 3].map(
      (bits) => `${token.slice(0, -1)}${alphabet[(last & ~3) | ((last + bits) & 3)]}`,
    );
    for (const twin of twins) {
      expect(Buffer.from(twin.split('.')[2] as string, 'base64url')).toEqual(
        Buffer.from(token.split('.')[2] as string, 'base64url'),
      );
      await expect(verifyAccessToken(settings, twin)).rejects.toMatchObject({ reason: 'bad_signature' });
    }
  });

  it('is not remembered for settings with another secret', async () => {
    const token = await sign(claims());
    await verifyAccessToken(settings, token);
    await expect(
      verifyAccessToken({ ...settings, secret: `${TEST_SECRET}-rotated-away` }, token),
    ).rejects.toMatchObject({ reason: 'bad_signature' });
  });

  it('is refused on the API after its session is signed out', async () => {
    const session = await register(t.app);
    const headers = { authorization: `Bearer ${session.accessToken}` };
    expect((await t.app.inject({ method: 'GET', url: '/api/me', headers })).statusCode).toBe(200);
    const out = await t.app.inject({ method: 'POST', url: '/auth/logout', headers });
    expect(out.statusCode).toBeLessThan(300);
    const after = await t.app.inject({ method: 'GET', url: '/api/me', headers });
    expect(after.statusCode).toBe(401);
    expect(after.json().code).toBe('TOKEN_REVOKED');
  });
});
