// The engine's internal protocol route (/internal/electric/v1/shape) as an attacker meets it:
// an empty secret, the key once derived from SHARED_TOKEN_SECRET, and the route moved to its own
// listener with INTERNAL_PORT (the public port then does not serve it at all).
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityFeature } from '../../src/auth/feature.ts';
import { INTERNAL_SHAPE_PATH } from '../../src/sync/engine/index.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { TEST_INTERNAL_SYNC_SECRET, TEST_SECRET } from '../helpers/constants.ts';
import { buildOrganization, buildUser, type TestUser } from '../helpers/factories.ts';

/** The finding's request: one organisation's users and e-mails. */
const usersOf = (orgId: string, secret?: string) => {
  const query = new URLSearchParams({ table: 'users', where: '"organization_id" = $1', 'params[1]': orgId });
  query.set('offset', '-1');
  if (secret !== undefined) query.set('secret', secret);
  return `${INTERNAL_SHAPE_PATH}?${query}`;
};

/** What engineSecret() used to return when ELECTRIC_SECRET was unset. */
const formerlyDerivedKey = createHmac('sha256', TEST_SECRET)
  .update('sertantai:internal-electric')
  .digest('base64url');

describe('on the app port (default)', () => {
  let t: TestApp;
  let victim: TestUser;
  beforeAll(async () => {
    t = await createTestApp();
    victim = await buildUser(t.db, t.config, await buildOrganization(t.db));
  });
  afterAll(() => t?.close());

  it.each([
    ['no secret', undefined],
    ['an empty secret', ''],
    ['the key derived from SHARED_TOKEN_SECRET', formerlyDerivedKey],
    ['SHARED_TOKEN_SECRET itself', TEST_SECRET],
  ])('refuses %s with 401 and no rows', async (_label, secret) => {
    const response = await t.app.inject({ method: 'GET', url: usersOf(victim.orgId, secret) });
    expect(response.statusCode).toBe(401);
    expect(response.body).not.toContain(victim.email);
  });

  it('serves INTERNAL_SYNC_SECRET holders', async () => {
    const response = await t.app.inject({
      method: 'GET',
      url: usersOf(victim.orgId, TEST_INTERNAL_SYNC_SECRET),
    });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain(victim.email);
  });
});

describe('with INTERNAL_PORT', () => {
  let t: TestApp;
  let victim: TestUser;
  beforeAll(async () => {
    t = await createTestApp({ env: { INTERNAL_PORT: '0', INTERNAL_HOST: '127.0.0.1' } });
    victim = await buildUser(t.db, t.config, await buildOrganization(t.db));
  });
  afterAll(() => t?.close());

  it('serves the route only on the internal listener', async () => {
    const url = usersOf(victim.orgId, TEST_INTERNAL_SYNC_SECRET);
    const onPublic = await t.app.inject({ method: 'GET', url });
    expect(onPublic.statusCode).toBe(404);
    expect(onPublic.json().code).toBe('NOT_FOUND');
    const [internal] = t.app.sideListeners;
    expect(internal?.roles).toEqual(['internal']);
    const onInternal = await internal!.app.inject({ method: 'GET', url });
    expect(onInternal.statusCode).toBe(200);
    expect(onInternal.body).toContain(victim.email);
  });

  it('the internal listener serves nothing else', async () => {
    const internal = t.app.sideListeners[0]!.app;
    for (const url of ['/health', '/metrics', '/api/me', '/auth/me', '/']) {
      const response = await internal.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(404);
      expect(response.json()).toMatchObject({ code: 'NOT_FOUND', error: expect.any(String), details: {} });
    }
  });

  it('listens on its own address', async () => {
    const internal = t.app.sideListeners[0]!.app;
    const address = await internal.listen({ port: 0, host: '127.0.0.1' });
    const response = await fetch(`${address}${usersOf(victim.orgId, TEST_INTERNAL_SYNC_SECRET)}`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain(victim.email);
  });
});

it('a process without the sync engine (the identity service alone) opens no internal listener', async () => {
  const identityOnly = await createTestApp({
    env: { INTERNAL_PORT: '0' },
    features: [identityFeature],
  });
  try {
    expect(identityOnly.app.sideListeners).toEqual([]);
  } finally {
    await identityOnly.close();
  }
});
