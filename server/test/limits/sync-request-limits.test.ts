// Issue 10, attack 3: one user floods the sync endpoint with distinct shapes (`name <> 'kN'`)
// and ignores Retry-After. The request rate limits refuse the flood with 429 RATE_LIMITED and
// Retry-After once a bucket is empty — from memory after the first refusal, without a database
// round trip — while another organisation syncs and reads as before. The buckets live in
// PostgreSQL, so another process's limiter on the same database counts against the same ones.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { limitKey, PostgresLimitStore } from '../../src/auth/limit-store.ts';
import { systemClock } from '../../src/clock.ts';
import { SYNC_PATH } from '../../src/sync/endpoint.ts';
import { SyncRequestLimits } from '../../src/sync/request-limits.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { bearer, buildOrganization, buildUser, insertRow, type TestUser } from '../helpers/factories.ts';
import { control } from '../sync/endpoint-world.ts';

let t: TestApp;
let base: string;

beforeAll(async () => {
  t = await createTestApp({
    env: {
      SYNC_INITIAL_SYNCS_PER_USER_PER_MINUTE: '5',
      SYNC_INITIAL_SYNCS_PER_ORG_PER_MINUTE: '8',
      SYNC_REQUESTS_PER_USER_PER_MINUTE: '30',
    },
  });
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
}, 60_000);

afterAll(async () => {
  await t?.close();
});

const syncUrl = (params: Record<string, string>) =>
  `${base}${SYNC_PATH}?${new URLSearchParams({ table: 'controls', offset: '-1', ...params })}`;

async function shape(user: TestUser, where: string) {
  const response = await fetch(syncUrl({ where }), { headers: bearer(user) });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: await response.text(),
  };
}

async function newOrganisationUser(name: string): Promise<TestUser> {
  const user = await buildUser(t.db, t.config, await buildOrganization(t.db, name));
  await insertRow(t.db, user.orgId, 'controls', control(`${name} control`));
  return user;
}

describe('attack 3: a flood of distinct shapes', () => {
  it('is refused with 429 RATE_LIMITED and Retry-After past the user budget; another organisation is served', async () => {
    const attacker = await newOrganisationUser('Flooder');
    const victim = await newOrganisationUser('Bystander');

    const answers = [];
    for (let n = 0; n < 20; n++) answers.push(await shape(attacker, `name <> 'k${n}'`));
    expect(answers.slice(0, 5).map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    for (const answer of answers.slice(5)) {
      expect(answer.status).toBe(429);
      expect(answer.retryAfter).toMatch(/^[1-9]\d*$/);
      const body = JSON.parse(answer.body);
      expect(body).toMatchObject({
        code: 'RATE_LIMITED',
        details: { limit: 'user_initial_syncs', retry_after: Number(answer.retryAfter) },
      });
      expect(body.error).toMatch(/new live sync subscriptions from your account.*Try again in \d+ seconds/);
    }

    // The victim organisation's shapes and reads are untouched by the attacker's buckets.
    expect((await shape(victim, `name <> 'x'`)).status).toBe(200);
    expect((await fetch(`${base}/api/controls`, { headers: bearer(victim) })).status).toBe(200);

    const metric = await t.metrics.registry.getSingleMetricAsString('sync_shapes_refused_total');
    expect(metric).toMatch(/reason="user_initial_syncs"} 15/);
  });

  it('refuses from memory once refused: emptying the stored buckets does not let the flood through', async () => {
    const attacker = await newOrganisationUser('Memory flooder');
    for (let n = 0; n < 5; n++) expect((await shape(attacker, `name <> 'm${n}'`)).status).toBe(200);
    expect((await shape(attacker, `name <> 'm5'`)).status).toBe(429);
    // Were the refusals read from the database, a fresh bucket would now admit the next one.
    const keys = [
      limitKey('sync-user_initial_syncs', attacker.id),
      limitKey('sync-org_initial_syncs', attacker.orgId),
    ];
    const { rowCount } = await t.db.ownerPool.query('DELETE FROM rate_limit_state WHERE key = ANY($1)', [
      keys,
    ]);
    expect(rowCount).toBe(2);
    for (let n = 6; n < 10; n++) expect((await shape(attacker, `name <> 'm${n}'`)).status).toBe(429);
  });

  it('counts every request per user, live and catch-up requests too', async () => {
    const user = await newOrganisationUser('Chatty');
    const first = await fetch(syncUrl({ where: `name <> 'c'` }), { headers: bearer(user) });
    expect(first.status).toBe(200);
    await first.arrayBuffer();
    const handle = first.headers.get('electric-handle') as string;
    const statuses: number[] = [];
    for (let i = 0; i < 35; i++) {
      const response = await fetch(syncUrl({ where: `name <> 'c'`, offset: '0_0', handle }), {
        headers: bearer(user),
      });
      await response.arrayBuffer();
      statuses.push(response.status);
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(29); // 30 in all, the first included
    expect(statuses.slice(29)).toEqual([429, 429, 429, 429, 429, 429]);
  });

  it('is shared by processes: another limiter on the same database spends the same buckets', async () => {
    const user = await newOrganisationUser('Two processes');
    const store = new PostgresLimitStore(t.db.appPool, systemClock);
    const otherProcess = new SyncRequestLimits(store, systemClock, t.config.syncRequestLimits);
    for (let n = 0; n < 5; n++) await otherProcess.take({ userId: user.id, orgId: user.orgId }, true);
    const refused = await shape(user, `name <> 'p'`);
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body).details.limit).toBe('user_initial_syncs');
  });

  it('counts an organisation across its users', async () => {
    const first = await newOrganisationUser('Many members');
    const second = await buildUser(t.db, t.config, { id: first.orgId });
    for (let n = 0; n < 5; n++) expect((await shape(first, `name <> 'o${n}'`)).status).toBe(200);
    for (let n = 5; n < 8; n++) expect((await shape(second, `name <> 'o${n}'`)).status).toBe(200);
    const refused = await shape(second, `name <> 'o8'`);
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body).details.limit).toBe('org_initial_syncs');
  });
});
