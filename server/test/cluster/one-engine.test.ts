// Many processes, one service: full apps on one database (as separate `npm start` processes
// would be, in one election group) elect one built-in sync engine. The follower forwards shape
// requests to the leader, so a handle is valid whichever process answers and a client syncing
// through the follower sees writes made through either; when the leader stops, the follower
// takes over and each client refetches at most once. Revocation crosses processes too.
import { type Row, Shape, ShapeStream } from '@electric-sql/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYNC_PATH } from '../../src/sync/endpoint.ts';
import { engineSecret } from '../../src/sync/engine/index.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { bearer, buildOrganization, buildUser, type TestUser } from '../helpers/factories.ts';

type Node = { t: TestApp; base: string; closed: boolean };
type LeaderHealth = { role: string; url?: string | null; forwards_to?: string | null };

const nodes: Node[] = [];
let a: Node;
let b: Node;
let alice: TestUser;

async function startNode(): Promise<Node> {
  // A small per-user shape budget, for the forwarded refusal below (the other tests use one shape).
  const t = await createTestApp({ env: { SYNC_MAX_SHAPES_PER_USER: '3' } });
  const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  const node = { t, base, closed: false };
  nodes.push(node);
  return node;
}

async function stopNode(node: Node) {
  if (node.closed) return;
  node.closed = true;
  await node.t.close();
}

async function health(node: Node) {
  const response = await fetch(`${node.base}/health`);
  return (await response.json()) as {
    checks: { sync_leader: LeaderHealth; sync_engine: { state: string } };
  };
}

async function until(check: () => Promise<boolean> | boolean, timeoutMs = 5_000, what = 'condition') {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const role = async (node: Node) => (await health(node)).checks.sync_leader;

/** The official client on the controls shape through `base`, counting its 409 refetches. */
function syncControls(base: string, user: TestUser) {
  const controller = new AbortController();
  const counts = { refetches: 0 };
  const stream = new ShapeStream<Row>({
    url: `${base}${SYNC_PATH}`,
    params: { table: 'controls' } as never,
    headers: { Authorization: `Bearer ${user.token}` },
    signal: controller.signal,
    fetchClient: async (input, init) => {
      const response = await fetch(input, init);
      if (response.status === 409) counts.refetches += 1;
      return response;
    },
  });
  const shape = new Shape(stream);
  const names = () => [...shape.currentRows].map((row) => row.name as string).sort();
  return { shape, counts, names, stop: () => controller.abort() };
}

async function createControl(node: Node, user: TestUser, name: string) {
  const response = await node.t.app.inject({
    method: 'POST',
    url: '/api/controls',
    headers: bearer(user),
    payload: { name, control_type: 'technical', functional_range: 'narrow' },
  });
  expect(response.statusCode).toBe(201);
}

beforeAll(async () => {
  a = await startNode();
  await until(async () => (await role(a)).role === 'leader', 10_000, 'a leader');
  b = await startNode();
  await until(
    async () => (await role(b)).forwards_to === a.base,
    10_000,
    'the second process following the first',
  );
  const org = await buildOrganization(a.t.db);
  alice = await buildUser(a.t.db, a.t.config, org);
});

afterAll(async () => {
  for (const node of nodes.reverse()) await stopNode(node);
});

describe('one engine per database', () => {
  it('elects one leader: /health and the sync_engine_leader gauge say which, and whom the follower forwards to', async () => {
    expect(await role(a)).toMatchObject({ role: 'leader', url: a.base });
    expect(await role(b)).toMatchObject({ role: 'follower', forwards_to: a.base });
    const gauge = async (node: Node) =>
      /^sync_engine_leader (\d)$/m.exec(await (await fetch(`${node.base}/metrics`)).text())?.[1];
    expect(await gauge(a)).toBe('1');
    expect(await gauge(b)).toBe('0');
  });

  it('syncs a client through the follower with writes made through either process, from the leader engine only', async () => {
    const client = syncControls(b.base, alice);
    try {
      await createControl(a, alice, 'Written via leader');
      await client.shape.rows;
      await createControl(b, alice, 'Written via follower');
      await until(
        () => client.names().join() === 'Written via follower,Written via leader',
        10_000,
        'both writes synced',
      );
      expect(client.counts.refetches).toBe(0);
      // The follower forwarded: its own engine never started.
      expect((await health(b)).checks.sync_engine.state).toBe('idle');
      expect((await health(a)).checks.sync_engine.state).toBe('running');
    } finally {
      client.stop();
    }
  });

  it('accepts a handle whichever process answers', async () => {
    const first = await fetch(`${b.base}${SYNC_PATH}?table=controls&offset=-1`, { headers: bearer(alice) });
    expect(first.status).toBe(200);
    await first.body?.cancel();
    const handle = first.headers.get('electric-handle') as string;
    const offset = first.headers.get('electric-offset') as string;
    const next = await fetch(`${a.base}${SYNC_PATH}?table=controls&offset=${offset}&handle=${handle}`, {
      headers: bearer(alice),
    });
    await next.body?.cancel();
    expect(next.status).toBe(200);
    expect(next.headers.get('electric-handle')).toBe(handle);
  });

  it("counts a shape budget refusal forwarded from the leader in the follower's metrics, with the same answer", async () => {
    const carol = await buildUser(a.t.db, a.t.config, await buildOrganization(a.t.db));
    const shape = (n: number) =>
      fetch(`${b.base}${SYNC_PATH}?table=controls&offset=-1&where=${encodeURIComponent(`name <> 'b${n}'`)}`, {
        headers: bearer(carol),
      });
    for (let n = 0; n < 3; n++) {
      const admitted = await shape(n);
      await admitted.body?.cancel();
      expect(admitted.status).toBe(200);
    }
    const refused = await shape(3);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('30');
    expect(await refused.json()).toMatchObject({
      code: 'TOO_MANY_SHAPES',
      details: { limit: 'user_shapes', value: 3, retry_after: 30 },
    });
    const counted = /^sync_shapes_refused_total\{reason="user_shapes"\} (\d+)$/m.exec(
      await (await fetch(`${b.base}/metrics`)).text(),
    )?.[1];
    expect(counted).toBe('1');
  });

  it('never serves the internal route from a follower (a request never hops twice)', async () => {
    const query = new URLSearchParams({
      table: 'controls',
      offset: '-1',
      where: '"organization_id" = $1::uuid',
      'params[1]': alice.orgId,
      secret: engineSecret(b.t.config),
    });
    const fromFollower = await fetch(`${b.base}/internal/electric/v1/shape?${query}`);
    await fromFollower.body?.cancel();
    expect(fromFollower.status).toBe(503);
    expect(fromFollower.headers.get('retry-after')).toBe('1');
    const fromLeader = await fetch(`${a.base}/internal/electric/v1/shape?${query}`);
    await fromLeader.body?.cancel();
    expect(fromLeader.status).toBe(200);
  });
});

describe('revocation across processes', () => {
  it('refuses everywhere a token whose session was logged out through another process', async () => {
    const org = await buildOrganization(a.t.db);
    const bob = await buildUser(a.t.db, a.t.config, org);
    const me = () => b.t.app.inject({ method: 'GET', url: '/api/me', headers: bearer(bob) });
    expect((await me()).statusCode).toBe(200);
    const logout = await a.t.app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(bob) });
    expect(logout.statusCode).toBe(204);
    await until(async () => (await me()).statusCode === 401, 5_000, 'the revocation on the other process');
    expect((await me()).json()).toMatchObject({ code: 'TOKEN_REVOKED' });
  });
});

