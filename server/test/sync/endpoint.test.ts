// GET /api/electric/sync in built-in mode, with the official client (@electric-sql/client)
// against a listening server: the where is respected, organisations never see each other's
// rows, injection attempts are refused or harmless, protocol details (headers, unknown
// parameters, 401/403) and the expired-token refresh that resumes from the client's offset.
import { FetchError, type Row, Shape, ShapeStream } from '@electric-sql/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signAccessToken } from '../../src/auth/tokens.ts';
import { SYNC_PATH } from '../../src/sync/endpoint.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import {
  bearer,
  buildOrganization,
  buildUser,
  insertRow,
  type TestOrganization,
  type TestUser,
} from '../helpers/factories.ts';

let t: TestApp;
let base: string;
let orgA: TestOrganization;
let orgB: TestOrganization;
let alice: TestUser;
let bob: TestUser;

const control = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  control_type: 'technical',
  functional_range: 'narrow',
  ...extra,
});

beforeAll(async () => {
  t = await createTestApp();
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  orgA = await buildOrganization(t.db, 'Org A');
  orgB = await buildOrganization(t.db, 'Org B');
  alice = await buildUser(t.db, t.config, orgA);
  bob = await buildUser(t.db, t.config, orgB);
  for (const name of ['Fire door', 'Fire alarm', 'Sprinkler'])
    await insertRow(t.db, orgA.id, 'controls', control(name));
  await insertRow(t.db, orgA.id, 'controls', control('Badge reader', { failure_probability: 0.9 }));
  for (const name of ['Fire door B', 'Gate B']) await insertRow(t.db, orgB.id, 'controls', control(name));
  await t.db.ownerPool.query(`UPDATE users SET password_hash = 'argon2id$secret' WHERE id = ANY($1)`, [
    [alice.id, bob.id],
  ]);
});

afterAll(async () => {
  await t?.close();
});

function stream(user: { token: string }, params: Record<string, string>) {
  const controller = new AbortController();
  const s = new ShapeStream<Row>({
    url: `${base}${SYNC_PATH}`,
    params: params as never,
    headers: { Authorization: `Bearer ${user.token}` },
    signal: controller.signal,
  });
  return { stream: s, shape: new Shape(s), stop: () => controller.abort() };
}

async function rowsOf(user: { token: string }, params: Record<string, string>): Promise<Row[]> {
  const { shape, stop } = stream(user, params);
  try {
    return await shape.rows;
  } finally {
    stop();
  }
}

function get(query: string, headers: Record<string, string> = bearer(alice)) {
  return fetch(`${base}${SYNC_PATH}?${query}`, { headers });
}

/** The rows of a non-live response body (snapshot chunk). */
async function bodyRows(response: Response): Promise<Record<string, string | null>[]> {
  const messages = (await response.json()) as { value?: Record<string, string | null> }[];
  return messages.filter((m) => m.value).map((m) => m.value!);
}

