// Proxy mode (ELECTRIC_URL set): GET /api/electric/sync forwards to an upstream that speaks
// Electric's HTTP API. Against the built-in engine's internal protocol route of a second
// server (a real Electric protocol implementation) with the official client; against a small
// recording upstream for what exactly is forwarded; and with the upstream down.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { gzipSync } from 'node:zlib';
import { type Row, Shape, ShapeStream } from '@electric-sql/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYNC_PATH } from '../../src/sync/endpoint.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { bearer, buildOrganization, buildUser, insertRow, type TestUser } from '../helpers/factories.ts';

// The upstream engine's INTERNAL_SYNC_SECRET, which the proxy sends as its ELECTRIC_SECRET.
const SECRET = 'proxy-test-electric-secret-0123456789';
const UPSTREAM_SECRET = 'recording-upstream-electric-secret-0123';
const control = (name: string) => ({ name, control_type: 'technical', functional_range: 'narrow' });

let upstream: TestApp; // built-in engine, serving /internal/electric/v1/shape
let proxy: TestApp; // ELECTRIC_URL → upstream
let proxyBase: string;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  upstream = await createTestApp({ env: { INTERNAL_SYNC_SECRET: SECRET } });
  const upstreamBase = await upstream.app.listen({ port: 0, host: '127.0.0.1' });
  proxy = await createTestApp({
    env: { ELECTRIC_URL: `${upstreamBase}/internal/electric`, ELECTRIC_SECRET: SECRET },
  });
  proxyBase = await proxy.app.listen({ port: 0, host: '127.0.0.1' });
  const orgA = await buildOrganization(proxy.db);
  const orgB = await buildOrganization(proxy.db);
  alice = await buildUser(proxy.db, proxy.config, orgA);
  bob = await buildUser(proxy.db, proxy.config, orgB);
  for (const name of ['Proxy fire door', 'Proxy sprinkler'])
    await insertRow(proxy.db, orgA.id, 'controls', control(name));
  await insertRow(proxy.db, orgB.id, 'controls', control('Proxy gate B'));
});

afterAll(async () => {
  await proxy?.close();
  await upstream?.close();
});

function shapeFor(user: TestUser, base: string, params: Record<string, string>) {
  const controller = new AbortController();
  const stream = new ShapeStream<Row>({
    url: `${base}${SYNC_PATH}`,
    params: params as never,
    headers: { Authorization: `Bearer ${user.token}` },
    signal: controller.signal,
  });
  return { shape: new Shape(stream), stop: () => controller.abort() };
}

