// A change and the listeners of its events are one transaction: the interaction, the control's
// new touch time and quadrant, the classification row and the listeners' work (risk scoring)
// commit together or not at all — and so do an organisation's sweep and its listeners.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { defineFeature } from '../../src/app.ts';
import { ManualClock } from '../../src/clock.ts';
import { allFeatures } from '../../src/features.ts';
import { buildTenant, call, control, provider, type Tenant, touch } from '../controls/world.ts';
import { createTestApp, sweepUntilRun, type TestApp } from '../helpers/app.ts';

const clock = new ManualClock(new Date('2026-03-01T09:00:00Z'));
let t: TestApp;
let a: Tenant;
const failFor = new Set<string>();
let failSweeps = false;
// Subscribed on this app's own bus: no other app (or test file) hears it, nothing to undo.
const failingListeners = defineFeature({ name: 'test-failing-listeners' }, async (_app, deps) => {
  deps.events.on('controls.reclassified', async (_tx, event) => {
    if (event.controlIds.some((id) => failFor.has(id))) throw new Error('listener failed (simulated bug)');
  });
  deps.events.on('organization.swept', async () => {
    if (failSweeps) throw new Error('sweep listener failed (simulated bug)');
  });
});
beforeAll(async () => {
  t = await createTestApp({ clock, features: [...allFeatures, failingListeners] });
  a = await buildTenant(t);
});
afterAll(async () => {
  await t.close();
});

it('a failing listener rolls the whole touch back', async () => {
  const me = await provider(t, a, { is_user_themselves: true, provider_type: 'user' });
  const c = await control(t, a, { primary_provider_id: me.id });
  failFor.add(c.id);
  const res = await call(t, a.users.member, 'POST', `/api/controls/${c.id}/interactions`, {
    interaction_type: 'use',
  });
  expect(res.status).toBe(500);
  expect(res.body).toEqual({ error: expect.any(String), code: 'INTERNAL_ERROR', details: {} });
  const after = (await call(t, a.users.viewer, 'GET', `/api/controls/${c.id}`)).body.data;
  expect(after).toMatchObject({ last_touched_at: null, current_quadrant: 'specialist' });
  expect((await call(t, a.users.viewer, 'GET', `/api/controls/${c.id}/interactions`)).body.data).toEqual([]);
  expect(
    (await call(t, a.users.viewer, 'GET', `/api/controls/${c.id}/classifications`)).body.data,
  ).toHaveLength(1);

  failFor.delete(c.id);
  const ok = await call(t, a.users.member, 'POST', `/api/controls/${c.id}/interactions`, {
    interaction_type: 'use',
  });
  expect(ok.status).toBe(201);
  expect(ok.body.control.current_quadrant).toBe('self');
});

it("a failing sweep listener rolls that organisation's sweep back; the next round does it", async () => {
  const b = await buildTenant(t);
  const me = await provider(t, b, { is_user_themselves: true, provider_type: 'user' });
  const c = await control(t, b, { primary_provider_id: me.id });
  await touch(t, b.users.member, c.id);
  clock.advanceDays(31);
  failSweeps = true;
  expect(await sweepUntilRun(t.app, b.org.id)).toMatchObject({ skipped: false, moved: 0, failed: 1 });
  const stuck = (await call(t, b.users.viewer, 'GET', `/api/controls/${c.id}`)).body.data;
  expect(stuck.current_quadrant).toBe('self');
  expect(
    (await call(t, b.users.viewer, 'GET', `/api/controls/${c.id}/classifications`)).body.data,
  ).toHaveLength(2);

  failSweeps = false;
  expect(await sweepUntilRun(t.app, b.org.id)).toMatchObject({ skipped: false, moved: 1, failed: 0 });
  const moved = (await call(t, b.users.viewer, 'GET', `/api/controls/${c.id}`)).body.data;
  expect(moved.current_quadrant).toBe('specialist');
});
