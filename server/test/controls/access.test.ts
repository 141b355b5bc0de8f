// Roles and isolation on every controls/providers route: each route in each role, and every
// route that names an id tried with another organisation's id (404, and nothing changes).
import { randomUUID } from 'node:crypto';
import { ROLES, type Role } from '@sertantai/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { buildTenant, call, control, type Json, link, provider, type Tenant } from './world.ts';

let t: TestApp;
let a: Tenant;
let b: Tenant;
beforeAll(async () => {
  t = await createTestApp();
  a = await buildTenant(t);
  b = await buildTenant(t);
});
afterAll(() => t.close());

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
type Prepared = { url: string; body?: unknown };
type RouteCase = {
  name: string;
  method: Method;
  minimum: Role;
  /** Builds fresh rows in `tenant` (so destructive calls in one role do not disturb the next). */
  prepare: (tenant: Tenant) => Promise<Prepared>;
  ok: number;
};

const controlBody = () => ({
  name: `C ${randomUUID().slice(0, 8)}`,
  control_type: 'technical',
  functional_range: 'wide',
});

const routes: RouteCase[] = [
  {
    name: 'list controls',
    method: 'GET',
    minimum: 'viewer',
    ok: 200,
    prepare: async () => ({ url: '/api/controls' }),
  },
  {
    name: 'create control',
    method: 'POST',
    minimum: 'admin',
    ok: 201,
    prepare: async () => ({ url: '/api/controls', body: controlBody() }),
  },
  {
    name: 'read control',
    method: 'GET',
    minimum: 'viewer',
    ok: 200,
    prepare: async (x) => ({ url: `/api/controls/${(await control(t, x)).id}` }),
  },
  {
    name: 'update control',
    method: 'PATCH',
    minimum: 'admin',
    ok: 200,
    prepare: async (x) => ({ url: `/api/controls/${(await control(t, x)).id}`, body: { name: 'Renamed' } }),
  },
  {
    name: 'delete control',
    method: 'DELETE',
    minimum: 'admin',
    ok: 200,
    prepare: async (x) => ({ url: `/api/controls/${(await control(t, x)).id}` }),
  },
  {
    name: 'touch control',
    method: 'POST',
    minimum: 'member',
    ok: 201,
    prepare: async (x) => ({
      url: `/api/controls/${(await control(t, x)).id}/interactions`,
      body: { interaction_type: 'inspect' },
    }),
  },
  {
    name: 'list interactions',
    method: 'GET',
    minimum: 'viewer',
    ok: 200,
    prepare: async (x) => ({ url: `/api/controls/${(await control(t, x)).id}/interactions` }),
  },
  {
    name: 'list classifications',
    method: 'GET',
    minimum: 'viewer',
    ok: 200,
    prepare: async (x) => ({ url: `/api/controls/${(await control(t, x)).id}/classifications` }),
  },
  {
    name: 'list providers',
    method: 'GET',
    minimum: 'viewer',
    ok: 200,
    prepare: async () => ({ url: '/api/providers' }),
  },
  {
    name: 'create provider',
    method: 'POST',
    minimum: 'admin',
    ok: 201,
    prepare: async () => ({
      url: '/api/providers',
      body: { name: `P ${randomUUID()}`, provider_type: 'vendor' },
    }),
  },
  {
    name: 'read provider',
    method: 'GET',
    minimum: 'viewer',
    ok: 200,
    prepare: async (x) => ({ url: `/api/providers/${(await provider(t, x)).id}` }),
  },
  {
    name: 'update provider',
    method: 'PATCH',
    minimum: 'admin',
    ok: 200,
    prepare: async (x) => ({
      url: `/api/providers/${(await provider(t, x)).id}`,
      body: { provider_type: 'contractor' },
    }),
  },
  {
    name: 'delete provider',
    method: 'DELETE',
    minimum: 'admin',
    ok: 200,
    prepare: async (x) => ({ url: `/api/providers/${(await provider(t, x)).id}` }),
  },
  {
    name: 'list links',
    method: 'GET',
    minimum: 'viewer',
    ok: 200,
    prepare: async () => ({ url: '/api/provider-links' }),
  },
  {
    name: 'create link',
    method: 'POST',
    minimum: 'admin',
    ok: 201,
    prepare: async (x) => ({
      url: '/api/provider-links',
      body: {
        from_provider_id: (await provider(t, x)).id,
        to_provider_id: (await provider(t, x)).id,
        relationship_type: 'supplies',
        path_weight: 1.5,
      },
    }),
  },
  {
    name: 'read link',
    method: 'GET',
    minimum: 'viewer',
    ok: 200,
    prepare: async (x) => ({ url: `/api/provider-links/${(await newLink(x)).id}` }),
  },
  {
    name: 'update link',
    method: 'PATCH',
    minimum: 'admin',
    ok: 200,
    prepare: async (x) => ({ url: `/api/provider-links/${(await newLink(x)).id}`, body: { path_weight: 3 } }),
  },
  {
    name: 'delete link',
    method: 'DELETE',
    minimum: 'admin',
    ok: 200,
    prepare: async (x) => ({ url: `/api/provider-links/${(await newLink(x)).id}` }),
  },
];

