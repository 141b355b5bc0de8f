// Observability of the controls routes: the request id comes back and is accepted from the
// caller, the duration histogram is labelled by route pattern (not by id), and a statement
// refused by row-level security on a tenant table becomes a 404 and a counted, logged event.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { defineFeature } from '../../src/app.ts';
import { tenantTransaction } from '../../src/db/tenant.ts';
import { allFeatures } from '../../src/features.ts';
import { authOf } from '../../src/http/request-auth.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { bearer } from '../helpers/factories.ts';
import { buildTenant, call, control, type Tenant } from './world.ts';

// A deliberately buggy route: it writes a control for another organisation. RLS must refuse it.
const buggyFeature = defineFeature({ name: 'test-buggy', dependencies: ['identity'] }, async (app, deps) => {
  app.post('/api/test-only/cross-tenant-write', { onRequest: [app.authenticate] }, async (request) => {
    const auth = authOf(request);
    return tenantTransaction(deps.db.appPool, { orgId: auth.orgId, requestId: request.id }, (tx) =>
      tx.query(
        `INSERT INTO controls (organization_id, name, control_type, functional_range) VALUES ($1, 'x', 'physical', 'narrow')`,
        [randomUUID()],
      ),
    );
  });
});

let t: TestApp;
let a: Tenant;
beforeAll(async () => {
  t = await createTestApp({ features: [...allFeatures, buggyFeature] });
  a = await buildTenant(t);
});
afterAll(() => t.close());

it('echoes a valid x-request-id and makes one when none is given', async () => {
  const given = await t.app.inject({
    method: 'GET',
    url: '/api/controls',
    headers: { ...bearer(a.users.viewer), 'x-request-id': 'trace-123' },
  });
  expect(given.headers['x-request-id']).toBe('trace-123');
  const made = await call(t, a.users.viewer, 'GET', '/api/controls');
  expect(made.raw.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
});

it('labels request durations by route pattern and status', async () => {
  const c = await control(t, a);
  await call(t, a.users.viewer, 'GET', `/api/controls/${c.id}`);
  await call(t, a.users.viewer, 'GET', `/api/controls/${randomUUID()}`);
  const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
  expect(metrics).toMatch(
    /http_request_duration_seconds_count\{method="GET",route="\/api\/controls\/:id",status="200"\} \d+/,
  );
  expect(metrics).toMatch(
    /http_request_duration_seconds_count\{method="GET",route="\/api\/controls\/:id",status="404"\} \d+/,
  );
  expect(metrics).not.toContain(c.id);
  expect(metrics).toMatch(/db_pool_connections\{pool="app",state="total"\} \d+/);
  expect(metrics).toMatch(/db_pool_connections\{pool="owner",state="waiting"\} \d+/);
  expect(metrics).toMatch(/db_query_duration_seconds_count\{operation="tenant_tx"\} [1-9]/);
});

it('a row-level security refusal is a 404 for the client, counted in rls_violations_total', async () => {
  const before = (await t.metrics.rlsViolations.get()).values[0]?.value ?? 0;
  const res = await call(t, a.users.owner, 'POST', '/api/test-only/cross-tenant-write', {});
  expect(res.status).toBe(404);
  expect(res.body).toMatchObject({ code: 'NOT_FOUND' });
  expect((await t.metrics.rlsViolations.get()).values[0]?.value).toBe(before + 1);
});
