// Cookie mode (X-Auth-Mode: cookie) and its CSRF defence: custom header + Origin check.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.ts';
import { auth, createIdentityTestApp, freshIp, IDENTITY_ONLY, me, register, uniqueEmail } from './helpers.ts';

let t: TestApp;
let https: TestApp;
beforeAll(async () => {
  t = await createIdentityTestApp({ ...IDENTITY_ONLY, env: { PUBLIC_ORIGIN: 'https://app.example.test' } });
  https = await createIdentityTestApp({ ...IDENTITY_ONLY, env: { TRUST_PROXY: 'true' } });
});
afterAll(async () => {
  await t.close();
  await https.close();
});

const SAME = 'http://localhost';
const cookieHeaders = (origin: string | undefined = SAME) => ({
  'x-auth-mode': 'cookie',
  ...(origin ? { origin } : {}),
});

type Cookie = {
  name: string;
  value: string;
  path?: string;
  httpOnly?: boolean;
  sameSite?: string;
  secure?: boolean;
  maxAge?: number;
};
const refreshCookie = (response: { cookies: Cookie[] }) =>
  response.cookies.find((c) => c.name.endsWith('sertantai_refresh'));

async function cookieLogin(app: TestApp) {
  const r = await register(app.app);
  const response = await app.app.inject({
    method: 'POST',
    url: '/auth/login',
    remoteAddress: freshIp(),
    headers: cookieHeaders(),
    payload: { email: r.email, password: r.password },
  });
  return { r, response };
}

