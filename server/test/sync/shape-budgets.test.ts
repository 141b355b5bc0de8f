// Attack 3 of issue 10 through GET /api/electric/sync (built-in engine): one account asking for
// hundreds of distinct shapes (`name <> 'kN'`). Past a cap the answer is 429 TOO_MANY_SHAPES with
// a message and Retry-After; the bytes of all shape logs stay within the global budget by
// evicting the least recently used logs (their clients get 409); another organisation keeps
// syncing throughout. Each budget (per user, per organisation in shapes and in bytes) is tried.
import { describe, expect, it } from 'vitest';
import { SYNC_PATH } from '../../src/sync/endpoint.ts';
import { bearer, buildUser, insertRow, type TestUser } from '../helpers/factories.ts';
import { buildEndpointWorld, control, type EndpointWorld, shapeStream } from './endpoint-world.ts';

const DESCRIPTION = 'x'.repeat(300);

async function shapeRequest(w: EndpointWorld, user: TestUser, where: string, extra = '') {
  const query = `table=controls&offset=-1&where=${encodeURIComponent(where)}${extra}`;
  return fetch(`${w.base}${SYNC_PATH}?${query}`, {
    headers: bearer(user),
    signal: AbortSignal.timeout(20_000),
  });
}

async function metric(w: EndpointWorld, line: RegExp): Promise<number> {
  const text = await w.t.metrics.registry.metrics();
  const match = text.split('\n').find((l) => line.test(l));
  return match ? Number(match.split(' ').at(-1)) : 0;
}

async function expectTooManyShapes(response: Response, limit: string, message: RegExp) {
  expect(response.status).toBe(429);
  expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
  const body = await response.json();
  expect(body).toMatchObject({ code: 'TOO_MANY_SHAPES', details: { limit } });
  expect(body.error).toMatch(message);
}

/** Org A gets `count` controls with 300-character descriptions: each shape of it holds a few kB. */
async function fillOrgA(w: EndpointWorld, count: number) {
  for (let i = 0; i < count; i++)
    await insertRow(w.t.db, w.orgA.id, 'controls', control(`bulk ${i}`, { description: DESCRIPTION }));
}

