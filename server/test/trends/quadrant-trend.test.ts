// Quadrant counts over time (GET /api/trends/quadrants), derived from the classification
// history: controls created, touched and aged through the real routes and the sweep with a
// ManualClock, and each day's counts checked against where each control was at that day's end.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { buildTenant, call, control, type Json, provider, type Tenant, touch } from '../controls/world.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

const START = new Date('2026-03-01T09:00:00Z');
const clock = new ManualClock(START);
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ clock });
});
afterAll(() => t.close());

const trend = async (tenant: Tenant, days: number) => {
  const res = await call(t, tenant.users.viewer, 'GET', `/api/trends/quadrants?days=${days}`);
  expect(res.status).toBe(200);
  return res.body.data as Json[];
};

describe('quadrant counts over time', () => {
  it('counts each control in the quadrant it was in at the end of each day', async () => {
    clock.set(START);
    const tenant = await buildTenant(t);
    const other = await buildTenant(t);
    const me = await provider(t, tenant, { name: 'Me', provider_type: 'user', is_user_themselves: true });
    // Day 0: a control of our own, never touched: Specialist (close, not recent).
    const guard = await control(t, tenant, { name: 'Guard', primary_provider_id: me.id });
    await control(t, other, { name: 'Not ours' });
    // Day 1: a control with no provider (Remote), never touched: Strange.
    clock.advanceDays(1);
    await control(t, tenant, { name: 'Remote thing' });
    // Day 3 ("yesterday" on day 4): the guard is touched and moves to Self.
    clock.advanceDays(2);
    await touch(t, tenant.users.member, guard.id, { interaction_type: 'inspect' });
    // Day 3 as well: a control created and touched the same day counts only where it ended.
    const boots = await control(t, tenant, { name: 'Boots', primary_provider_id: me.id });
    await touch(t, tenant.users.member, boots.id, { interaction_type: 'use' });
    clock.advanceDays(1);

    const series = await trend(tenant, 6);
    expect(series).toEqual([
      { day: '2026-02-28', self: 0, specialist: 0, service: 0, strange: 0 },
      { day: '2026-03-01', self: 0, specialist: 1, service: 0, strange: 0 },
      { day: '2026-03-02', self: 0, specialist: 1, service: 0, strange: 1 },
      { day: '2026-03-03', self: 0, specialist: 1, service: 0, strange: 1 },
      { day: '2026-03-04', self: 2, specialist: 0, service: 0, strange: 1 },
      { day: '2026-03-05', self: 2, specialist: 0, service: 0, strange: 1 },
    ]);
    // A shorter window starts from the counts already reached, not from zero.
    expect(await trend(tenant, 2)).toEqual(series.slice(-2));
    // The other organisation sees only its own control.
    expect((await trend(other, 1))[0]).toEqual({
      day: '2026-03-05',
      self: 0,
      specialist: 0,
      service: 0,
      strange: 1,
    });
  });

  it('follows the sweep: a control that ages out of Recent moves on the day the sweep runs', async () => {
    clock.set(START);
    const tenant = await buildTenant(t);
    const me = await provider(t, tenant, { name: 'Me', provider_type: 'user', is_user_themselves: true });
    const harness = await control(t, tenant, { name: 'Harness', primary_provider_id: me.id });
    await touch(t, tenant.users.member, harness.id, { interaction_type: 'inspect' });
    clock.advanceDays(31); // past the default 30-day Recent threshold
    await t.app.runSweep({ only: [tenant.org.id] });
    const series = await trend(tenant, 3);
    expect(series.map((day) => [day.day, day.self, day.specialist])).toEqual([
      ['2026-03-30', 1, 0],
      ['2026-03-31', 1, 0],
      ['2026-04-01', 0, 1],
    ]);
  });

  it('answers bad input with 400 and no token with 401', async () => {
    const tenant = await buildTenant(t);
    for (const query of ['days=0', 'days=367', 'days=abc', 'days=1.5', 'other=1']) {
      const res = await call(t, tenant.users.viewer, 'GET', `/api/trends/quadrants?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.code).toBe('VALIDATION_ERROR');
    }
    expect((await call(t, undefined, 'GET', '/api/trends/quadrants')).status).toBe(401);
    expect((await trend(tenant, 90)).length).toBe(90);
  });
});
