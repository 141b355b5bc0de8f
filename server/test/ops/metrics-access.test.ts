// Who reads /metrics and the /health details: METRICS_TOKEN (Bearer) when set, the METRICS_PORT
// listener, or anyone on the app port in development only. The bare liveness answer {status}
// (200, or 503 when a component is down) stays public everywhere.
import { afterAll, describe, expect, it } from 'vitest';
import { defineFeature, type Feature } from '../../src/app.ts';
import { identityFeature } from '../../src/auth/feature.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

const TOKEN = 'metrics-token-for-the-tests-0123456789';
const METRIC = /^# TYPE http_request_duration_seconds histogram/m;

type Scene = { name: string; env: Record<string, string> };
const apps = new Map<string, TestApp>();
async function appFor(scene: Scene, features: Feature[] = [identityFeature]) {
  const key = `${scene.name}:${features.length}`;
  let t = apps.get(key);
  if (!t) {
    t = await createTestApp({ env: scene.env, features });
    apps.set(key, t);
  }
  return t;
}
afterAll(async () => {
  for (const t of apps.values()) await t.close();
});

const get = (t: TestApp | { app: TestApp['app'] }, url: string, token?: string) =>
  t.app.inject({ method: 'GET', url, headers: token ? { authorization: `Bearer ${token}` } : {} });

const DEVELOPMENT: Scene = { name: 'development', env: {} };
const PRODUCTION: Scene = { name: 'production', env: { NODE_ENV: 'production' } };
const WITH_TOKEN: Scene = { name: 'token', env: { NODE_ENV: 'production', METRICS_TOKEN: TOKEN } };
const WITH_PORT: Scene = { name: 'port', env: { NODE_ENV: 'production', METRICS_PORT: '0' } };

describe('development (no METRICS_PORT, no METRICS_TOKEN)', () => {
  it('serves /metrics and the /health details on the app port, as before', async () => {
    const t = await appFor(DEVELOPMENT);
    expect((await get(t, '/metrics')).body).toMatch(METRIC);
    const health = await get(t, '/health');
    expect(health.statusCode).toBe(200);
    expect(health.json()).toMatchObject({ status: 'ok', checks: { database: 'ok' } });
  });
});

describe('production without METRICS_PORT or METRICS_TOKEN', () => {
  it('does not serve /metrics, and /health answers only {status}', async () => {
    const t = await appFor(PRODUCTION);
    const metrics = await get(t, '/metrics');
    expect(metrics.statusCode).toBe(404);
    expect(metrics.json()).toMatchObject({ code: 'NOT_FOUND', error: expect.any(String), details: {} });
    expect(metrics.body).not.toMatch(METRIC);
    const health = await get(t, '/health');
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ status: 'ok' });
  });
});

describe('METRICS_TOKEN', () => {
  it('refuses /metrics without the token (401 MISSING_TOKEN) or with another one (401 INVALID_TOKEN)', async () => {
    const t = await appFor(WITH_TOKEN);
    const missing = await get(t, '/metrics');
    expect(missing.statusCode).toBe(401);
    expect(missing.json().code).toBe('MISSING_TOKEN');
    for (const wrong of [`${TOKEN}x`, TOKEN.slice(1), 'x']) {
      const response = await get(t, '/metrics', wrong);
      expect(response.statusCode).toBe(401);
      expect(response.json().code).toBe('INVALID_TOKEN');
      expect(response.body).not.toMatch(METRIC);
    }
  });

  it('serves /metrics and the /health details to the token', async () => {
    const t = await appFor(WITH_TOKEN);
    const metrics = await get(t, '/metrics', TOKEN);
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toMatch(METRIC);
    expect((await get(t, '/health', TOKEN)).json()).toMatchObject({
      status: 'ok',
      checks: { database: 'ok' },
    });
    expect((await get(t, '/health')).json()).toEqual({ status: 'ok' });
    expect((await get(t, '/health', 'wrong')).json()).toEqual({ status: 'ok' });
  });
});

describe('METRICS_PORT', () => {
  it('serves /metrics and the details on its own listener only', async () => {
    const t = await appFor(WITH_PORT);
    expect((await get(t, '/metrics')).statusCode).toBe(404);
    expect((await get(t, '/health')).json()).toEqual({ status: 'ok' });
    const [listener] = t.app.sideListeners;
    expect(listener?.roles).toEqual(['metrics']);
    const side = { app: listener!.app as TestApp['app'] };
    const metrics = await get(side, '/metrics');
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toMatch(METRIC);
    expect((await get(side, '/health')).json()).toMatchObject({ status: 'ok', checks: { database: 'ok' } });
    expect((await get(side, '/api/me')).statusCode).toBe(404);
  });
});

describe('a component down', () => {
  const down = defineFeature({ name: 'test-down' }, async (_app, deps) => {
    deps.healthChecks.push({ name: 'engine', check: async () => ({ ok: false, detail: { slot: 'lost' } }) });
  });

  it('is 503 {status: "unavailable"} for anyone, with the details only for the audience', async () => {
    const t = await appFor(WITH_TOKEN, [identityFeature, down]);
    const bare = await get(t, '/health');
    expect(bare.statusCode).toBe(503);
    expect(bare.json()).toEqual({ status: 'unavailable' });
    const detailed = await get(t, '/health', TOKEN);
    expect(detailed.statusCode).toBe(503);
    expect(detailed.json()).toMatchObject({
      status: 'unavailable',
      checks: { engine: { ok: false, slot: 'lost' } },
    });
  });
});
