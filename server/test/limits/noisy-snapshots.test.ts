// Issue 10, attack 2: one organisation imports 190 controls of 5 kB, then asks for twenty costly
// shapes at once (`description LIKE` the 2,500-character pattern — refused by the where
// limits — and one just under the pattern limit, which PostgreSQL still matches in
// O(text × pattern), and twenty distinct shapes over the same megabyte). Before admission control the snapshots took the whole pool and another
// organisation got no answer in 60 s. Now: the victim's reads stay within a small multiple of
// its own baseline, its own shape is admitted, every attacker request gets an answer (200, a 400
// from the where limits, or 503/429 with Retry-After — never a hang or a 500), and no write is lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYNC_PATH } from '../../src/sync/endpoint.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { bearer, buildOrganization, buildUser, insertRow, type TestUser } from '../helpers/factories.ts';
import { control } from '../sync/endpoint-world.ts';

let t: TestApp;
let base: string;
let attacker: TestUser;
let victim: TestUser;

beforeAll(async () => {
  // The test pool has 5 connections: snapshots get 2 of them (production: 4 of 20), and a
  // short snapshot timeout and queue keep the run short whatever the where costs.
  t = await createTestApp({
    env: {
      SYNC_SNAPSHOT_CONNECTIONS: '2',
      SYNC_SNAPSHOT_TIMEOUT_MS: '3000',
      SYNC_SNAPSHOT_QUEUE_PER_ORG: '10',
    },
  });
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  attacker = await buildUser(t.db, t.config, await buildOrganization(t.db, 'Attacker'));
  victim = await buildUser(t.db, t.config, await buildOrganization(t.db, 'Victim'));
  for (const name of ['Fire door', 'Sprinkler', 'Badge reader'])
    await insertRow(t.db, victim.orgId, 'controls', control(name));
}, 60_000);

afterAll(async () => {
  await t?.close();
});

const syncUrl = (params: Record<string, string>) =>
  `${base}${SYNC_PATH}?${new URLSearchParams({ table: 'controls', offset: '-1', ...params })}`;

async function timedRead(user: TestUser): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${base}/api/controls`, { headers: bearer(user) });
  expect(response.status).toBe(200);
  await response.arrayBuffer();
  return performance.now() - started;
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

describe('attack 2: concurrent costly snapshots from one organisation', () => {
  it('leaves another organisation served, answers every attacker request, and loses no write', async () => {
    const description = 'a'.repeat(5000);
    const csv = [
      'name,control_type,functional_range,description',
      ...Array.from({ length: 190 }, (_, i) => `Bulk ${i},technical,narrow,${description}`),
    ].join('\n');
    const imported = await fetch(`${base}/api/controls/import`, {
      method: 'POST',
      headers: { ...bearer(attacker), 'content-type': 'text/csv' },
      body: csv,
    });
    expect(imported.status).toBe(201);
    // Start replication and warm the victim's path before measuring its baseline.
    expect((await fetch(syncUrl({ where: `name = 'warm-up'` }), { headers: bearer(victim) })).status).toBe(
      200,
    );
    const baseline: number[] = [];
    for (let i = 0; i < 7; i++) baseline.push(await timedRead(victim));

    const pattern = (n: number) => `%${'a'.repeat(n % 2 === 0 ? 2500 : 480)}b${n}%`;
    const attack = [
      ...Array.from({ length: 20 }, (_, n) =>
        syncUrl({ where: 'description LIKE $1', 'params[1]': pattern(n) }),
      ),
      ...Array.from({ length: 20 }, (_, n) => syncUrl({ where: `name <> 'k${n}'` })),
    ].map((url) =>
      fetch(url, { headers: bearer(attacker), signal: AbortSignal.timeout(60_000) }).then(
        async (response) => ({
          status: response.status,
          retryAfter: response.headers.get('retry-after'),
          body: await response.text(),
        }),
      ),
    );

    // While the attack runs: the victim reads, opens its own shape, and writes.
    // Measure once the burst has been taken in (the refusals answered, the queue filled): the
    // property is about the attack's duration, not the event loop's first milliseconds.
    const gauge = async (name: string) =>
      Number(
        new RegExp(`${name} (\\d+)`).exec(await t.metrics.registry.getSingleMetricAsString(name))?.[1] ?? 0,
      );
    await expect
      .poll(
        async () =>
          (await gauge('sync_snapshots_refused_total')) + (await gauge('sync_snapshot_queue_depth')),
        {
          timeout: 30_000,
        },
      )
      .toBeGreaterThan(0);
    const during: number[] = [];
    for (let i = 0; i < 7; i++) during.push(await timedRead(victim));
    const victimShape = await fetch(syncUrl({ where: `name <> 'none'` }), { headers: bearer(victim) });
    expect(victimShape.status).toBe(200);
    expect(((await victimShape.json()) as unknown[]).length).toBe(4); // 3 rows + snapshot-end
    const written = await fetch(`${base}/api/controls`, {
      method: 'POST',
      headers: { ...bearer(victim), 'content-type': 'application/json' },
      body: JSON.stringify(control('Written during the attack')),
    });
    expect(written.status).toBe(201);
    const attackerWrite = await fetch(`${base}/api/controls`, {
      method: 'POST',
      headers: { ...bearer(attacker), 'content-type': 'application/json' },
      body: JSON.stringify(control('Attacker write')),
    });
    expect(attackerWrite.status).toBe(201);

    const answers = await Promise.all(attack);
    for (const answer of answers) {
      expect([200, 400, 429, 503], answer.body.slice(0, 200)).toContain(answer.status);
      if (answer.status === 429 || answer.status === 503) {
        expect(answer.retryAfter).toMatch(/^\d+$/);
        expect(JSON.parse(answer.body)).toMatchObject({ code: 'OVERLOADED' });
      }
    }
    // The victim's read time: the same order as its baseline (the bug was no answer in 60 s).
    expect(median(during)).toBeLessThanOrEqual(10 * median(baseline) + 50);
    expect(Math.max(...during)).toBeLessThanOrEqual(10 * Math.max(...baseline) + 250);

    const { rows } = await t.db.ownerPool.query(
      `SELECT organization_id, count(*)::int AS n FROM controls WHERE organization_id = ANY($1) GROUP BY 1`,
      [[victim.orgId, attacker.orgId]],
    );
    const counts = Object.fromEntries(rows.map((row) => [row.organization_id, row.n]));
    expect(counts[victim.orgId]).toBe(4);
    expect(counts[attacker.orgId]).toBe(191);
    // The pool is whole again once the attack is answered.
    await expect.poll(() => t.db.appPool.totalCount - t.db.appPool.idleCount).toBe(0);
    console.info(
      `attack 2: victim read median ${median(baseline).toFixed(1)} ms alone, ${median(during).toFixed(1)} ms during; ` +
        `attacker answers ${JSON.stringify(countBy(answers.map((a) => a.status)))}`,
    );
  }, 120_000);
});

function countBy(values: number[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}