describe('shapes through the endpoint with the official client', () => {
  it('respects the where and its parameters', async () => {
    const rows = await rowsOf(alice, {
      table: 'controls',
      where: "name LIKE 'Fire%' AND name <> $1",
      'params[1]': 'Fire alarm',
    } as never);
    expect(rows.map((r) => r.name)).toEqual(['Fire door']);
    const risky = await rowsOf(alice, { table: 'controls', where: 'failure_probability >= 0.5' });
    expect(risky.map((r) => r.name)).toEqual(['Badge reader']);
  });

  it('keeps two organisations syncing side by side apart', async () => {
    const [a, b] = await Promise.all([
      rowsOf(alice, { table: 'controls' }),
      rowsOf(bob, { table: 'controls' }),
    ]);
    expect(a.map((r) => r.name).sort()).toEqual(['Badge reader', 'Fire alarm', 'Fire door', 'Sprinkler']);
    expect(b.map((r) => r.name).sort()).toEqual(['Fire door B', 'Gate B']);
    expect(new Set(a.map((r) => r.organization_id))).toEqual(new Set([orgA.id]));
    expect(new Set(b.map((r) => r.organization_id))).toEqual(new Set([orgB.id]));
    // The same where from two organisations is two shapes.
    const sameWhere = await rowsOf(bob, { table: 'controls', where: "name LIKE 'Fire%'" });
    expect(sameWhere.map((r) => r.name)).toEqual(['Fire door B']);
  });

  it('syncs a live insert to its organisation only', async () => {
    const a = stream(alice, { table: 'controls', where: "name LIKE 'Live%'" });
    const b = stream(bob, { table: 'controls', where: "name LIKE 'Live%'" });
    try {
      expect(await a.shape.rows).toEqual([]);
      expect(await b.shape.rows).toEqual([]);
      await insertRow(t.db, orgA.id, 'controls', control('Live A'));
      await insertRow(t.db, orgA.id, 'controls', control('Not live A'));
      await expect
        .poll(() => a.shape.currentRows.map((r) => r.name), { timeout: 10_000 })
        .toEqual(['Live A']);
      await insertRow(t.db, orgB.id, 'controls', control('Live B'));
      await expect
        .poll(() => b.shape.currentRows.map((r) => r.name), { timeout: 10_000 })
        .toEqual(['Live B']);
      expect(a.shape.currentRows.map((r) => r.name)).toEqual(['Live A']);
    } finally {
      a.stop();
      b.stop();
    }
  });

  it('streams live changes over SSE through the endpoint', async () => {
    const sse: string[] = [];
    const controller = new AbortController();
    const s = new ShapeStream<Row>({
      url: `${base}${SYNC_PATH}`,
      params: { table: 'controls', where: "name LIKE 'Sse%'" },
      headers: { Authorization: `Bearer ${alice.token}` },
      signal: controller.signal,
      liveSse: true,
      fetchClient: async (input, init) => {
        const response = await fetch(input, init);
        const url = new URL(input instanceof Request ? input.url : String(input));
        if (url.searchParams.get('live_sse') === 'true') sse.push(response.headers.get('content-type') ?? '');
        return response;
      },
    });
    const a = { shape: new Shape(s), stop: () => controller.abort() };
    try {
      expect(await a.shape.rows).toEqual([]);
      await insertRow(t.db, orgA.id, 'controls', control('Sse one'));
      await expect
        .poll(() => a.shape.currentRows.map((r) => r.name), { timeout: 10_000 })
        .toEqual(['Sse one']);
      await insertRow(t.db, orgA.id, 'controls', control('Sse two'));
      await expect
        .poll(() => a.shape.currentRows.map((r) => r.name).sort(), { timeout: 10_000 })
        .toEqual(['Sse one', 'Sse two']);
      expect(sse.length).toBeGreaterThan(0);
      expect(sse[0]).toMatch(/^text\/event-stream/);
    } finally {
      a.stop();
    }
  });

  it('routes live changes by a where on timestamps and numbers, moving rows in and out', async () => {
    const where =
      "last_touched_at >= '2024-01-01T00:00:00Z' AND provider_distance < 2.5 AND name LIKE 'Route%'";
    const a = stream(alice, { table: 'controls', where });
    try {
      expect(await a.shape.rows).toEqual([]);
      const inside = await insertRow(t.db, orgA.id, 'controls', {
        ...control('Route in'),
        last_touched_at: '2024-01-01T05:30:00+05:30', // exactly the bound, written in another zone
        provider_distance: 2.4999,
      });
      await insertRow(t.db, orgA.id, 'controls', {
        ...control('Route old'),
        last_touched_at: '2023-12-31T23:59:59.999999Z',
        provider_distance: 1,
      });
      await insertRow(t.db, orgA.id, 'controls', {
        ...control('Route far'),
        last_touched_at: '2025-06-01T00:00:00Z',
        provider_distance: 2.5,
      });
      await expect
        .poll(() => a.shape.currentRows.map((r) => r.name), { timeout: 10_000 })
        .toEqual(['Route in']);
      await t.db.ownerPool.query('UPDATE controls SET provider_distance = 7 WHERE id = $1', [inside]);
      await expect.poll(() => a.shape.currentRows.length, { timeout: 10_000 }).toBe(0);
      await t.db.ownerPool.query('UPDATE controls SET provider_distance = 0 WHERE id = $1', [inside]);
      await expect
        .poll(() => a.shape.currentRows.map((r) => r.name), { timeout: 10_000 })
        .toEqual(['Route in']);
    } finally {
      a.stop();
    }
  });

  it('serves the own organisation and its users without secrets', async () => {
    const orgs = await rowsOf(alice, { table: 'organizations' });
    expect(orgs.map((r) => r.id)).toEqual([orgA.id]);
    const users = await rowsOf(alice, { table: 'users' });
    expect(users.map((r) => r.id)).toEqual([alice.id]);
    expect(Object.keys(users[0]!).sort()).toEqual(
      ['confirmed_at', 'created_at', 'email', 'id', 'name', 'organization_id', 'role', 'updated_at'].sort(),
    );
    const projected = await rowsOf(alice, { table: 'users', columns: 'id,"email"' });
    expect(projected).toEqual([{ id: alice.id, email: alice.email }]);
  });
});

