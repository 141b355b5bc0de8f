// The engine is generic and the tenant gate is what binds it: in conformance mode the engine
// serves a table no tenant model knows (another schema, a name with a space, no organisation
// column), with its own where, snapshot and live changes; the public endpoint and the internal
// route still refuse that very table. The conformance mode refuses production and non-loopback.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conformanceRefusal, startConformanceEngine } from '../../src/sync/conformance/main.ts';
import { SYNC_PATH } from '../../src/sync/endpoint.ts';
import { INTERNAL_SHAPE_PATH } from '../../src/sync/engine/index.ts';
import type { TestApp } from '../helpers/app.ts';
import { TEST_INTERNAL_SYNC_SECRET } from '../helpers/constants.ts';
import { bearer, type TestUser } from '../helpers/factories.ts';
import { buildEndpointWorld } from './endpoint-world.ts';

const baseUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const TABLE = 'other."odd table"';

describe('conformance mode: the engine without the gate', () => {
  const dbName = `conformance_mode_${process.pid}_${randomUUID().slice(0, 8)}`;
  const url = (() => {
    const u = new URL(baseUrl);
    u.pathname = `/${dbName}`;
    return u.toString();
  })();
  let client: pg.Client;
  let server: Awaited<ReturnType<typeof startConformanceEngine>>;

  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: baseUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${dbName}"`);
    await admin.end();
    client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`CREATE SCHEMA other;
      CREATE TABLE other."odd table" (id int PRIMARY KEY, label text NOT NULL, n int4);
      INSERT INTO other."odd table" VALUES (1, 'one', 1), (2, 'two', 2), (3, 'three', 3)`);
    server = await startConformanceEngine({ CONFORMANCE_DATABASE_URL: url, PORT: '0' });
  });

  afterAll(async () => {
    await server?.app.close();
    await client?.end();
    const admin = new pg.Client({ connectionString: baseUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin.end();
  });

  const shape = (extra: Record<string, string>) =>
    fetch(
      `${server.url}/v1/shape?${new URLSearchParams({ table: TABLE, where: 'n >= $1', 'params[1]': '2', ...extra })}`,
    );

  it('serves a non-tenant table of another schema: snapshot, then live changes', async () => {
    const first = await shape({ offset: '-1' });
    expect(first.status).toBe(200);
    const rows = ((await first.json()) as Array<{ key?: string; value?: Record<string, string> }>).filter(
      (m) => m.key,
    );
    expect(rows.map((m) => [m.key, m.value])).toEqual([
      ['"other"."odd table"/"2"', { id: '2', label: 'two', n: '2' }],
      ['"other"."odd table"/"3"', { id: '3', label: 'three', n: '3' }],
    ]);
    // The table was added to the mode's publication with REPLICA IDENTITY FULL, as Electric does.
    const published = await client.query(
      `SELECT c.relreplident FROM pg_publication_tables p
         JOIN pg_class c ON c.relname = p.tablename
        WHERE p.pubname = 'electric_conformance' AND p.schemaname = 'other' AND p.tablename = 'odd table'`,
    );
    expect(published.rows).toEqual([{ relreplident: 'f' }]);
    const handle = first.headers.get('electric-handle') as string;
    let offset = first.headers.get('electric-offset') as string;
    await client.query(`INSERT INTO other."odd table" VALUES (4, 'four', 4), (5, 'zero', 0)`);
    const seen: unknown[] = [];
    for (let attempt = 0; attempt < 5 && seen.length === 0; attempt++) {
      const live = await shape({ offset, handle, live: 'true' });
      expect(live.status).toBe(200);
      offset = live.headers.get('electric-offset') ?? offset;
      for (const m of (await live.json()) as Array<{ key?: string; headers: { operation?: string } }>) {
        if (m.key) seen.push([m.headers.operation, m.key]);
      }
    }
    expect(seen).toEqual([['insert', '"other"."odd table"/"4"']]);
  });

  it('sends nothing on a live SSE stream until a change comes, then the change and an up-to-date', async () => {
    const first = await shape({ offset: 'now' }); // caught up: the log's head
    await first.arrayBuffer();
    const handle = first.headers.get('electric-handle') as string;
    const abort = new AbortController();
    const sse = await fetch(
      `${server.url}/v1/shape?${new URLSearchParams({
        table: TABLE,
        where: 'n >= $1',
        'params[1]': '2',
        offset: first.headers.get('electric-offset') as string,
        handle,
        live: 'true',
        live_sse: 'true',
      })}`,
      { signal: abort.signal },
    );
    expect(sse.headers.get('content-type')).toBe('text/event-stream');
    await client.query(`INSERT INTO other."odd table" VALUES (6, 'six', 6)`);
    const reader = (sse.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!text.includes('up-to-date')) text += new TextDecoder().decode((await reader.read()).value);
    abort.abort();
    const events = text
      .split('\n\n')
      .filter((event) => event.startsWith('data: '))
      .map((event) => JSON.parse(event.slice(6)) as { key?: string; headers: { control?: string } });
    // The first event is the change: no up-to-date was sent before it (Electric sends none).
    expect(events.map((e) => e.key ?? e.headers.control)).toEqual(['"other"."odd table"/"6"', 'up-to-date']);
  });

  it('drops a shape on DELETE: its handle must refetch', async () => {
    const first = await shape({ offset: '-1' });
    const handle = first.headers.get('electric-handle') as string;
    const offset = first.headers.get('electric-offset') as string;
    await first.arrayBuffer();
    const deleted = await fetch(`${server.url}/v1/shape?${new URLSearchParams({ table: TABLE })}`, {
      method: 'DELETE',
    });
    expect(deleted.status).toBe(202);
    const again = await shape({ offset, handle });
    expect(again.status).toBe(409);
  });

  it('refuses production, and any address but loopback', () => {
    expect(conformanceRefusal({ NODE_ENV: 'production', CONFORMANCE_DATABASE_URL: url })).toMatch(
      /production/,
    );
    expect(conformanceRefusal({ HOST: '0.0.0.0', CONFORMANCE_DATABASE_URL: url })).toMatch(/loopback/);
    expect(conformanceRefusal({ CONFORMANCE_DATABASE_URL: url })).toBeUndefined();
  });
});

