// Snapshot admission: a snapshot past SYNC_SNAPSHOT_TIMEOUT_MS answers 503 OVERLOADED and frees
// its connection; past the queue's bound a shape is refused at once with Retry-After, and the
// official client retries it with backoff until it gets its rows. The controls table is held by
// an exclusive lock to make snapshots slow on demand (no test-only code path in the server).
import { type Row, Shape, ShapeStream } from '@electric-sql/client';
import { afterEach, describe, expect, it } from 'vitest';
import { SYNC_PATH } from '../../src/sync/endpoint.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { buildOrganization, buildUser, insertRow, type TestUser } from '../helpers/factories.ts';
import { control } from '../sync/endpoint-world.ts';

let t: TestApp | undefined;
let unlock: (() => Promise<void>) | undefined;

afterEach(async () => {
  await unlock?.();
  unlock = undefined;
  await t?.close();
  t = undefined;
});

async function world(env: Record<string, string>) {
  t = await createTestApp({ env });
  const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  const org = await buildOrganization(t.db);
  const user = await buildUser(t.db, t.config, org);
  for (const name of ['Fire door', 'Sprinkler']) await insertRow(t.db, org.id, 'controls', control(name));
  // Start replication first: creating its slot waits for open transactions, such as the lock's.
  expect((await get(shapeUrl(base, `name = 'warm-up'`), user)).status).toBe(200);
  return { t, base, user };
}

/** Holds an exclusive lock on the controls table until the returned function is called. */
async function lockControls(app: TestApp): Promise<() => Promise<void>> {
  const owner = await app.db.ownerPool.connect();
  await owner.query('BEGIN');
  await owner.query('LOCK TABLE controls IN ACCESS EXCLUSIVE MODE');
  let released = false;
  unlock = async () => {
    if (released) return;
    released = true;
    await owner.query('ROLLBACK');
    owner.release();
  };
  return unlock;
}

const shapeUrl = (base: string, where?: string) =>
  `${base}${SYNC_PATH}?table=controls&offset=-1${where ? `&where=${encodeURIComponent(where)}` : ''}`;
const get = (url: string, user: TestUser) =>
  fetch(url, { headers: { authorization: `Bearer ${user.token}` } });

/** Waits (polling the engine's queue gauge) until `depth` snapshots are queued. */
async function untilQueued(app: TestApp, depth: number) {
  for (let attempt = 0; attempt < 400; attempt++) {
    const text = await app.metrics.registry.getSingleMetricAsString('sync_snapshot_queue_depth');
    if (Number(/sync_snapshot_queue_depth (\d+)/.exec(text)?.[1] ?? 0) >= depth) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`the snapshot queue never reached ${depth}`);
}

