// Features are Fastify plugins: a feature that authenticates refuses to start without identity
// (declared dependency, not a silent missing hook), and an encapsulated feature's body
// parser stays with its own routes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { ManualClock } from '../../src/clock.ts';
import { controlsFeature } from '../../src/controls/feature.ts';
import { allFeatures } from '../../src/features.ts';
import { createLogger } from '../../src/ops/logger.ts';
import { createMetrics } from '../../src/ops/metrics.ts';
import { createTestApp, openTestDatabase, type TestApp, testConfig } from '../helpers/app.ts';
import { bearer, buildOrganization, buildUser } from '../helpers/factories.ts';

describe('declared dependencies', () => {
  it('refuses to build an app whose feature needs identity when identity is not registered', async () => {
    const config = testConfig();
    const db = await openTestDatabase(config);
    try {
      const deps = {
        config,
        db,
        log: createLogger('silent'),
        metrics: createMetrics(),
        clock: new ManualClock(),
      };
      await expect(buildApp(deps, [controlsFeature])).rejects.toThrow(/identity/);
    } finally {
      await db.close();
    }
  });
});

describe('encapsulation', () => {
  let t: TestApp;
  let headers: Record<string, string>;
  beforeAll(async () => {
    t = await createTestApp({ features: allFeatures });
    // Signed in: authentication comes before the body is parsed, so a stranger gets 401 first.
    headers = bearer(await buildUser(t.db, t.config, await buildOrganization(t.db)));
  });
  afterAll(() => t.close());

  const csvPost = (url: string, signedIn = true) =>
    t.app.inject({
      method: 'POST',
      url,
      headers: { ...(signedIn ? headers : {}), 'content-type': 'text/csv' },
      payload: 'name\nx\n',
    });

  it('accepts text/csv on the import route', async () => {
    const res = await csvPost('/api/controls/import?dry_run=true');
    expect(res.statusCode, res.body).not.toBe(415);
    expect((await csvPost('/api/controls/import', false)).statusCode).toBe(401);
  });

  it('refuses text/csv on every other route with 415 in the error shape', async () => {
    for (const url of ['/api/controls', '/api/providers', '/auth/login']) {
      const res = await csvPost(url);
      expect(res.statusCode, url).toBe(415);
      expect(Object.keys(res.json()).sort()).toEqual(['code', 'details', 'error']);
    }
  });
});
