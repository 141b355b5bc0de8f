// The built web app at /: static files, the SPA fallback for client-side routes, and API-like
// paths that keep their JSON 404. Runs against a small fake build in a temporary directory.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityFeature } from '../../src/auth/feature.ts';
import { createWebFeature, isAppPath } from '../../src/web/feature.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
let root: string;

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'web-build-'));
  writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>shell</title>');
  mkdirSync(path.join(root, '_app/immutable/entry'), { recursive: true });
  writeFileSync(path.join(root, '_app/immutable/entry/app.abc123.js'), 'console.log(1)');
  writeFileSync(path.join(root, 'favicon.svg'), '<svg/>');
  t = await createTestApp({ features: [identityFeature, createWebFeature(root)] });
});
afterAll(async () => {
  await t?.close();
});

describe('web feature', () => {
  it('serves the app shell at / and for client-side routes', async () => {
    for (const url of [
      '/',
      '/controls',
      '/controls/6f1c3a4e-2b8d-4c1e-9a7b-1d2e3f4a5b6c',
      '/sign-in?next=/',
    ]) {
      const response = await t.app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(200);
      expect(response.body).toContain('<title>shell</title>');
      expect(response.headers['cache-control']).toBe('no-cache');
    }
  });

  it('serves hashed assets with long caching and other files as they are', async () => {
    const asset = await t.app.inject({ method: 'GET', url: '/_app/immutable/entry/app.abc123.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toContain('immutable');
    const icon = await t.app.inject({ method: 'GET', url: '/favicon.svg' });
    expect(icon.statusCode).toBe(200);
    expect(icon.body).toBe('<svg/>');
  });

  it('keeps the JSON 404 for API-like paths and missing files', async () => {
    for (const url of ['/api/nope', '/auth/nope', '/metricsx/../api/x', '/missing.js']) {
      const response = await t.app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(404);
      expect(response.json()).toMatchObject({ code: 'NOT_FOUND' });
    }
  });

  it('never serves a file from outside the build', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/..%2f..%2fetc%2fpasswd' });
    expect(response.body).not.toContain('root:');
    expect([200, 404]).toContain(response.statusCode);
  });

  it('tells API paths from app paths', () => {
    expect(isAppPath('/controls')).toBe(true);
    expect(isAppPath('/api/controls')).toBe(false);
    expect(isAppPath('/auth/login')).toBe(false);
    expect(isAppPath('/health')).toBe(false);
  });
});