describe('injection attempts are refused or harmless', () => {
  const refused = [
    'true) OR (true',
    '1=1; DROP TABLE controls',
    "name = 'x' -- ' OR 1=1",
    "name = 'x' /* */ OR true",
    'id IN (SELECT id FROM controls)',
    'EXISTS (SELECT 1 FROM users)',
    'pg_sleep(1) IS NULL',
    'name = pg_sleep(1)::text',
    "'controls'::regclass IS NOT NULL",
    'name::regclass IS NOT NULL',
    'public.controls.organization_id IS NOT NULL',
    'controls.organization_id IS NOT NULL',
    'xmin IS NOT NULL',
    "current_setting('app.current_org_id') IS NOT NULL",
    "name = 'x' UNION SELECT password_hash FROM users",
    "set_config('app.current_org_id', 'x', false) IS NULL",
  ];
  it.each(refused)('refuses where %s with 400', async (where) => {
    const response = await get(`table=controls&offset=-1&where=${encodeURIComponent(where)}`);
    expect(response.status).toBe(400);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = await response.json();
    expect(body).toMatchObject({
      code: 'VALIDATION_ERROR',
      message: 'Invalid request',
      errors: { where: [expect.any(String)] },
    });
  });

  it.each([
    'organization_id IS NOT NULL OR true',
    `organization_id = '${'0'.repeat(8)}-0000-0000-0000-000000000000' OR true`,
    'true OR true',
    'NOT (organization_id IS NULL)',
  ])('cannot widen the shape with %s', async (where) => {
    const response = await get(`table=controls&offset=-1&where=${encodeURIComponent(where)}`);
    expect(response.status).toBe(200);
    const rows = await bodyRows(response);
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((r) => r.organization_id))).toEqual(new Set([orgA.id]));
  });

  it('refuses another organisation in a where to see nothing of it', async () => {
    const response = await get(
      `table=controls&offset=-1&where=${encodeURIComponent('organization_id = $1')}&params[1]=${orgB.id}`,
    );
    expect(response.status).toBe(200);
    expect(await bodyRows(response)).toEqual([]);
  });

  it.each([
    ['users', 'id,password_hash'],
    ['users', 'id,email,"password_hash"'],
    ['controls', 'name'], // no primary key
    ['controls', 'id,xmin'],
    ['controls', 'id,id'],
    ['controls', 'id,"name'],
  ])('refuses columns %s.%s with 400', async (table, columns) => {
    const response = await get(`table=${table}&offset=-1&columns=${encodeURIComponent(columns)}`);
    expect(response.status).toBe(400);
    expect((await response.json()).errors.columns).toHaveLength(1);
  });

  it('refuses password_hash in a where', async () => {
    const response = await get(
      `table=users&offset=-1&where=${encodeURIComponent("password_hash LIKE 'argon%'")}`,
    );
    expect(response.status).toBe(400);
  });

  it.each([
    'service_level_agreements',
    'sessions',
    'refresh_tokens',
    'invitations',
    'audit_log',
    'directory',
    'risk_predictions',
    'provider_networks',
    'pg_catalog.pg_authid',
    'information_schema.tables',
    'controls; DROP TABLE controls',
    'no_such_table',
  ])('answers 403 for table %s', async (table) => {
    const response = await get(`table=${encodeURIComponent(table)}&offset=-1`);
    expect(response.status).toBe(403);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('refuses malformed protocol parameters with 400', async () => {
    for (const query of [
      'table=controls',
      'table=controls&offset=abc',
      'table=controls&offset=1_2',
      'table=controls&offset=-1&live=true',
      'table=controls&offset=-1&replica=partial',
      'table=controls&offset=-1&table=users',
      'table=controls&offset=-1&where=true&where=false',
      'table=controls&offset=-1&subset__where=true',
      `table=controls&offset=-1&where=${encodeURIComponent('id = $1')}`,
      `table=controls&offset=-1&where=${encodeURIComponent('id = $1')}&params[1]=nope`,
      `table=controls&offset=-1&where=${encodeURIComponent('name = $1')}&params[1]=a&params[01]=b`,
    ]) {
      const response = await get(query);
      expect({ query, status: response.status }).toEqual({ query, status: 400 });
    }
  });
});

