import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { bearer, buildOrganization, buildUser } from '../helpers/factories.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('health', () => {
  it('reports the database as ok', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/health' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ status: 'ok', checks: { database: 'ok' } });
  });

  it('answers unknown routes with the error shape', async () => {
    const org = await buildOrganization(t.db);
    const user = await buildUser(t.db, t.config, org);
    const response = await t.app.inject({ method: 'GET', url: '/api/nothing-here', headers: bearer(user) });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'NOT_FOUND' });
  });
});