async function newLink(x: Tenant) {
  return link(t, x, (await provider(t, x)).id, (await provider(t, x)).id, 2);
}

const RANK: Record<Role, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

describe('each route in each role', () => {
  for (const route of routes) {
    for (const role of ROLES) {
      const allowed = RANK[role] >= RANK[route.minimum];
      it(`${route.name} as ${role} → ${allowed ? route.ok : 403}`, async () => {
        const prepared = await route.prepare(a);
        const res = await call(t, a.users[role], route.method, prepared.url, prepared.body);
        if (allowed) {
          expect(res.status).toBe(route.ok);
          if (route.method !== 'GET') expect(typeof res.body.txid).toBe('number');
        } else {
          expect(res.status).toBe(403);
          expect(res.body).toMatchObject({ code: 'FORBIDDEN', details: {} });
        }
      });
    }
    it(`${route.name} without a token → 401`, async () => {
      const prepared = await route.prepare(a);
      const res = await call(t, undefined, route.method, prepared.url, prepared.body);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('MISSING_TOKEN');
    });
  }
});

describe('another organisation', () => {
  for (const route of routes.filter((r) => r.prepare.length > 0 && r.name !== 'create link')) {
    it(`${route.name} with organisation A's id, as B's owner → 404 and A's row is untouched`, async () => {
      const prepared = await route.prepare(a);
      const before = await call(
        t,
        a.users.viewer,
        'GET',
        prepared.url.replace(/\/(interactions|classifications)$/, ''),
      );
      const res = await call(t, b.users.owner, route.method, prepared.url, prepared.body);
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ code: 'NOT_FOUND' });
      const after = await call(
        t,
        a.users.viewer,
        'GET',
        prepared.url.replace(/\/(interactions|classifications)$/, ''),
      );
      expect(after.status).toBe(200);
      expect(after.body.data).toEqual(before.body.data);
    });
  }

  it('lists show only the caller’s organisation', async () => {
    const mine = await control(t, b, { name: 'Only in B' });
    const theirs = await control(t, a, { name: 'Only in A' });
    const ids = (await call(t, b.users.viewer, 'GET', '/api/controls?limit=200')).body.data.map(
      (c: Json) => c.id,
    );
    expect(ids).toContain(mine.id);
    expect(ids).not.toContain(theirs.id);
    for (const row of (await call(t, b.users.viewer, 'GET', '/api/providers?limit=200')).body.data) {
      expect(row.organization_id).toBe(b.org.id);
    }
    for (const row of (await call(t, b.users.viewer, 'GET', '/api/provider-links?limit=200')).body.data) {
      expect(row.organization_id).toBe(b.org.id);
    }
  });

  it('linking to a foreign provider → 404, no link is made', async () => {
    const own = await provider(t, b);
    const foreign = await provider(t, a);
    for (const [from, to] of [
      [own.id, foreign.id],
      [foreign.id, own.id],
    ]) {
      const res = await call(t, b.users.admin, 'POST', '/api/provider-links', {
        from_provider_id: from,
        to_provider_id: to,
        relationship_type: 'contracts',
        path_weight: 1,
      });
      expect(res.status).toBe(404);
    }
    const links = await call(t, b.users.viewer, 'GET', `/api/provider-links?provider_id=${own.id}`);
    expect(links.body.data).toEqual([]);
  });

  it('a control cannot point at a foreign provider or owner (create and update) → 404', async () => {
    const foreign = await provider(t, a);
    const res = await call(t, b.users.admin, 'POST', '/api/controls', {
      ...controlBody(),
      primary_provider_id: foreign.id,
    });
    expect(res.status).toBe(404);
    const own = await control(t, b);
    const patched = await call(t, b.users.admin, 'PATCH', `/api/controls/${own.id}`, {
      primary_provider_id: foreign.id,
    });
    expect(patched.status).toBe(404);
    const owner = await call(t, b.users.admin, 'PATCH', `/api/controls/${own.id}`, {
      owned_by_user: a.users.owner.id,
    });
    expect(owner.status).toBe(404);
    expect(
      (await call(t, b.users.viewer, 'GET', `/api/controls/${own.id}`)).body.data.primary_provider_id,
    ).toBeNull();
  });

  it('smuggled organization_id is refused with 400 on every write body', async () => {
    const own = await control(t, b);
    const p = await provider(t, b);
    const l = await newLink(b);
    const attempts: Array<[Method, string, Record<string, unknown>]> = [
      ['POST', '/api/controls', controlBody()],
      ['PATCH', `/api/controls/${own.id}`, { name: 'x' }],
      ['POST', `/api/controls/${own.id}/interactions`, { interaction_type: 'use' }],
      ['POST', '/api/providers', { name: 'Smuggler', provider_type: 'vendor' }],
      ['PATCH', `/api/providers/${p.id}`, { name: 'Smuggler' }],
      [
        'POST',
        '/api/provider-links',
        { from_provider_id: p.id, to_provider_id: l.id, relationship_type: 'supplies', path_weight: 1 },
      ],
      ['PATCH', `/api/provider-links/${l.id}`, { path_weight: 2 }],
    ];
    for (const [method, url, body] of attempts) {
      const res = await call(t, b.users.owner, method, url, { ...body, organization_id: a.org.id });
      expect(res.status, `${method} ${url}`).toBe(400);
      expect(res.body.code).toBe('VALIDATION_ERROR');
    }
    const aControls = await call(t, a.users.viewer, 'GET', '/api/controls?q=Smuggler');
    expect(aControls.body.data).toEqual([]);
  });

  it('a client-made id that belongs to another organisation is a conflict, never a takeover', async () => {
    const theirs = await control(t, a);
    const res = await call(t, b.users.admin, 'POST', '/api/controls', { ...controlBody(), id: theirs.id });
    expect(res.status).toBe(409);
    const after = await call(t, a.users.viewer, 'GET', `/api/controls/${theirs.id}`);
    expect(after.body.data.name).toBe(theirs.name);
  });

  it('a foreign interaction id replayed in another organisation is a conflict', async () => {
    const theirs = await control(t, a);
    const id = randomUUID();
    expect(
      (
        await call(t, a.users.member, 'POST', `/api/controls/${theirs.id}/interactions`, {
          id,
          interaction_type: 'use',
        })
      ).status,
    ).toBe(201);
    const mine = await control(t, b);
    const res = await call(t, b.users.member, 'POST', `/api/controls/${mine.id}/interactions`, {
      id,
      interaction_type: 'use',
    });
    expect(res.status).toBe(409);
    expect(
      (await call(t, b.users.viewer, 'GET', `/api/controls/${mine.id}`)).body.data.last_touched_at,
    ).toBeNull();
  });
});