describe('protocol details', () => {
  it('ignores unknown parameters and exposes every electric header', async () => {
    const response = await get(
      'table=controls&offset=-1&log=full&cache-buster=abc&expired_handle=old-1&experimental_live_sse=false&foo=bar&api_secret=x',
    );
    expect(response.status).toBe(200);
    const exposed = (response.headers.get('access-control-expose-headers') ?? '').split(/,\s*/);
    const electric = [...response.headers.keys()].filter((name) => name.startsWith('electric-'));
    expect(electric).toEqual(
      expect.arrayContaining(['electric-handle', 'electric-offset', 'electric-schema']),
    );
    for (const name of [...electric, 'electric-cursor', 'electric-up-to-date'])
      expect(exposed).toContain(name);
    expect(response.headers.get('vary')).toBe('Authorization, Cookie');
    expect(response.headers.get('content-encoding')).toBeNull();
    const schema = JSON.parse(response.headers.get('electric-schema')!);
    expect(schema.id).toMatchObject({ type: 'uuid', not_null: true, pk_index: 0 });
    expect(schema.password_hash).toBeUndefined();
  });

  it('passes a must-refetch 409 with its new handle through, and answers offset=now at once', async () => {
    const gone = await get('table=controls&offset=0_0&handle=no-such-handle-1');
    expect(gone.status).toBe(409);
    expect(gone.headers.get('electric-handle')).toBeTruthy();
    expect(gone.headers.get('electric-handle')).not.toBe('no-such-handle-1');
    expect(gone.headers.get('access-control-expose-headers')).toContain('electric-handle');
    expect(gone.headers.get('cache-control')).toBe('no-store');
    expect(await gone.json()).toEqual([{ headers: { control: 'must-refetch' } }]);

    const now = await get('table=controls&offset=now');
    expect(now.status).toBe(200);
    expect(now.headers.get('electric-offset')).toMatch(/^\d+_\d+$/);
    const body = (await now.json()) as { headers: { control?: string } }[];
    expect(body.at(-1)?.headers.control).toBe('up-to-date');
    expect(body.some((m) => 'value' in m)).toBe(false);
  });

  it('answers 401 with the contract codes, uncacheable and readable', async () => {
    const missing = await get('table=controls&offset=-1', {});
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ code: 'MISSING_TOKEN' });
    expect(missing.headers.get('cache-control')).toBe('no-store');
    expect(missing.headers.get('vary')).toBe('Authorization, Cookie');

    const garbage = await get('table=controls&offset=-1', { authorization: 'Bearer not.a.token' });
    expect(await garbage.json()).toMatchObject({ code: 'INVALID_TOKEN' });

    const expired = await expiredToken(alice);
    const old = await get('table=controls&offset=-1', { authorization: `Bearer ${expired}` });
    expect(old.status).toBe(401);
    expect(await old.json()).toMatchObject({ code: 'TOKEN_EXPIRED' });
  });

  it('counts refused shapes and request latency in /metrics', async () => {
    await get('table=sessions&offset=-1');
    await get(`table=controls&offset=-1&where=${encodeURIComponent('pg_sleep(1) IS NULL')}`);
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/sync_shapes_refused_total\{reason="table_not_syncable"\} [1-9]/);
    expect(text).toMatch(/sync_shapes_refused_total\{reason="bad_where"\} [1-9]/);
    expect(text).toMatch(
      /sync_request_duration_seconds_count\{mode="builtin",live="false",status="200"\} [1-9]/,
    );
  });

  it('releases the upstream when the client disconnects from a live request', async () => {
    const first = await get('table=controls&offset=-1&where=' + encodeURIComponent("name = 'Sprinkler'"));
    const handle = first.headers.get('electric-handle')!;
    await first.arrayBuffer();
    const caughtUp = await get(
      `table=controls&offset=${first.headers.get('electric-offset')}&handle=${handle}&where=${encodeURIComponent("name = 'Sprinkler'")}`,
    );
    const offset = caughtUp.headers.get('electric-offset')!;
    await caughtUp.arrayBuffer();
    const liveSubscribers = async () => {
      const text = await (await fetch(`${base}/metrics`)).text();
      return Number(/^sync_engine_live_subscribers (\d+)/m.exec(text)?.[1] ?? 'NaN');
    };
    const controller = new AbortController();
    const live = fetch(
      `${base}${SYNC_PATH}?table=controls&offset=${offset}&handle=${handle}&live=true&where=${encodeURIComponent("name = 'Sprinkler'")}`,
      { headers: bearer(alice), signal: controller.signal },
    ).catch(() => undefined);
    await expect.poll(liveSubscribers, { timeout: 5_000 }).toBeGreaterThanOrEqual(1);
    controller.abort();
    await live;
    await expect.poll(liveSubscribers, { timeout: 5_000 }).toBe(0);
  });
});

