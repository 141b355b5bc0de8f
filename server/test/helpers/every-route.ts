// The whole app as production builds it, with every route it serves recorded: for the tests
// that walk all routes (response schemas, authentication before validation).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defineFeature, type Feature } from '../../src/app.ts';
import { allFeatures } from '../../src/features.ts';
import { createWebFeature, webFeature } from '../../src/web/feature.ts';
import { createTestApp, type TestApp } from './app.ts';

export type RecordedRoute = {
  method: string;
  url: string;
  schema: { body?: unknown; querystring?: unknown; params?: unknown; response?: Record<string, unknown> };
};

/** The app with every feature (and `extra` after them); `routes` lists each METHOD + url (no HEAD). */
export async function createAppWithEveryRoute(
  extra: Feature[] = [],
): Promise<{ t: TestApp; routes: RecordedRoute[] }> {
  const routes: RecordedRoute[] = [];
  // On the whole app and first, so its onRoute hook sees every route every feature adds.
  const recordRoutes = defineFeature({ name: 'test-record-routes', decoratesApp: true }, async (app) => {
    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      const schema = (route.schema ?? {}) as RecordedRoute['schema'];
      for (const method of methods) if (method !== 'HEAD') routes.push({ method, url: route.url, schema });
    });
  });
  // A built web app (its shell only), so its routes are the ones production has.
  const webRoot = mkdtempSync(path.join(tmpdir(), 'web-build-'));
  writeFileSync(path.join(webRoot, 'index.html'), '<!doctype html><title>shell</title>');
  const features = allFeatures.map((feature) =>
    feature === webFeature ? createWebFeature(webRoot) : feature,
  );
  const t = await createTestApp({ features: [recordRoutes, ...features, ...extra] });
  return { t, routes };
}