describe('proxy mode against the built-in engine speaking the protocol', () => {
  it('syncs with the where and the organisation filter set by the proxy, then live', async () => {
    const a = shapeFor(alice, proxyBase, { table: 'controls', where: "name LIKE 'Proxy%'" });
    const b = shapeFor(bob, proxyBase, { table: 'controls', where: "name LIKE 'Proxy%'" });
    try {
      expect((await a.shape.rows).map((r) => r.name).sort()).toEqual(['Proxy fire door', 'Proxy sprinkler']);
      expect((await b.shape.rows).map((r) => r.name)).toEqual(['Proxy gate B']);
      await insertRow(proxy.db, alice.orgId, 'controls', control('Proxy alarm'));
      await insertRow(proxy.db, alice.orgId, 'controls', control('Other alarm'));
      await expect
        .poll(() => a.shape.currentRows.map((r) => r.name).sort(), { timeout: 10_000 })
        .toEqual(['Proxy alarm', 'Proxy fire door', 'Proxy sprinkler']);
      expect(b.shape.currentRows.map((r) => r.name)).toEqual(['Proxy gate B']);
    } finally {
      a.stop();
      b.stop();
    }
  });

  it('forwards a subset snapshot (GET and POST) as Electric parameters; the organisation stays forced', async () => {
    const query = 'table=controls&offset=now&log=changes_only';
    const get = await fetch(
      `${proxyBase}${SYNC_PATH}?${query}&subset__where=${encodeURIComponent("name LIKE $1 OR name = 'Proxy gate B'")}` +
        `&subset__params=${encodeURIComponent('{"1":"Proxy%"}')}&subset__order_by=name%20DESC&subset__limit=10`,
      { headers: bearer(alice) },
    );
    expect(get.status).toBe(200);
    expect(get.headers.get('electric-snapshot')).toBe('true');
    const got = (await get.json()) as { data: Array<{ value: Row }> };
    const names = got.data.map((m) => m.value.name as string);
    expect(names).not.toContain('Proxy gate B');
    expect(names.slice(0, 2)).toEqual(['Proxy sprinkler', 'Proxy fire door']);
    expect(names).toEqual([...names].sort().reverse());
    const post = await fetch(`${proxyBase}${SYNC_PATH}?${query}`, {
      method: 'POST',
      headers: { ...bearer(alice), 'content-type': 'application/json' },
      body: JSON.stringify({ where: 'organization_id = $1', params: { '1': bob.orgId }, order_by: 'name' }),
    });
    expect(post.status).toBe(200);
    expect(((await post.json()) as { data: unknown[] }).data).toEqual([]);
  });

  it('passes electric headers through, exposed, without content-encoding', async () => {
    const response = await fetch(`${proxyBase}${SYNC_PATH}?table=controls&offset=-1&columns=id,name`, {
      headers: { ...bearer(alice), 'accept-encoding': 'gzip' },
    });
    expect(response.status).toBe(200);
    for (const name of ['electric-handle', 'electric-offset', 'electric-schema']) {
      expect(response.headers.get(name)).toBeTruthy();
      expect(response.headers.get('access-control-expose-headers')).toContain(name);
    }
    expect(response.headers.get('content-encoding')).toBeNull();
    expect(response.headers.get('vary')).toBe('Authorization, Cookie');
    const values = ((await response.json()) as { value?: Row }[]).filter((m) => m.value).map((m) => m.value!);
    expect(values.every((v) => Object.keys(v).sort().join() === 'id,name')).toBe(true);
  });

  it('reports the upstream healthy in /health', async () => {
    const health = await proxy.app.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(200);
    expect(health.json().checks.electric).toMatchObject({ ok: true, mode: 'proxy' });
  });

  it('still refuses what the endpoint refuses, before the upstream', async () => {
    const where = encodeURIComponent('pg_sleep(1) IS NULL');
    expect(
      (
        await fetch(`${proxyBase}${SYNC_PATH}?table=controls&offset=-1&where=${where}`, {
          headers: bearer(alice),
        })
      ).status,
    ).toBe(400);
    expect(
      (await fetch(`${proxyBase}${SYNC_PATH}?table=sessions&offset=-1`, { headers: bearer(alice) })).status,
    ).toBe(403);
  });
});

