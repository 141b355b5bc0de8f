// /api/slas: everyone reads, admins manage; ?breached=true; isolation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { buildWorld, call, insertControl, insertProvider, type World } from './world.ts';

let t: TestApp;
let w: World;
let other: World;
let control: string;
let provider: string;
beforeAll(async () => {
  t = await createTestApp({ clock: new ManualClock(new Date('2026-06-01T12:00:00Z')) });
  [w, other] = await Promise.all([buildWorld(t), buildWorld(t)]);
  control = await insertControl(t, w.orgId, { quadrant: 'service' });
  provider = await insertProvider(t, w.orgId, { provider_type: 'contractor' });
});
afterAll(() => t.close());

const sla = (world: World, fields: Record<string, unknown> = {}, ids = { control, provider }) =>
  call(t, world.admin, 'POST', '/api/slas', {
    control_id: ids.control,
    provider_id: ids.provider,
    service_name: 'Fire alarm monitoring',
    uptime_percentage: 99.5,
    start_date: '2026-01-01',
    ...fields,
  });

describe('service level agreements', () => {
  it('lets admins and owners manage SLAs; members and viewers read', async () => {
    const created = await sla(w, { performance_current: 99.9 });
    expect(created.statusCode).toBe(201);
    const id = created.json().data.id;
    expect(created.json().data).toMatchObject({ uptime_percentage: 99.5, breaches_count: 0 });
    for (const role of ['viewer', 'member'] as const) {
      expect((await call(t, w[role], 'GET', `/api/slas/${id}`)).statusCode).toBe(200);
      expect((await call(t, w[role], 'PATCH', `/api/slas/${id}`, { breaches_count: 3 })).statusCode).toBe(
        403,
      );
      expect((await call(t, w[role], 'DELETE', `/api/slas/${id}`)).statusCode).toBe(403);
    }
    const patched = await call(t, w.owner, 'PATCH', `/api/slas/${id}`, {
      performance_current: 97,
      breaches_count: 2,
    });
    expect(patched.json().data).toMatchObject({ performance_current: 97, breaches_count: 2 });
    expect((await call(t, w.admin, 'DELETE', `/api/slas/${id}`)).statusCode).toBe(200);
  });

  it('lists breached SLAs: performance_current below uptime_percentage', async () => {
    const world = await buildWorld(t);
    const ids = {
      control: await insertControl(t, world.orgId, { quadrant: 'service' }),
      provider: await insertProvider(t, world.orgId),
    };
    const below = (await sla(world, { performance_current: 98.2 }, ids)).json().data.id;
    await sla(world, { performance_current: 99.5 }, ids); // exactly at target: not breached
    await sla(world, {}, ids); // no measurement yet: not breached
    const breached = await call(t, world.viewer, 'GET', '/api/slas?breached=true');
    expect(breached.json().data.map((s: { id: string }) => s.id)).toEqual([below]);
    expect((await call(t, world.viewer, 'GET', '/api/slas?breached=false')).json().data).toHaveLength(2);
    expect((await call(t, world.viewer, 'GET', '/api/slas')).json().data).toHaveLength(3);
  });

  it('keeps organisations apart', async () => {
    const theirControl = await insertControl(t, other.orgId);
    const theirProvider = await insertProvider(t, other.orgId);
    const theirs = (await sla(other, {}, { control: theirControl, provider: theirProvider })).json().data.id;
    expect((await call(t, w.viewer, 'GET', `/api/slas/${theirs}`)).statusCode).toBe(404);
    expect((await call(t, w.owner, 'PATCH', `/api/slas/${theirs}`, { breaches_count: 1 })).statusCode).toBe(
      404,
    );
    expect((await call(t, w.owner, 'DELETE', `/api/slas/${theirs}`)).statusCode).toBe(404);
    expect((await sla(w, {}, { control, provider: theirProvider })).statusCode).toBe(404);
    expect((await sla(w, {}, { control: theirControl, provider })).statusCode).toBe(404);
  });

  it('refuses bad input with 400', async () => {
    for (const fields of [
      { uptime_percentage: 101 },
      { performance_current: -1 },
      { start_date: '2026-06-01', end_date: '2026-05-01' },
      { service_name: '   ' },
      { breaches_count: 1.5 },
      { organization_id: other.orgId },
    ]) {
      expect((await sla(w, fields)).statusCode, JSON.stringify(fields)).toBe(400);
    }
    const id = (await sla(w)).json().data.id;
    expect((await call(t, w.admin, 'PATCH', `/api/slas/${id}`, { end_date: '2025-01-01' })).statusCode).toBe(
      400,
    );
    expect((await call(t, w.admin, 'PATCH', `/api/slas/${id}`, { control_id: control })).statusCode).toBe(
      400,
    );
    expect((await call(t, w.viewer, 'GET', '/api/slas?breached=1')).statusCode).toBe(400);
  });
});
