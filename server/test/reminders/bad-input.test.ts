// Hostile and malformed input to the reminders routes: always a 4xx in the contract's error
// shape, never a 5xx, and nothing changes; another organisation's ids are 404; the webhook
// limit is a 409.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildWorld, call, sql, type World } from '../domain/world.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
let w: World;
let other: World;
beforeAll(async () => {
  t = await createTestApp({ env: { WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true' } });
  [w, other] = await Promise.all([buildWorld(t), buildWorld(t)]);
});
afterAll(() => t.close());

const expect4xx = (response: { statusCode: number; json: () => unknown }, status: number, code: string) => {
  expect(response.statusCode).toBe(status);
  expect(response.json()).toMatchObject({ code, error: expect.any(String), details: expect.any(Object) });
};

it('refuses malformed webhook bodies with 400 and stores nothing', async () => {
  const bodies: unknown[] = [
    {},
    { url: 123 },
    { url: '' },
    { url: ' ' },
    { url: `http://127.0.0.1/${'a'.repeat(2001)}` },
    { url: 'http://127.0.0.1/', description: 'x'.repeat(201) },
    { url: 'http://127.0.0.1/', secret: 'mine' },
    { url: ['http://127.0.0.1/'] },
    { url: 'javascript:alert(1)' },
    { url: 'http://[::1' },
  ];
  for (const body of bodies)
    expect4xx(await call(t, w.admin, 'POST', '/api/webhooks', body), 400, 'VALIDATION_ERROR');
  const raw = await t.app.inject({
    method: 'POST',
    url: '/api/webhooks',
    headers: { authorization: `Bearer ${w.admin.token}`, 'content-type': 'application/json' },
    payload: '{"url": ',
  });
  expect(raw.statusCode).toBe(400);
  expect(await sql(t, w.orgId, 'SELECT id FROM webhooks')).toEqual([]);
});

it('refuses bad ids and queries with 400, and another organisation’s webhook with 404', async () => {
  expect4xx(await call(t, w.admin, 'DELETE', '/api/webhooks/not-a-uuid'), 400, 'VALIDATION_ERROR');
  expect4xx(await call(t, w.admin, 'GET', '/api/webhooks/deliveries?status=lost'), 400, 'VALIDATION_ERROR');
  expect4xx(await call(t, w.admin, 'GET', '/api/webhooks/deliveries?webhook_id=1'), 400, 'VALIDATION_ERROR');
  expect4xx(await call(t, w.admin, 'GET', '/api/webhooks/deliveries?limit=0'), 400, 'VALIDATION_ERROR');
  expect4xx(await call(t, w.owner, 'GET', '/api/notifications?unread=yes'), 400, 'VALIDATION_ERROR');
  expect4xx(await call(t, w.owner, 'GET', '/api/notifications?page=2'), 400, 'VALIDATION_ERROR');

  const theirs = await call(t, other.admin, 'POST', '/api/webhooks', { url: 'http://127.0.0.1:9/theirs' });
  expect(theirs.statusCode).toBe(201);
  const id = theirs.json().data.id;
  expect4xx(await call(t, w.admin, 'DELETE', `/api/webhooks/${id}`), 404, 'NOT_FOUND');
  expect((await call(t, w.admin, 'GET', `/api/webhooks/deliveries?webhook_id=${id}`)).json().data).toEqual(
    [],
  );
  expect((await call(t, other.admin, 'GET', '/api/webhooks')).json().data).toHaveLength(1);
});

it('allows at most 10 webhooks per organisation (409 after)', async () => {
  const world = await buildWorld(t);
  for (let i = 0; i < 10; i += 1) {
    expect(
      (await call(t, world.owner, 'POST', '/api/webhooks', { url: `http://127.0.0.1:9/${i}` })).statusCode,
    ).toBe(201);
  }
  expect4xx(
    await call(t, world.owner, 'POST', '/api/webhooks', { url: 'http://127.0.0.1:9/eleven' }),
    409,
    'CONFLICT',
  );
});

it('answers 401 without a token on every reminders route', async () => {
  for (const [method, url] of [
    ['GET', '/api/notifications'],
    ['GET', '/api/notifications/unread-count'],
    ['POST', '/api/notifications/read-all'],
    ['GET', '/api/webhooks'],
    ['GET', '/api/webhooks/deliveries'],
  ] as const) {
    expect((await t.app.inject({ method, url })).statusCode).toBe(401);
  }
  const post = await t.app.inject({
    method: 'POST',
    url: '/api/webhooks',
    payload: { url: 'http://127.0.0.1:9/x' },
  });
  expect(post.statusCode).toBe(401);
});