describe('the tenant gate still refuses a table outside its allow-list', () => {
  const PROBE_SCHEMA = `gate_probe_${process.pid}`;
  const PROBE_TABLE = `${PROBE_SCHEMA}."odd table"`;
  let t: TestApp;
  let base: string;
  let alice: TestUser;
  beforeAll(async () => {
    ({ t, base, alice } = await buildEndpointWorld());
    await t.db.ownerPool.query(`CREATE SCHEMA IF NOT EXISTS ${PROBE_SCHEMA};
      CREATE TABLE IF NOT EXISTS ${PROBE_TABLE} (id int PRIMARY KEY, label text NOT NULL, n int4);
      CREATE TABLE IF NOT EXISTS public.${PROBE_SCHEMA} (id uuid PRIMARY KEY, organization_id uuid)`);
  });
  afterAll(async () => {
    await t?.db.ownerPool.query(
      `DROP SCHEMA IF EXISTS ${PROBE_SCHEMA} CASCADE; DROP TABLE IF EXISTS public.${PROBE_SCHEMA}`,
    );
    await t?.close();
  });

  // Another schema's table, a public table with an organisation column, a product table not synced.
  it.each([PROBE_TABLE, PROBE_SCHEMA, 'sessions'])(
    'the public endpoint refuses table=%s with 403',
    async (table) => {
      const response = await fetch(`${base}${SYNC_PATH}?${new URLSearchParams({ table, offset: '-1' })}`, {
        headers: bearer(alice),
      });
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({ code: 'FORBIDDEN' });
    },
  );

  it('the internal route refuses it too, even with the secret and an organisation', async () => {
    const query = new URLSearchParams({
      table: PROBE_SCHEMA,
      offset: '-1',
      where: '"organization_id" = $1',
      'params[1]': alice.orgId,
      secret: TEST_INTERNAL_SYNC_SECRET,
    });
    const response = await fetch(`${base}${INTERNAL_SHAPE_PATH}?${query}`);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ errors: { table: ['is not a synced table'] } });
  });
});