describe('fail-over', () => {
  it('the leader stops → the follower leads within 10 s and each client refetches at most once', async () => {
    const clients = [syncControls(b.base, alice), syncControls(b.base, alice), syncControls(b.base, alice)];
    try {
      await Promise.all(clients.map((client) => client.shape.rows));
      await stopNode(a);
      await until(async () => (await role(b)).role === 'leader', 10_000, 'the follower taking over');
      await createControl(b, alice, 'Written after fail-over');
      await until(
        () => clients.every((client) => client.names().includes('Written after fail-over')),
        15_000,
        'every client converging',
      );
      for (const client of clients) {
        expect(client.names()).toEqual([
          'Written after fail-over',
          'Written via follower',
          'Written via leader',
        ]);
        expect(client.counts.refetches).toBeLessThanOrEqual(1);
      }
    } finally {
      for (const client of clients) client.stop();
    }
  });

  it('a leader that loses its lock connection stands down and follows the new leader', async () => {
    const c = await startNode();
    await until(async () => (await role(c)).forwards_to === b.base, 10_000, 'the new process following');
    const client = syncControls(c.base, alice);
    try {
      await client.shape.rows;
      // Cut the leader's election connection: PostgreSQL releases its lock with it.
      await b.t.db.ownerPool.query(
        `SELECT pg_terminate_backend(backend_pid) FROM sync_engine_leaders WHERE election_group = $1`,
        [b.t.config.syncEngineGroup],
      );
      await until(
        async () => {
          const roles = [(await role(b)).role, (await role(c)).role].sort();
          return roles.join() === 'follower,leader';
        },
        10_000,
        'one leader again',
      );
      await createControl(c, alice, 'Written after the cut');
      await until(() => client.names().includes('Written after the cut'), 15_000, 'the client converging');
      expect(client.counts.refetches).toBeLessThanOrEqual(1);
    } finally {
      client.stop();
    }
  });
});
