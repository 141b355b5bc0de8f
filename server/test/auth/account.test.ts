// The account features: changing one's own password (current one required, other sessions
// end, guesses count as failed logins), closed registration, and the public /auth/config.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdentityFeature } from '../../src/auth/feature.ts';
import type { TestApp } from '../helpers/app.ts';
import { auth, createIdentityTestApp, freshIp, login, me, register, uniqueEmail } from './helpers.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createIdentityTestApp();
});
afterAll(() => t.close());

const changePassword = (token: string, body: Record<string, unknown>, ip = freshIp()) =>
  t.app.inject({
    method: 'POST',
    url: '/auth/password',
    headers: auth(token),
    remoteAddress: ip,
    payload: body,
  });

describe('POST /auth/password', () => {
  it('changes the password with the current one and ends the other sessions only', async () => {
    const r = await register(t.app);
    const other = (await login(t.app, r.email, r.password)).json();
    const changed = await changePassword(r.accessToken, {
      current_password: r.password,
      new_password: 'a brand new password',
    });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json()).toEqual({ data: { sessions_ended: 1 } });
    expect((await me(t.app, r.accessToken)).statusCode).toBe(200);
    const dead = await me(t.app, other.access_token);
    expect(dead.statusCode).toBe(401);
    expect(dead.json().code).toBe('TOKEN_REVOKED');
    expect((await login(t.app, r.email, r.password)).statusCode).toBe(401);
    expect((await login(t.app, r.email, 'a brand new password')).statusCode).toBe(200);
  });

  it('refuses a wrong current password with 400 (not 401), and guesses count as failed logins', async () => {
    const r = await register(t.app);
    const ip = freshIp();
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      statuses.push(
        (
          await changePassword(
            r.accessToken,
            { current_password: `guess ${i}`, new_password: 'whatever long' },
            ip,
          )
        ).statusCode,
      );
    }
    // 5 free failures, the 6th sets a lock: a stolen access token guesses no faster than a login.
    expect(statuses).toEqual([400, 400, 400, 400, 400, 400, 429]);
    expect((await login(t.app, r.email, r.password, ip)).statusCode).toBe(429);
    expect((await login(t.app, r.email, r.password)).statusCode).toBe(200); // elsewhere: fine
  });

  it('validates the new password and needs a token', async () => {
    const r = await register(t.app);
    expect(
      (await changePassword(r.accessToken, { current_password: r.password, new_password: 'short' }))
        .statusCode,
    ).toBe(400);
    const anonymous = await t.app.inject({
      method: 'POST',
      url: '/auth/password',
      payload: { current_password: 'x', new_password: 'long enough pw' },
    });
    expect(anonymous.statusCode).toBe(401);
  });
});

describe('closed registration', () => {
  let closed: TestApp;
  beforeAll(async () => {
    closed = await createIdentityTestApp({
      env: { ALLOW_REGISTRATION: 'false' },
      features: [createIdentityFeature()],
    });
  });
  afterAll(() => closed.close());

  it('ALLOW_REGISTRATION=false answers 403 REGISTRATION_CLOSED and says so in /auth/config', async () => {
    const response = await closed.app.inject({
      method: 'POST',
      url: '/auth/register',
      remoteAddress: freshIp(),
      payload: { email: uniqueEmail(), password: 'long enough pw', organization_name: 'Closed' },
    });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({
      code: 'REGISTRATION_CLOSED',
      error: expect.stringMatching(/closed/),
    });
    expect((await closed.app.inject({ method: 'GET', url: '/auth/config' })).json()).toEqual({
      registration_open: false,
      password_min_length: 8,
      password_max_length: 128,
    });
    expect((await t.app.inject({ method: 'GET', url: '/auth/config' })).json().registration_open).toBe(true);
  });
});