describe('proxy mode against a recording upstream', () => {
  let server: Server;
  let seen: IncomingMessage[] = [];
  let closed = 0;
  let app: TestApp;
  let base: string;

  beforeAll(async () => {
    server = createServer((request, response) => {
      seen.push(request);
      const url = new URL(request.url!, 'http://x');
      if (url.searchParams.get('live') === 'true') {
        request.socket.once('close', () => closed++); // held like a long-poll until the proxy lets go
        return;
      }
      response.writeHead(200, {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        'electric-handle': 'h-1',
        'electric-offset': '0_0',
        'electric-schema': '{"id":{"type":"uuid"}}',
        'electric-custom-thing': 'yes',
        'cache-control': 'public, max-age=604800',
        'x-internal': 'secret-header',
      });
      response.end(gzipSync('[{"headers":{"control":"up-to-date"}}]'));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    app = await createTestApp({
      env: { ELECTRIC_URL: `http://127.0.0.1:${port}/base/`, ELECTRIC_SECRET: UPSTREAM_SECRET },
    });
    base = await app.app.listen({ port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await app?.close();
    server?.closeAllConnections();
    server?.close();
  });

  it('forwards protocol parameters only, and sets the shape and the secret itself', async () => {
    seen = [];
    const query = new URLSearchParams({
      table: 'controls',
      offset: '-1',
      log: 'full',
      replica: 'full',
      where: "name = 'x'",
      columns: 'id,name',
      'cache-buster': 'cb',
      foo: 'bar',
      secret: 'client-guess',
      api_secret: 'client-guess',
      source_id: 'other-db',
    });
    const response = await fetch(`${base}${SYNC_PATH}?${query}`, { headers: bearer(alice) });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual([{ headers: { control: 'up-to-date' } }]);
    expect(response.headers.get('content-encoding')).toBeNull();
    expect(response.headers.get('electric-custom-thing')).toBe('yes');
    expect(response.headers.get('access-control-expose-headers')).toContain('electric-custom-thing');
    expect(response.headers.get('x-internal')).toBeNull();
    expect(response.headers.get('cache-control')).toBe('private, max-age=604800');

    expect(seen).toHaveLength(1);
    const forwarded = new URL(seen[0]!.url!, 'http://x');
    expect(forwarded.pathname).toBe('/base/v1/shape');
    expect(Object.fromEntries(forwarded.searchParams)).toEqual({
      offset: '-1',
      log: 'full',
      replica: 'full',
      'cache-buster': 'cb',
      table: 'controls',
      columns: '"id","name"',
      where: '"organization_id" = $1::uuid AND ("name" = $2::text)',
      'params[1]': alice.orgId,
      'params[2]': 'x',
      secret: UPSTREAM_SECRET,
    });
  });

  it('aborts the upstream request when the client disconnects', async () => {
    closed = 0;
    const controller = new AbortController();
    const pending = fetch(`${base}${SYNC_PATH}?table=controls&offset=0_0&handle=h-1&live=true`, {
      headers: bearer(alice),
      signal: controller.signal,
    }).catch(() => undefined);
    await expect.poll(() => seen.some((r) => r.url?.includes('live=true')), { timeout: 5_000 }).toBe(true);
    controller.abort();
    await pending;
    await expect.poll(() => closed, { timeout: 5_000 }).toBe(1);
  });
});

describe('proxy mode with the upstream down or misconfigured', () => {
  it('answers 503 UPSTREAM_UNAVAILABLE with Retry-After and a message for a person', async () => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as { port: number }).port;
    probe.close(); // nothing listens there any more
    const down = await createTestApp({ env: { ELECTRIC_URL: `http://127.0.0.1:${port}` } });
    try {
      const response = await down.app.inject({
        method: 'GET',
        url: `${SYNC_PATH}?table=controls&offset=-1`,
        headers: bearer(alice),
      });
      expect(response.statusCode).toBe(503);
      expect(response.headers['retry-after']).toBe('5');
      expect(response.headers['cache-control']).toBe('no-store');
      const body = response.json();
      expect(body.code).toBe('UPSTREAM_UNAVAILABLE');
      expect(body.error).toMatch(/temporarily unavailable/);
      const health = await down.app.inject({ method: 'GET', url: '/health' });
      expect(health.statusCode).toBe(503);
      expect(health.json().checks.electric).toMatchObject({ ok: false });
    } finally {
      await down.close();
    }
  });

  it('never passes the upstream refusing our secret on as the browser being unauthorised', async () => {
    const wrong = await createTestApp({
      env: {
        ELECTRIC_URL: `${await upstreamUrl()}/internal/electric`,
        ELECTRIC_SECRET: 'a-wrong-secret-of-the-right-length-0123',
      },
    });
    try {
      const response = await wrong.app.inject({
        method: 'GET',
        url: `${SYNC_PATH}?table=controls&offset=-1`,
        headers: bearer(alice),
      });
      expect(response.statusCode).toBe(502);
      expect(response.json().code).toBe('UPSTREAM_UNAVAILABLE');
    } finally {
      await wrong.close();
    }
  });
});

async function upstreamUrl(): Promise<string> {
  const address = upstream.app.server.address() as { port: number };
  return `http://127.0.0.1:${address.port}`;
}
