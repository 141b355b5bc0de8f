// Every route documents its answers: a response schema for its success and the error shape for
// every 4xx and 5xx (http/responses.ts), so /api/docs describes each body and the serializer
// sends only the fields a schema names. A route added without them fails here; the routes that
// answer something other than a JSON body are listed with the reason.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineFeature } from '../../src/app.ts';
import { dataOf, responses } from '../../src/http/responses.ts';
import type { TestApp } from '../helpers/app.ts';
import { createAppWithEveryRoute, type RecordedRoute } from '../helpers/every-route.ts';

/** "METHOD url" → why the route has no JSON response schema. */
const NOT_JSON: Record<string, string> = {
  'GET /metrics': 'Prometheus text exposition format',
  'GET /api/controls/export': 'a text/csv file',
  'GET /api/audit/export': 'a text/csv file',
  'GET /api/electric/sync': 'the sync stream: Electric protocol messages, passed through as they come',
  'POST /api/electric/sync': 'the sync stream (subset snapshots in a POST body): Electric protocol messages',
  'GET /internal/electric/v1/shape': "the engine's internal protocol route: Electric's wire format",
  'GET /': "the web app's HTML shell",
  'GET /*': "the web app's static files and its HTML shell for client-side routes",
  // @fastify/static adds one route per file of the build; this test's build holds only the shell.
  'GET /index.html': "a file of the web app's build",
};
/** The OpenAPI document itself and its viewer's files (@fastify/swagger-ui): every route under it. */
const DOCS_PREFIX = '/api/docs';

const reasonFor = (method: string, url: string) =>
  url.startsWith(DOCS_PREFIX) ? 'the OpenAPI document and its viewer' : NOT_JSON[`${method} ${url}`];

// A handler that returns more than its schema names, as `SELECT *` would after a column is added.
const leakyRoute = defineFeature({ name: 'test-leaky-route' }, async (app) => {
  const member = z.object({
    id: z.string(),
    email: z.string(),
    name: z.string().nullable(),
    role: z.string(),
  });
  app.get(
    '/test-only/row-with-secret',
    { schema: { response: responses({ 200: dataOf(member) }) } },
    async () =>
      ({
        data: { id: 'u1', email: 'a@example.test', name: null, role: 'member', password_hash: '$argon2id$x' },
      }) as { data: z.infer<typeof member> },
  );
});

let t: TestApp;
let routes: RecordedRoute[];
beforeAll(async () => {
  ({ t, routes } = await createAppWithEveryRoute([leakyRoute]));
});
afterAll(() => t.close());

describe('response schemas', () => {
  it('every JSON route declares its success answer and the error shape for 4xx and 5xx', () => {
    expect(routes.length).toBeGreaterThan(50);
    const missing = routes
      .filter(({ method, url }) => reasonFor(method, url) === undefined)
      .filter(({ schema }) => {
        const codes = Object.keys(schema.response ?? {});
        const success = codes.some((code) => /^2\d\d$/.test(code));
        return !success || !codes.includes('4xx') || !codes.includes('5xx');
      })
      .map(({ method, url }) => `${method} ${url}`);
    expect(missing, `routes without response schemas:\n${missing.join('\n')}`).toEqual([]);
  });

  it('lists no exemption that matches no route (the list stays true)', () => {
    for (const key of Object.keys(NOT_JSON)) {
      const [method, url] = key.split(' ') as [string, string];
      const matched = routes.some((route) => route.method === method && route.url === url);
      expect(matched, key).toBe(true);
    }
  });

  it('sends only the fields a response schema names', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/test-only/row-with-secret' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ data: { id: 'u1', email: 'a@example.test', name: null, role: 'member' } });
    expect(res.body).not.toContain('password_hash');
  });

  it('documents each answer body in /api/docs/json, errors included', async () => {
    const spec = (await t.app.inject({ method: 'GET', url: '/api/docs/json' })).json();
    const get = spec.paths['/api/controls/{id}'].get.responses;
    const body = get['200'].content['application/json'].schema;
    expect(body.properties.data.properties).toHaveProperty('current_quadrant');
    const error = get['4XX'].content['application/json'].schema;
    expect(error.required).toEqual(expect.arrayContaining(['error', 'code', 'details']));
  });
});
