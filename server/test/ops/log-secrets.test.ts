// Logs never carry a credential: a whole flow — register, login, refresh, invite, an old
// `/invitation?token=` link, accept, sync, the internal shape route with its secret, metrics
// with their token, logout — runs at the most verbose level, then the captured log is searched
// for every token, password and secret that was used.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redactUrl } from '../../src/ops/logger.ts';
import { SYNC_PATH } from '../../src/sync/endpoint.ts';
import { INTERNAL_SHAPE_PATH } from '../../src/sync/engine/index.ts';
import { auth, freshIp, register } from '../auth/helpers.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { TEST_INTERNAL_SYNC_SECRET, TEST_SECRET } from '../helpers/constants.ts';

const METRICS_TOKEN = 'metrics-token-of-the-log-test-0123456789';
const lines: string[] = [];
let t: TestApp;
beforeAll(async () => {
  const capture = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  t = await createTestApp({ env: { LOG_LEVEL: 'trace', METRICS_TOKEN }, logDestination: capture });
});
afterAll(() => t?.close());

describe('the log of a whole flow', () => {
  it('holds none of the tokens, passwords and secrets used', async () => {
    const used: string[] = [TEST_SECRET, TEST_INTERNAL_SYNC_SECRET, METRICS_TOKEN];
    const owner = await register(t.app, { password: 'owner password of the flow' });
    used.push(owner.password, owner.accessToken, owner.refreshToken);

    const login = await t.app.inject({
      method: 'POST',
      url: '/auth/login',
      remoteAddress: freshIp(),
      payload: { email: owner.email, password: owner.password },
    });
    expect(login.statusCode).toBe(200);
    const session = login.json();
    used.push(session.access_token, session.refresh_token);

    // A client that puts the refresh token in the query string as well as in the body.
    const refreshed = await t.app.inject({
      method: 'POST',
      url: `/auth/refresh?refresh_token=${session.refresh_token}`,
      remoteAddress: freshIp(),
      payload: { refresh_token: session.refresh_token },
    });
    expect(refreshed.statusCode).toBe(200);
    used.push(refreshed.json().access_token, refreshed.json().refresh_token);
    const access = refreshed.json().access_token as string;

    const invited = await t.app.inject({
      method: 'POST',
      url: '/auth/members',
      headers: auth(access),
      payload: { email: `invited-${Date.now()}@example.test`, role: 'member' },
    });
    expect(invited.statusCode).toBe(201);
    const invitation = invited.json().invitation.token as string;
    used.push(invitation);
    // An invitation link made before the token moved into the fragment.
    await t.app.inject({ method: 'GET', url: `/invitation?token=${invitation}` });
    const accepted = await t.app.inject({
      method: 'POST',
      url: '/auth/invitations/accept',
      remoteAddress: freshIp(),
      payload: { token: invitation, password: 'invited password of the flow' },
    });
    expect(accepted.statusCode).toBe(200);
    used.push('invited password of the flow', accepted.json().access_token, accepted.json().refresh_token);

    const shape = await t.app.inject({
      method: 'GET',
      url: `${SYNC_PATH}?table=controls&offset=-1`,
      headers: auth(access),
    });
    expect(shape.statusCode).toBe(200);
    for (const name of ['secret', 'api_secret']) {
      const query = new URLSearchParams({
        table: 'controls',
        where: 'organization_id = $1',
        'params[1]': owner.orgId,
        offset: '-1',
        [name]: TEST_INTERNAL_SYNC_SECRET,
      });
      expect((await t.app.inject({ method: 'GET', url: `${INTERNAL_SHAPE_PATH}?${query}` })).statusCode).toBe(
        200,
      );
    }
    // Tokens where they do not belong: in query strings, which the request line would show.
    await t.app.inject({ method: 'GET', url: `/api/me?access_token=${access}&token=${access}` });
    const metrics = await t.app.inject({ method: 'GET', url: '/metrics', headers: auth(METRICS_TOKEN) });
    expect(metrics.statusCode).toBe(200);
    await t.app.inject({ method: 'GET', url: `/metrics?token=${METRICS_TOKEN}` });
    expect(
      (await t.app.inject({ method: 'POST', url: '/auth/logout', headers: auth(access) })).statusCode,
    ).toBe(204);

    const log = lines.join('\n');
    // The log is not empty: the request lines are there, with the credentials taken out.
    expect(log).toContain('"url":"/invitation?token=[redacted]"');
    expect(log).toContain('"url":"/auth/refresh?refresh_token=[redacted]"');
    expect(log).toContain('"url":"/api/me?access_token=[redacted]&token=[redacted]"');
    for (const secret of used) {
      expect(secret.length).toBeGreaterThan(8);
      expect(log.includes(secret), `the log carries ${secret.slice(0, 12)}…`).toBe(false);
      expect(
        log.includes(encodeURIComponent(secret)),
        `the log carries ${secret.slice(0, 12)}… (encoded)`,
      ).toBe(false);
    }
  });
});

describe('redactUrl', () => {
  it('replaces the value of every credential parameter, whatever its casing or encoding', () => {
    expect(redactUrl('/x?table=users&secret=s1&API_SECRET=s2&%74oken=s3&Token=s4&page=2')).toBe(
      '/x?table=users&secret=[redacted]&API_SECRET=[redacted]&%74oken=[redacted]&Token=[redacted]&page=2',
    );
    expect(redactUrl('/x?password&code=abc&refresh_token=')).toBe(
      '/x?password=[redacted]&code=[redacted]&refresh_token=[redacted]',
    );
    expect(redactUrl('/plain/path')).toBe('/plain/path');
    expect(redactUrl('/x?%E0%A4%A=1&tokens=keep')).toBe('/x?%E0%A4%A=1&tokens=keep');
  });
});