async function expiredToken(user: TestUser): Promise<string> {
  const { token } = await signAccessToken(
    {
      secret: t.config.tokenSecret,
      issuer: t.config.tokenIssuer,
      audience: t.config.tokenAudience,
      accessTokenTtl: 60,
    },
    { userId: user.id, orgId: user.orgId, role: user.role, sessionId: user.sessionId },
    Math.floor(Date.now() / 1000) - 3600,
  );
  return token;
}

describe('an expired token mid-stream', () => {
  it("lets the client's onError supply a refreshed header and resume from its offset", async () => {
    const expired = await expiredToken(alice);
    await insertRow(t.db, orgA.id, 'controls', control('Refresh one')); // before the stream starts
    let current = alice.token;
    const requests: URL[] = [];
    const errors: number[] = [];
    const controller = new AbortController();
    const s = new ShapeStream<Row>({
      url: `${base}${SYNC_PATH}`,
      params: { table: 'controls', where: "name LIKE 'Refresh%'" },
      headers: { Authorization: () => `Bearer ${current}` },
      signal: controller.signal,
      fetchClient: (input, init) => {
        requests.push(new URL(input instanceof Request ? input.url : String(input)));
        return fetch(input, init);
      },
      onError: async (error) => {
        errors.push(error instanceof FetchError ? error.status : -1);
        if (error instanceof FetchError && error.status === 401) {
          return { headers: { Authorization: `Bearer ${alice.token}` } };
        }
      },
    });
    const shape = new Shape(s);
    try {
      expect((await shape.rows).map((r) => r.name)).toEqual(['Refresh one']);
      current = expired; // the access token runs out while the client is live
      await insertRow(t.db, orgA.id, 'controls', control('Refresh two'));
      await expect.poll(() => errors, { timeout: 10_000 }).toContain(401);
      await insertRow(t.db, orgA.id, 'controls', control('Refresh three'));
      await expect
        .poll(() => shape.currentRows.map((r) => r.name).sort(), { timeout: 10_000 })
        .toEqual(['Refresh one', 'Refresh three', 'Refresh two']);
      // After the 401 the client resumed with its handle and offset, never from -1.
      const starts = requests.filter((url) => url.searchParams.get('offset') === '-1');
      expect(starts).toHaveLength(1);
      const failedAt = errors.indexOf(401);
      expect(failedAt).toBeGreaterThanOrEqual(0);
    } finally {
      controller.abort();
    }
  });
});
