// The internal route on its own listener (INTERNAL_PORT): the elected leader announces that
// listener's address, a follower forwards shape requests there, and the leader's public port
// does not serve the route at all.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SYNC_PATH } from '../../src/sync/endpoint.ts';
import { INTERNAL_SHAPE_PATH } from '../../src/sync/engine/index.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { TEST_INTERNAL_SYNC_SECRET } from '../helpers/constants.ts';
import { bearer, buildOrganization, buildUser, insertRow, type TestUser } from '../helpers/factories.ts';

const GROUP = { SYNC_ENGINE_GROUP: `internal-port-${process.pid}` };
let leader: TestApp;
let follower: TestApp;
let leaderBase: string;
let internalBase: string;
let followerBase: string;
let alice: TestUser;

type LeaderHealth = { role: string; url?: string | null; forwards_to?: string | null };
const leaderOf = async (base: string) =>
  ((await (await fetch(`${base}/health`)).json()) as { checks: { sync_leader: LeaderHealth } }).checks
    .sync_leader;

async function until(check: () => Promise<boolean>, what: string) {
  for (let attempt = 0; attempt < 400; attempt++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${what} not reached`);
}

beforeAll(async () => {
  leader = await createTestApp({ env: { ...GROUP, INTERNAL_PORT: '0', INTERNAL_HOST: '127.0.0.1' } });
  leaderBase = await leader.app.listen({ port: 0, host: '127.0.0.1' });
  const [internal] = leader.app.sideListeners;
  internalBase = await internal!.app.listen({ port: 0, host: '127.0.0.1' });
  await until(async () => (await leaderOf(leaderBase)).role === 'leader', 'a leader');
  follower = await createTestApp({ env: GROUP });
  followerBase = await follower.app.listen({ port: 0, host: '127.0.0.1' });
  await until(async () => (await leaderOf(followerBase)).forwards_to === internalBase, 'the follower');
  const org = await buildOrganization(leader.db);
  alice = await buildUser(leader.db, leader.config, org);
  await insertRow(leader.db, org.id, 'controls', {
    name: 'Gate',
    control_type: 'physical',
    functional_range: 'narrow',
  });
});
afterAll(async () => {
  await follower?.close();
  await leader?.close();
});

it('the leader announces its internal listener, and the follower forwards there', async () => {
  expect(await leaderOf(leaderBase)).toMatchObject({ role: 'leader', url: internalBase });
  const response = await fetch(`${followerBase}${SYNC_PATH}?table=controls&offset=-1`, {
    headers: bearer(alice),
  });
  expect(response.status).toBe(200);
  expect(await response.text()).toContain('Gate');
});

it("the leader's public port does not serve the internal route", async () => {
  const query = new URLSearchParams({
    table: 'controls',
    where: 'organization_id = $1',
    'params[1]': alice.orgId,
    offset: '-1',
    secret: TEST_INTERNAL_SYNC_SECRET,
  });
  expect((await fetch(`${leaderBase}${INTERNAL_SHAPE_PATH}?${query}`)).status).toBe(404);
  expect((await fetch(`${internalBase}${INTERNAL_SHAPE_PATH}?${query}`)).status).toBe(200);
});
