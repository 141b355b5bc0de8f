// GET /api/providers/control-counts: the providers screen's counts without the whole register
// (issue 15: a large register syncs on demand). Counts per primary provider, only the caller's
// organisation, any role that reads; providers with no control are left out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { buildTenant, call, control, provider, type Tenant } from './world.ts';

let t: TestApp;
let a: Tenant;
let b: Tenant;
beforeAll(async () => {
  t = await createTestApp();
  a = await buildTenant(t);
  b = await buildTenant(t);
});
afterAll(() => t.close());

describe('GET /api/providers/control-counts', () => {
  it('counts the controls each provider is primary for, in the caller’s organisation only', async () => {
    const busy = await provider(t, a);
    const quiet = await provider(t, a);
    await provider(t, a); // none: left out
    for (let i = 0; i < 3; i++) await control(t, a, { primary_provider_id: busy.id });
    await control(t, a, { primary_provider_id: quiet.id });
    await control(t, a); // no provider: not counted
    const other = await provider(t, b);
    await control(t, b, { primary_provider_id: other.id });

    const res = await call(t, a.users.viewer, 'GET', '/api/providers/control-counts');
    expect(res.status).toBe(200);
    const counts = Object.fromEntries(
      (res.body.data as { provider_id: string; controls: number }[]).map((r) => [r.provider_id, r.controls]),
    );
    expect(counts).toEqual({ [busy.id]: 3, [quiet.id]: 1 });

    // A control moved to another provider moves its count.
    const moved = await control(t, a, { primary_provider_id: busy.id });
    await call(t, a.users.admin, 'PATCH', `/api/controls/${moved.id}`, { primary_provider_id: quiet.id });
    const after = await call(t, a.users.viewer, 'GET', '/api/providers/control-counts');
    expect(after.body.data).toEqual(
      expect.arrayContaining([
        { provider_id: busy.id, controls: 3 },
        { provider_id: quiet.id, controls: 2 },
      ]),
    );
  });

  it('needs a signed-in user', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/providers/control-counts' });
    expect(res.statusCode).toBe(401);
    expect(JSON.parse(res.body)).toMatchObject({ code: expect.any(String) });
  });
});
