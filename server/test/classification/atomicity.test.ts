// A touch is one transaction: the interaction, the control's new touch time and quadrant, the
// classification row and the listeners' work (risk scoring) commit together or not at all.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { onControlsReclassified, removeReclassifiedListener } from '../../src/classification/hooks.ts';
import { buildTenant, call, control, provider, type Tenant } from '../controls/world.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
let a: Tenant;
const failFor = new Set<string>();
beforeAll(async () => {
  t = await createTestApp();
  a = await buildTenant(t);
  onControlsReclassified('test-failure', async (_tx, event) => {
    if (event.controlIds.some((id) => failFor.has(id))) throw new Error('listener failed (simulated bug)');
  });
});
afterAll(async () => {
  removeReclassifiedListener('test-failure');
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
