// Browser security headers on every answer: a CSP (the app shell's allows its inline bootstrap
// script by hash and nothing else inline; every API answer allows nothing), no framing, no
// sniffing, no referrer to other sites, and HSTS only when the request came over HTTPS.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityFeature } from '../../src/auth/feature.ts';
import { API_POLICY, inlineScriptHashes } from '../../src/http/security-headers.ts';
import { openapiFeature } from '../../src/openapi/feature.ts';
import { createWebFeature } from '../../src/web/feature.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

const BOOTSTRAP = '\n  import("/_app/immutable/entry/start.js").then((kit) => kit.start(document.body));\n';
const sha256 = (text: string) => `sha256-${createHash('sha256').update(text).digest('base64')}`;

let root: string;
let t: TestApp;
beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'web-headers-'));
  writeFileSync(
    path.join(root, 'index.html'),
    `<!doctype html><title>shell</title><script type="module" src="/_app/x.js"></script><script>${BOOTSTRAP}</script>`,
  );
  writeFileSync(path.join(root, 'service-worker.js'), 'self.addEventListener("fetch", () => {});');
  mkdirSync(path.join(root, '_app'));
  writeFileSync(path.join(root, '_app/x.js'), 'export {};');
  t = await createTestApp({ features: [openapiFeature, identityFeature, createWebFeature(root)] });
});
afterAll(async () => {
  await t?.close();
  rmSync(root, { recursive: true, force: true });
});

const get = (url: string, headers: Record<string, string> = {}, app = t.app) =>
  app.inject({ method: 'GET', url, headers });

function expectFixedHeaders(headers: Record<string, unknown>) {
  expect(headers['x-frame-options']).toBe('DENY');
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['referrer-policy']).toBe('same-origin');
  expect(String(headers['content-security-policy'])).toContain("frame-ancestors 'none'");
}

describe('security headers', () => {
  it('the app shell allows exactly its inline bootstrap script, by hash', async () => {
    for (const url of ['/', '/controls/123', '/index.html']) {
      const response = await get(url);
      expect(response.statusCode, url).toBe(200);
      expectFixedHeaders(response.headers);
      const csp = String(response.headers['content-security-policy']);
      expect(csp, url).toContain(`script-src 'self' '${sha256(BOOTSTRAP)}'`);
      expect(csp).not.toContain('unsafe-eval');
      expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
      expect(csp).toContain("object-src 'none'");
    }
  });

  it('scripts such as the service worker get the page policy (it governs the worker)', async () => {
    const response = await get('/service-worker.js');
    expect(response.statusCode).toBe(200);
    expectFixedHeaders(response.headers);
    expect(response.headers['content-security-policy']).toContain("connect-src 'self'");
  });

  it('API answers, errors and operations answers allow nothing', async () => {
    for (const url of ['/api/me', '/auth/nope', '/health', '/metrics', '/api/docs/json']) {
      const response = await get(url);
      expectFixedHeaders(response.headers);
      expect(response.headers['content-security-policy'], url).toBe(API_POLICY);
    }
  });

  it('the API docs page can load its own scripts and styles', async () => {
    const response = await get('/api/docs/');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-security-policy']).toContain("script-src 'self'");
  });

  it('sends no HSTS over plain HTTP, nor when an untrusted client claims HTTPS', async () => {
    expect((await get('/health')).headers['strict-transport-security']).toBeUndefined();
    const claimed = await get('/health', { 'x-forwarded-proto': 'https' });
    expect(claimed.headers['strict-transport-security']).toBeUndefined();
  });

  it('sends HSTS behind a trusted proxy that says HTTPS', async () => {
    const proxied = await createTestApp({ env: { TRUST_PROXY: 'true' }, features: [identityFeature] });
    try {
      const https = await get('/health', { 'x-forwarded-proto': 'https' }, proxied.app);
      expect(https.headers['strict-transport-security']).toMatch(/^max-age=\d{7,}; includeSubDomains$/);
      const http = await get('/health', { 'x-forwarded-proto': 'http' }, proxied.app);
      expect(http.headers['strict-transport-security']).toBeUndefined();
    } finally {
      await proxied.close();
    }
  });
});

describe('inlineScriptHashes', () => {
  it('hashes inline scripts only, byte for byte', () => {
    const html = `<script src="/a.js"></script><script>one()</script><SCRIPT type="module">two()</SCRIPT><script></script>`;
    expect(inlineScriptHashes(html)).toEqual([sha256('one()'), sha256('two()')]);
  });
});
