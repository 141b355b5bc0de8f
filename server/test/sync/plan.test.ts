// GET /api/sync/plan: organisations with at least SYNC_ON_DEMAND_CONTROLS controls sync their
// register on demand, the others whole; each organisation's own controls are counted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYNC_PLAN_PATH } from '../../src/sync/plan.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { buildOrganization, buildUser, insertRow, type TestUser } from '../helpers/factories.ts';
import { control } from './endpoint-world.ts';

let t: TestApp;
let big: TestUser;
let small: TestUser;
beforeAll(async () => {
  t = await createTestApp({ env: { SYNC_ON_DEMAND_CONTROLS: '3' } });
  const [orgBig, orgSmall] = [await buildOrganization(t.db, 'Big'), await buildOrganization(t.db, 'Small')];
  big = await buildUser(t.db, t.config, orgBig);
  small = await buildUser(t.db, t.config, orgSmall);
  for (const name of ['a', 'b', 'c']) await insertRow(t.db, orgBig.id, 'controls', control(name));
  for (const name of ['d', 'e']) await insertRow(t.db, orgSmall.id, 'controls', control(name));
});
afterAll(() => t?.close());

const plan = (token?: string) =>
  t.app.inject({
    method: 'GET',
    url: SYNC_PLAN_PATH,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });

describe('sync plan', () => {
  it('is on demand from the threshold on, counting the caller’s organisation only', async () => {
    expect((await plan(big.token)).json()).toEqual({ data: { controls: 'on_demand', on_demand_from: 3 } });
    // 5 controls exist in all, but only 2 are Small's.
    expect((await plan(small.token)).json()).toEqual({ data: { controls: 'eager', on_demand_from: 3 } });
  });

  it('needs a token', async () => {
    const response = await plan();
    expect(response.statusCode).toBe(401);
    expect(response.json().code).toBe('MISSING_TOKEN');
  });
});