describe('shape budgets (issue 10, attack 3)', () => {
  it('refuses one user past their shape cap with 429, and another organisation keeps syncing', async () => {
    // 300 new shapes in seconds is past the request rate limits (they are checked first and
    // tested in test/limits/sync-request-limits.test.ts): lifted here to reach the shape cap.
    const w = await buildEndpointWorld({
      SYNC_REQUESTS_PER_USER_PER_MINUTE: '100000',
      SYNC_INITIAL_SYNCS_PER_USER_PER_MINUTE: '100000',
    });
    try {
      await fillOrgA(w, 16);
      const victim = shapeStream(w.base, w.bob, { table: 'controls' });
      await victim.shape.rows;
      const statuses: number[] = [];
      let refusal: Response | undefined;
      for (let n = 0; n < 300; n++) {
        const response = await shapeRequest(w, w.alice, `name <> 'k${n}'`);
        statuses.push(response.status);
        if (response.status === 429) refusal ??= response;
        else await response.arrayBuffer();
      }
      expect(statuses.slice(0, 100).every((s) => s === 200)).toBe(true);
      expect(statuses.slice(100).every((s) => s === 429)).toBe(true);
      await expectTooManyShapes(refusal!, 'user_shapes', /syncing 100 different shapes.*\(100\)/);
      // A shape the user already has is still served.
      expect((await shapeRequest(w, w.alice, "name <> 'k7'")).status).toBe(200);
      expect(await metric(w, /^sync_shapes_refused_total\{reason="user_shapes"\}/)).toBe(200);
      const bytes = await metric(w, /^sync_shape_log_bytes /);
      expect(bytes).toBeGreaterThan(100 * 16 * DESCRIPTION.length);
      expect(bytes).toBeLessThan(w.t.config.syncShapeBudgets.maxLogBytes);

      // The victim's live shape still gets its organisation's new rows.
      await insertRow(w.t.db, w.orgB.id, 'controls', control('After the attack B'));
      await expect
        .poll(async () => victim.shape.currentRows.map((r) => r.name), { timeout: 15_000 })
        .toContain('After the attack B');
      victim.stop();
    } finally {
      await w.t.close();
    }
  }, 120_000);

  it('keeps all shape logs within the byte budget by evicting the least recently used (409 to its client)', async () => {
    const budget = 120_000;
    const w = await buildEndpointWorld({ SYNC_MAX_LOG_BYTES: String(budget) });
    try {
      await fillOrgA(w, 16);
      const victim = shapeStream(w.base, w.bob, { table: 'controls' });
      await victim.shape.rows;
      const first = await shapeRequest(w, w.alice, "name <> 'k0'");
      expect(first.status).toBe(200);
      const handle = first.headers.get('electric-handle')!;
      const offset = first.headers.get('electric-offset')!;
      await first.arrayBuffer();
      let largest = 0;
      for (let n = 1; n < 60; n++) {
        const response = await shapeRequest(w, w.alice, `name <> 'k${n}'`);
        expect(response.status).toBe(200);
        largest = Math.max(largest, (await response.text()).length);
        expect(await metric(w, /^sync_shape_log_bytes /)).toBeLessThanOrEqual(budget + largest);
      }
      expect(await metric(w, /^sync_shape_logs_evicted_total\{reason="budget"\}/)).toBeGreaterThan(0);
      // The first shape was the least recently used: its client must refetch.
      const back = await fetch(
        `${w.base}${SYNC_PATH}?table=controls&where=${encodeURIComponent("name <> 'k0'")}&offset=${offset}&handle=${handle}`,
        { headers: bearer(w.alice) },
      );
      expect(back.status).toBe(409);
      // The victim, syncing live all along, kept its log and gets its new rows.
      await insertRow(w.t.db, w.orgB.id, 'controls', control('Live through eviction B'));
      await expect
        .poll(async () => victim.shape.currentRows.map((r) => r.name), { timeout: 15_000 })
        .toContain('Live through eviction B');
      victim.stop();
    } finally {
      await w.t.close();
    }
  });

  it('refuses an organisation past its shape cap, whichever member asks', async () => {
    const w = await buildEndpointWorld({ SYNC_MAX_SHAPES_PER_ORG: '5' });
    try {
      const carol = await buildUser(w.t.db, w.t.config, w.orgA);
      for (let n = 0; n < 3; n++)
        expect((await shapeRequest(w, w.alice, `name <> 'k${n}'`)).status).toBe(200);
      for (let n = 3; n < 5; n++) expect((await shapeRequest(w, carol, `name <> 'k${n}'`)).status).toBe(200);
      await expectTooManyShapes(
        await shapeRequest(w, carol, "name <> 'k5'"),
        'org_shapes',
        /organisation is syncing 5 different shapes.*\(5\)/,
      );
      // Shapes already held are shared and served; another organisation is not affected.
      expect((await shapeRequest(w, carol, "name <> 'k0'")).status).toBe(200);
      expect((await shapeRequest(w, w.bob, "name <> 'k5'")).status).toBe(200);
      expect(await metric(w, /^sync_shapes_refused_total\{reason="org_shapes"\}/)).toBe(1);
    } finally {
      await w.t.close();
    }
  });

  it("refuses an organisation's new shapes once its logs hold its byte budget", async () => {
    const w = await buildEndpointWorld({ SYNC_MAX_ORG_LOG_BYTES: '10000' });
    try {
      await fillOrgA(w, 16);
      expect((await shapeRequest(w, w.alice, "name <> 'k0'")).status).toBe(200);
      await expectTooManyShapes(
        await shapeRequest(w, w.alice, "name <> 'k1'"),
        'org_bytes',
        /organisation's synced shapes hold [\d,]+ bytes, the most one organisation may hold at once \(10,000 bytes\)/,
      );
      expect((await shapeRequest(w, w.bob, "name <> 'k1'")).status).toBe(200);
      expect(await metric(w, /^sync_shapes_refused_total\{reason="org_bytes"\}/)).toBe(1);
    } finally {
      await w.t.close();
    }
  });
});
