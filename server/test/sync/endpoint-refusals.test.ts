// GET /api/electric/sync in built-in mode, by raw requests against a listening server: where
// injection attempts, forbidden columns and tables and malformed protocol parameters are refused
// (or harmless), and the protocol details: unknown parameters, exposed electric headers, 409 and
// offset=now, 401 codes, metrics, and releasing the upstream when the client disconnects.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYNC_PATH } from '../../src/sync/endpoint.ts';
import type { TestApp } from '../helpers/app.ts';
import { bearer, type TestOrganization, type TestUser } from '../helpers/factories.ts';
import { bodyRows, buildEndpointWorld, expiredToken } from './endpoint-world.ts';

let t: TestApp;
let base: string;
let orgA: TestOrganization;
let orgB: TestOrganization;
let alice: TestUser;

beforeAll(async () => {
  ({ t, base, orgA, orgB, alice } = await buildEndpointWorld());
});

afterAll(async () => {
  await t?.close();
});

function get(query: string, headers: Record<string, string> = bearer(alice)) {
  return fetch(`${base}${SYNC_PATH}?${query}`, { headers });
}

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
      'table=controls&offset=now&live=true',
      'table=controls&offset=0_0&handle=h-1&live=maybe',
      'table=controls&offset=-1&live_sse=yes',
      'table=controls&offset=-1&log=some',
      'table=controls&offset=-1&replica=partial',
      'table=controls&offset=-1&table=users',
      'table=controls&offset=-1&where=true&where=false',
      'table=controls&offset=-1&subset__limit=abc&subset__order_by=name',
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

    const expired = await expiredToken(t.config, alice);
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