describe('snapshot admission', () => {
  it('a snapshot past its timeout answers 503 OVERLOADED with Retry-After and frees its connection', async () => {
    const { t, base, user } = await world({ SYNC_SNAPSHOT_TIMEOUT_MS: '300' });
    const release = await lockControls(t);
    const response = await get(shapeUrl(base), user);
    await release();
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
    const body = await response.json();
    expect(body).toMatchObject({ code: 'OVERLOADED', details: { reason: 'snapshot_timeout' } });
    expect(body.error).toMatch(/took too long/);
    expect(t.db.appPool.totalCount - t.db.appPool.idleCount).toBe(0);
    const metrics = await t.metrics.registry.getSingleMetricAsString('db_statement_timeouts_total');
    expect(metrics).toMatch(/db_statement_timeouts_total\{pool="snapshot"\} 1/);
    // The next request takes a fresh snapshot and gets the rows.
    const again = await get(shapeUrl(base), user);
    expect(again.status).toBe(200);
    expect(((await again.json()) as unknown[]).length).toBeGreaterThan(2);
  });

  it('refuses a shape past the queue bound at once with Retry-After; the official client retries it', async () => {
    const { t, base, user } = await world({
      SYNC_SNAPSHOT_CONNECTIONS: '2',
      SYNC_SNAPSHOT_QUEUE_PER_ORG: '2',
      SYNC_SNAPSHOT_TIMEOUT_MS: '20000',
    });
    const release = await lockControls(t);
    // One runs (an organisation may hold half the share), two wait: the organisation's bound.
    const admitted = [0, 1, 2].map((n) => get(shapeUrl(base, `name <> 'k${n}'`), user));
    await untilQueued(t, 2);
    const refused = await get(shapeUrl(base, `name <> 'k3'`), user);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('2');
    expect(await refused.json()).toMatchObject({
      code: 'OVERLOADED',
      details: { reason: 'snapshot_queue_full', scope: 'organisation', retry_after: 2 },
    });

    // The official client meets the same refusal and backs off (Retry-After is its floor).
    const statuses: number[] = [];
    const controller = new AbortController();
    const stream = new ShapeStream<Row>({
      url: `${base}${SYNC_PATH}`,
      params: { table: 'controls', where: `name <> 'k4'` } as never,
      headers: { Authorization: `Bearer ${user.token}` },
      signal: controller.signal,
      fetchClient: async (...args: Parameters<typeof fetch>) => {
        const response = await fetch(...args);
        statuses.push(response.status);
        if (statuses.length === 1) void release(); // refused once: let the queue drain
        return response;
      },
    });
    try {
      const rows = await new Shape(stream).rows;
      expect(rows.map((row) => row.name).sort()).toEqual(['Fire door', 'Sprinkler']);
    } finally {
      controller.abort();
    }
    expect(statuses[0]).toBe(503);
    expect(statuses).toContain(200);
    for (const response of await Promise.all(admitted)) expect(response.status).toBe(200);
    const metrics = await t.metrics.registry.getSingleMetricAsString('sync_snapshots_refused_total');
    expect(metrics).toMatch(/sync_snapshots_refused_total [2-9]/);
  });

  it("gives an organisation's snapshots less time the more of its share they spent, then refuses them; others are served", async () => {
    const { t, base, user } = await world({
      SYNC_SNAPSHOT_SECONDS_PER_ORG: '4',
      SYNC_SNAPSHOT_TIMEOUT_MS: '20000',
    });
    // Quick snapshots give back what they did not use: an ordinary organisation never meets its share.
    for (let n = 0; n < 10; n++)
      expect((await get(shapeUrl(base, `name <> 'q${n}'`), user)).status).toBe(200);

    const release = await lockControls(t);
    const timed = async (where: string) => {
      const started = performance.now();
      const response = await get(shapeUrl(base, where), user);
      return { response, body: await response.json(), ms: performance.now() - started };
    };
    // A 4 s share: half of what is left for each slow snapshot (2 s, 1 s, 0.5 s…) until less
    // than 250 ms each would be left: then refused at once, with the time the share needs to refill.
    const canceled: number[] = [];
    let refused: Awaited<ReturnType<typeof timed>> | undefined;
    for (let n = 0; n < 8 && !refused; n++) {
      const answer = await timed(`name <> 's${n}'`);
      expect(answer.response.status).toBe(503);
      if (answer.body.details.reason === 'snapshot_timeout') canceled.push(answer.ms);
      else refused = answer;
    }
    expect(canceled.length).toBeGreaterThanOrEqual(2);
    expect(canceled[0]).toBeGreaterThanOrEqual(1000); // about 2 s, less what the quick ones used
    expect(canceled[1]).toBeLessThan(canceled[0]!);
    expect(canceled.at(-1)).toBeLessThan(canceled[0]! / 2);
    expect(Number(refused?.response.headers.get('retry-after'))).toBeGreaterThanOrEqual(2);
    expect(refused?.body).toMatchObject({
      code: 'OVERLOADED',
      details: { reason: 'snapshot_queue_full', scope: 'budget' },
    });
    await release();

    // Another organisation has a share of its own; this one's is still spent.
    const other = await buildUser(t.db, t.config, await buildOrganization(t.db));
    expect((await get(shapeUrl(base, `name <> 'other'`), other)).status).toBe(200);
    expect((await get(shapeUrl(base, `name <> 'later'`), user)).status).toBe(503);
    const metrics = await t.metrics.registry.getSingleMetricAsString('sync_snapshots_over_budget_total');
    expect(metrics).toMatch(/sync_snapshots_over_budget_total [2-9]/);
    expect(t.db.appPool.totalCount - t.db.appPool.idleCount).toBe(0);
  });
});
