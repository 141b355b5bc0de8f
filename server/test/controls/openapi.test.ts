// The OpenAPI document stays in step with the routes: every /api and /auth route the server
// registers is in /api/docs/json with its method, and the readable page is served.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineFeature } from '../../src/app.ts';
import { allFeatures } from '../../src/features.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

const registered: Array<{ method: string; url: string }> = [];
// On the whole app (decoratesApp), so its onRoute hook sees the routes of every later feature.
const recordRoutes = defineFeature({ name: 'test-record-routes', decoratesApp: true }, async (app) => {
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) registered.push({ method: method.toLowerCase(), url: route.url });
  });
});

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ features: [recordRoutes, ...allFeatures] });
});
afterAll(() => t.close());

/** Fastify's `:id` becomes OpenAPI's `{id}`. */
const openapiPath = (url: string) => url.replace(/:([A-Za-z_]\w*)/g, '{$1}');

describe('OpenAPI', () => {
  it('lists every /api and /auth route (except the docs themselves and the sync stream)', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/docs/json' });
    expect(res.statusCode).toBe(200);
    const spec = res.json();
    expect(spec.openapi).toMatch(/^3\./);
    const expected = registered.filter(
      (r) =>
        (r.url.startsWith('/api/') || r.url.startsWith('/auth/')) &&
        !r.url.startsWith('/api/docs') &&
        r.method !== 'head' &&
        r.method !== 'options',
    );
    expect(expected.length).toBeGreaterThan(15);
    const missing = expected.filter((r) => !spec.paths?.[openapiPath(r.url)]?.[r.method]);
    expect(missing).toEqual([]);
  });

  it('describes request schemas from zod: strict bodies, enums and uuids', async () => {
    const spec = (await t.app.inject({ method: 'GET', url: '/api/docs/json' })).json();
    const create = spec.paths['/api/controls'].post;
    const schema = create.requestBody.content['application/json'].schema;
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(expect.arrayContaining(['name', 'control_type', 'functional_range']));
    expect(schema.properties.control_type.enum).toEqual(['physical', 'procedural', 'technical']);
    const list = spec.paths['/api/controls'].get.parameters.map((p: { name: string }) => p.name);
    expect(list).toEqual(
      expect.arrayContaining(['quadrant', 'provider_id', 'q', 'sort', 'limit', 'cursor', 'attention']),
    );
    expect(spec.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('serves a readable page at /api/docs', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/docs/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.body).toMatch(/swagger/i);
  });
});
