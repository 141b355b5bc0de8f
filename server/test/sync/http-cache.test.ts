// HTTP caching of shape answers as Electric does it (issue 15, item 4): etag on every 200 shape
// answer and 304 for If-None-Match, Electric's cache-control for the initial, catch-up, live and
// SSE answers, 409 cacheable briefly, errors never. At the public endpoint the same answers
// are private to their user (`private`, no `s-maxage`, Vary: Authorization, Cookie), and a 304
// still needs a valid token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYNC_PATH } from '../../src/sync/endpoint.ts';
import { buildOrganization } from '../helpers/factories.ts';
import { buildEndpointWorld, type EndpointWorld } from './endpoint-world.ts';
import {
  type EngineApp,
  getShape,
  insertControls,
  shapeParams,
  startEngineApp,
  syncToUpToDate,
} from './engine-harness.ts';

let e: EngineApp;
let w: EndpointWorld;
beforeAll(async () => {
  [e, w] = await Promise.all([startEngineApp({ liveTimeoutMs: 300 }), buildEndpointWorld()]);
});
afterAll(async () => {
  await Promise.all([e?.close(), w?.t.close()]);
});

async function internal(query: Record<string, string>, headers: Record<string, string> = {}) {
  return e.app.inject({ method: 'GET', url: '/internal/electric/v1/shape', query, headers });
}

describe('engine (Electric protocol route)', () => {
  it('caches the initial answer a week privately and an hour in shared caches, later chunks a minute', async () => {
    const org = await buildOrganization(e.db);
    await insertControls(e, org.id, ['Door', 'Gate']);
    const query = shapeParams(e, 'controls', org.id);
    const first = await internal({ ...query, offset: '-1' });
    expect(first.statusCode).toBe(200);
    expect(first.headers['cache-control']).toBe(
      'public, max-age=604800, s-maxage=3600, stale-while-revalidate=2629746',
    );
    const handle = first.headers['electric-handle'] as string;
    const offset = first.headers['electric-offset'] as string;
    expect(first.headers.etag).toBe(`"${handle}:-1:${offset}"`);
    const next = await internal({ ...query, offset, handle });
    expect(next.headers['cache-control']).toBe('public, max-age=60, stale-while-revalidate=300');
    expect(next.headers.etag).toBe(`"${handle}:${offset}:${next.headers['electric-offset']}"`);
  });

  it('answers 304 without a body when If-None-Match holds the etag, 200 when it does not', async () => {
    const org = await buildOrganization(e.db);
    await insertControls(e, org.id, ['Door']);
    const query = { ...shapeParams(e, 'controls', org.id), offset: '-1' };
    const first = await internal(query);
    const etag = first.headers.etag as string;
    const again = await internal(query, { 'if-none-match': `"other", ${etag}` });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    expect(again.headers['electric-handle']).toBe(first.headers['electric-handle']);
    expect(again.headers.etag).toBe(etag);
    const stale = await internal(query, { 'if-none-match': '"someone:-1:0_0"' });
    expect(stale.statusCode).toBe(200);
    expect(JSON.parse(stale.body).length).toBeGreaterThan(0);
  });

  it('gives live answers a short cache and a unique etag when nothing changed (no endless revalidation)', async () => {
    const org = await buildOrganization(e.db);
    const query = shapeParams(e, 'controls', org.id);
    const { offset, handle } = await syncToUpToDate(e, query);
    const live = { ...query, offset, handle, live: 'true', cursor: '1' };
    const a = await internal(live);
    expect(a.headers['cache-control']).toBe('public, max-age=5, stale-while-revalidate=5');
    const b = await internal(live, { 'if-none-match': a.headers.etag as string });
    expect(b.statusCode).toBe(200);
    expect(b.headers.etag).not.toBe(a.headers.etag);
  });

  it('lets shared caches keep a 409 a minute (a redirect), never an error', async () => {
    const org = await buildOrganization(e.db);
    const query = shapeParams(e, 'controls', org.id);
    await syncToUpToDate(e, query);
    const gone = await getShape(e, { ...query, offset: '5_0', handle: 'handle-from-before' });
    expect(gone.status).toBe(409);
    expect(gone.headers['cache-control']).toBe('public, max-age=60, must-revalidate');
    const bad = await internal({ ...query, offset: 'nope' });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['cache-control']).toBe('no-store');
    expect(bad.headers['surrogate-control']).toBe('no-store');
    expect(bad.headers.etag).toBeUndefined();
  });
});

describe('public endpoint', () => {
  const get = (query: string, token: string | undefined, headers: Record<string, string> = {}) =>
    fetch(`${w.base}${SYNC_PATH}?${query}`, {
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    });

  it('keeps every answer private to its user and revalidates with 304', async () => {
    const first = await get('table=controls&offset=-1', w.alice.token);
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe(
      'private, max-age=604800, stale-while-revalidate=2629746',
    );
    expect(first.headers.get('vary')).toBe('Authorization, Cookie');
    const etag = first.headers.get('etag') as string;
    expect(etag).toMatch(/^".+:-1:0_\d+"$/);
    await first.arrayBuffer();
    const again = await get('table=controls&offset=-1', w.alice.token, { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    expect(again.headers.get('cache-control')).toMatch(/^private, /);
    expect(again.headers.get('access-control-expose-headers')).toContain('electric-handle');
  });

  it('never answers 304 to a caller without a valid token, whatever etag it presents', async () => {
    const first = await get('table=controls&offset=-1', w.alice.token);
    const etag = first.headers.get('etag') as string;
    await first.arrayBuffer();
    const anonymous = await get('table=controls&offset=-1', undefined, { 'if-none-match': etag });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('cache-control')).toBe('no-store');
    // Another organisation's user with Alice's etag gets its own shape (another handle): 200.
    const other = await get('table=controls&offset=-1', w.bob.token, { 'if-none-match': etag });
    expect(other.status).toBe(200);
    expect(other.headers.get('etag')).not.toBe(etag);
    const names = ((await other.json()) as Array<{ value?: { name: string } }>).flatMap((m) =>
      m.value ? [m.value.name] : [],
    );
    expect(names.sort()).toEqual(['Fire door B', 'Gate B']);
  });

  it('never lets a browser keep a 409 (a private cache gains nothing from it)', async () => {
    const first = await get('table=controls&offset=-1', w.alice.token);
    const handle = first.headers.get('electric-handle') as string;
    await first.arrayBuffer();
    const gone = await get(`table=controls&offset=5_0&handle=not-${handle}`, w.alice.token);
    expect(gone.status).toBe(409);
    expect(gone.headers.get('cache-control')).toBe('no-store');
    await gone.arrayBuffer();
  });
});