describe('cookie mode', () => {
  it('login puts the refresh token in an HttpOnly SameSite=Strict cookie on /auth, not in the body', async () => {
    const { response } = await cookieLogin(t);
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.access_token).toBeTypeOf('string');
    expect(body).not.toHaveProperty('refresh_token');
    const cookie = refreshCookie(response)!;
    expect(cookie).toMatchObject({
      name: 'sertantai_refresh',
      path: '/auth',
      httpOnly: true,
      sameSite: 'Strict',
      maxAge: 1_209_600,
    });
    expect(cookie.secure).toBeFalsy();
    expect(cookie.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('over HTTPS the cookie is Secure and __Secure- prefixed', async () => {
    const r = await register(https.app);
    const response = await https.app.inject({
      method: 'POST',
      url: '/auth/login',
      remoteAddress: freshIp(),
      headers: { ...cookieHeaders('https://localhost'), host: 'localhost', 'x-forwarded-proto': 'https' },
      payload: { email: r.email, password: r.password },
    });
    expect(response.statusCode).toBe(200);
    expect(refreshCookie(response)).toMatchObject({
      name: '__Secure-sertantai_refresh',
      secure: true,
      httpOnly: true,
      path: '/auth',
    });
  });

  it('refresh by cookie with the header and a same-origin Origin (or Referer, or PUBLIC_ORIGIN) rotates the cookie', async () => {
    const { response } = await cookieLogin(t);
    let value = refreshCookie(response)!.value;
    for (const headers of [
      cookieHeaders(),
      { 'x-auth-mode': 'cookie', referer: 'http://localhost/app/page' },
      cookieHeaders('https://app.example.test'),
    ]) {
      const refreshed = await t.app.inject({
        method: 'POST',
        url: '/auth/refresh',
        remoteAddress: freshIp(),
        headers,
        cookies: { sertantai_refresh: value },
      });
      expect(refreshed.statusCode, refreshed.body).toBe(200);
      expect(refreshed.json()).not.toHaveProperty('refresh_token');
      const next = refreshCookie(refreshed)!.value;
      expect(next).not.toBe(value);
      value = next;
      expect((await me(t.app, refreshed.json().access_token)).statusCode).toBe(200);
    }
  });

  it.each([
    ['without the custom header', { origin: SAME }, 'csrf_header_missing'],
    ['from another origin', cookieHeaders('https://evil.example'), 'origin_mismatch'],
    ['from a look-alike origin', cookieHeaders('http://localhost.evil.example'), 'origin_mismatch'],
    ['with Origin: null', cookieHeaders('null'), 'origin_mismatch'],
    ['without Origin or Referer', { 'x-auth-mode': 'cookie' }, 'origin_missing'],
  ])('refuses a cookie refresh %s (403) and leaves the token unspent', async (_label, headers, reason) => {
    const { response } = await cookieLogin(t);
    const value = refreshCookie(response)!.value;
    const forged = await t.app.inject({
      method: 'POST',
      url: '/auth/refresh',
      remoteAddress: freshIp(),
      headers,
      cookies: { sertantai_refresh: value },
    });
    expect(forged.statusCode).toBe(403);
    expect(forged.json()).toMatchObject({ code: 'FORBIDDEN', details: { reason } });
    const honest = await t.app.inject({
      method: 'POST',
      url: '/auth/refresh',
      remoteAddress: freshIp(),
      headers: cookieHeaders(),
      cookies: { sertantai_refresh: value },
    });
    expect(honest.statusCode).toBe(200);
  });

  it('refuses a cookie-mode login from another origin (login CSRF)', async () => {
    const r = await register(t.app);
    const response = await t.app.inject({
      method: 'POST',
      url: '/auth/login',
      remoteAddress: freshIp(),
      headers: cookieHeaders('https://evil.example'),
      payload: { email: r.email, password: r.password },
    });
    expect(response.statusCode).toBe(403);
    expect(refreshCookie(response)).toBeUndefined();
  });

  it('logout by cookie needs the CSRF checks, then revokes the session and clears the cookie', async () => {
    const { response } = await cookieLogin(t);
    const value = refreshCookie(response)!.value;
    const accessToken = response.json().access_token;
    const forged = await t.app.inject({
      method: 'POST',
      url: '/auth/logout',
      headers: { origin: 'https://evil.example' },
      cookies: { sertantai_refresh: value },
    });
    expect(forged.statusCode).toBe(403);
    expect((await me(t.app, accessToken)).statusCode).toBe(200);

    const out = await t.app.inject({
      method: 'POST',
      url: '/auth/logout',
      headers: cookieHeaders(),
      cookies: { sertantai_refresh: value },
    });
    expect(out.statusCode).toBe(204);
    const cleared = refreshCookie(out)!;
    expect(cleared.value).toBe('');
    expect(cleared.path).toBe('/auth');
    expect((await me(t.app, accessToken)).json().code).toBe('TOKEN_REVOKED');
    const dead = await t.app.inject({
      method: 'POST',
      url: '/auth/refresh',
      remoteAddress: freshIp(),
      headers: cookieHeaders(),
      cookies: { sertantai_refresh: value },
    });
    expect(dead.statusCode).toBe(401);
    expect(refreshCookie(dead)!.value).toBe('');
  });

  it('logout with a Bearer token also clears the cookie', async () => {
    const { response } = await cookieLogin(t);
    const out = await t.app.inject({
      method: 'POST',
      url: '/auth/logout',
      headers: { ...auth(response.json().access_token), ...cookieHeaders() },
      cookies: { sertantai_refresh: refreshCookie(response)!.value },
    });
    expect(out.statusCode).toBe(204);
    expect(refreshCookie(out)!.value).toBe('');
  });

  // The CSRF checks come before the body is validated: a cross-site page learns nothing of the body.
  it.each([
    ['a cookie logout without the custom header', '/auth/logout', { origin: SAME }, 'csrf_header_missing'],
    [
      'a cookie logout from another origin',
      '/auth/logout',
      cookieHeaders('https://evil.example'),
      'origin_mismatch',
    ],
    [
      'a cookie refresh from another origin',
      '/auth/refresh',
      cookieHeaders('https://evil.example'),
      'origin_mismatch',
    ],
    ['a cookie refresh without the custom header', '/auth/refresh', { origin: SAME }, 'csrf_header_missing'],
    [
      'a cookie-mode login from another origin',
      '/auth/login',
      cookieHeaders('https://evil.example'),
      'origin_mismatch',
    ],
    [
      'a cookie-mode register without Origin',
      '/auth/register',
      { 'x-auth-mode': 'cookie' },
      'origin_missing',
    ],
  ])('refuses %s with a malformed body 403, not 400', async (_label, url, headers, reason) => {
    const { response } = await cookieLogin(t);
    const forged = await t.app.inject({
      method: 'POST',
      url,
      remoteAddress: freshIp(),
      headers: { ...headers, 'content-type': 'application/json' },
      payload: JSON.stringify({ scope: 'everything', unknown_field: true }),
      cookies: { sertantai_refresh: refreshCookie(response)!.value },
    });
    expect(forged.statusCode, forged.body).toBe(403);
    expect(forged.json()).toMatchObject({ code: 'FORBIDDEN', details: { reason } });
  });

  it('a logout with a malformed body and neither token nor cookie is 401, not 400', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/auth/logout',
      headers: cookieHeaders(),
      payload: { scope: 'everything' },
    });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ code: 'MISSING_TOKEN', details: {} });
  });

  it('register in cookie mode sets the cookie too', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/auth/register',
      remoteAddress: freshIp(),
      headers: cookieHeaders(),
      payload: { email: uniqueEmail(), password: 'long enough pw', organization_name: 'Cookie Co' },
    });
    expect(response.statusCode).toBe(201);
    expect(response.json()).not.toHaveProperty('refresh_token');
    expect(refreshCookie(response)?.httpOnly).toBe(true);
  });
});
