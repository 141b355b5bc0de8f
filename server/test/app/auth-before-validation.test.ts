// Authentication comes before validation on every route that needs a token: a stranger who
// sends a malformed request learns nothing about the route's body, query or parameters, only
// that they must sign in (401). Walks every route of the app, so a route added with its
// authentication after validation fails here; the routes anyone may call are listed with why.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.ts';
import { createAppWithEveryRoute, type RecordedRoute } from '../helpers/every-route.ts';
import { bearer, buildOrganization, buildUser, type TestUser } from '../helpers/factories.ts';

/** "METHOD url" → why anyone may call the route without an access token. */
const PUBLIC: Record<string, string> = {
  'GET /auth/config': 'the settings the sign-up form needs before anyone signs in',
  'POST /auth/register': 'creates the account',
  'POST /auth/login': 'the credentials are the body',
  'POST /auth/refresh': 'the credential is the body (or the refresh cookie)',
  'POST /auth/invitations/accept': "the credential is the body's invitation token",
  'GET /health': 'for load balancers',
  'GET /metrics': 'operations: guarded by METRICS_TOKEN or its own port, not by user tokens',
  'GET /internal/electric/v1/shape': "the engine's internal route: guarded by INTERNAL_SYNC_SECRET",
  'GET /': "the web app's HTML shell",
  'GET /*': "the web app's static files",
  'GET /index.html': "a file of the web app's build",
};
const DOCS_PREFIX = '/api/docs';
const isPublic = ({ method, url }: RecordedRoute) =>
  url.startsWith(DOCS_PREFIX) || PUBLIC[`${method} ${url}`] !== undefined;

/** A request no route accepts: every path parameter malformed, an unknown query key, a JSON string body. */
function malformed({ method, url }: RecordedRoute) {
  const path = url.replace(/:[A-Za-z_]+/g, 'not-a-uuid');
  const withBody = method !== 'GET' && method !== 'DELETE';
  return {
    method: method as 'GET',
    url: `${path}?not_a_parameter=%00`,
    ...(withBody
      ? { payload: JSON.stringify('not an object'), headers: { 'content-type': 'application/json' } }
      : {}),
  };
}

const errorShape = {
  error: expect.any(String),
  code: expect.any(String),
  details: expect.any(Object),
};

let t: TestApp;
let routes: RecordedRoute[];
let owner: TestUser;
beforeAll(async () => {
  ({ t, routes } = await createAppWithEveryRoute());
  owner = await buildUser(t.db, t.config, await buildOrganization(t.db));
});
afterAll(() => t.close());

describe('authentication before validation', () => {
  it('every route that needs a token answers a malformed request without one 401 MISSING_TOKEN', async () => {
    const guarded = routes.filter((route) => !isPublic(route));
    expect(guarded.length).toBeGreaterThan(50);
    const wrong: string[] = [];
    for (const route of guarded) {
      const response = await t.app.inject(malformed(route));
      const body = response.json();
      const ok = response.statusCode === 401 && body.code === 'MISSING_TOKEN';
      if (!ok || !expect.objectContaining(errorShape).asymmetricMatch(body))
        wrong.push(`${route.method} ${route.url} → ${response.statusCode} ${body.code}`);
    }
    expect(wrong, wrong.join('\n')).toEqual([]);
  });

  it('and with a bad token 401 INVALID_TOKEN, never 400', async () => {
    const wrong: string[] = [];
    for (const route of routes.filter((r) => !isPublic(r))) {
      const request = malformed(route);
      const response = await t.app.inject({
        ...request,
        headers: { ...request.headers, authorization: 'Bearer not.a.token' },
      });
      if (response.statusCode !== 401 || response.json().code !== 'INVALID_TOKEN')
        wrong.push(`${route.method} ${route.url} → ${response.statusCode} ${response.json().code}`);
    }
    expect(wrong, wrong.join('\n')).toEqual([]);
  });

  it('the probes are malformed: with a valid token, each route with a schema refuses them 400', async () => {
    const checked = routes.filter(
      (route) => !isPublic(route) && (route.schema.body !== undefined || route.schema.params !== undefined),
    );
    expect(checked.length).toBeGreaterThan(30);
    const wrong: string[] = [];
    for (const route of checked) {
      const request = malformed(route);
      const response = await t.app.inject({ ...request, headers: { ...request.headers, ...bearer(owner) } });
      if (response.statusCode !== 400) wrong.push(`${route.method} ${route.url} → ${response.statusCode}`);
    }
    expect(wrong, wrong.join('\n')).toEqual([]);
  });

  it('lists no public route that does not exist (the list stays true)', () => {
    for (const key of Object.keys(PUBLIC)) {
      const [method, url] = key.split(' ') as [string, string];
      expect(
        routes.some((route) => route.method === method && route.url === url),
        key,
      ).toBe(true);
    }
  });
});
