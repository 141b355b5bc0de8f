// Fail-over to ANOTHER process with persisted shape logs (SYNC_PERSIST_LOGS=true): two full apps
// in one election group; the official client syncs through the follower; the leader stops, the
// follower takes over, restores the logs the old leader wrote and resumes the group's slot, so
// no client refetches (no 409) and the changes made around the hand-over all arrive.
import { randomUUID } from 'node:crypto';
import { type Row, Shape, ShapeStream } from '@electric-sql/client';
import { afterAll, describe, expect, it } from 'vitest';
import { SYNC_PATH } from '../../src/sync/endpoint.ts';
import { createTestApp, openTestDatabase, type TestApp } from '../helpers/app.ts';
import { bearer, buildOrganization, buildUser, type TestUser } from '../helpers/factories.ts';
import { dropPersistedGroup } from '../sync/engine-harness.ts';

const group = `test-failover-${randomUUID()}`;
const env = { SYNC_PERSIST_LOGS: 'true', SYNC_ENGINE_GROUP: group };
const apps: TestApp[] = [];

afterAll(async () => {
  for (const t of apps.reverse()) await t.close().catch(() => {});
  const db = await openTestDatabase();
  try {
    await dropPersistedGroup(db, group);
  } finally {
    await db.close();
  }
});

async function start() {
  const t = await createTestApp({ env });
  apps.push(t);
  const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  return { t, base };
}

async function role(base: string): Promise<string> {
  const response = await fetch(`${base}/health`);
  return ((await response.json()) as { checks: { sync_leader: { role: string } } }).checks.sync_leader.role;
}

async function until(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function createControl(t: TestApp, user: TestUser, name: string) {
  const response = await t.app.inject({
    method: 'POST',
    url: '/api/controls',
    headers: bearer(user),
    payload: { name, control_type: 'technical', functional_range: 'narrow' },
  });
  expect(response.statusCode).toBe(201);
}

describe('fail-over with persisted shape logs', () => {
  it('the follower takes over with the old handles: no client refetches, no change is lost', async () => {
    const a = await start();
    await until(async () => (await role(a.base)) === 'leader', 10_000, 'a leader');
    const b = await start();
    await until(async () => (await role(b.base)) === 'follower', 10_000, 'a follower');
    const org = await buildOrganization(a.t.db);
    const alice = await buildUser(a.t.db, a.t.config, org);
    await createControl(a.t, alice, 'before');

    const controllers: AbortController[] = [];
    const counts = { refetches: 0 };
    const clients = [0, 1, 2].map(() => {
      const controller = new AbortController();
      controllers.push(controller);
      const stream = new ShapeStream<Row>({
        url: `${b.base}${SYNC_PATH}`,
        params: { table: 'controls' } as never,
        headers: { Authorization: `Bearer ${alice.token}` },
        signal: controller.signal,
        fetchClient: async (input, init) => {
          const response = await fetch(input, init);
          if (response.status === 409) counts.refetches += 1;
          return response;
        },
      });
      return { stream, shape: new Shape(stream) };
    });
    const names = (shape: Shape<Row>) => [...shape.currentRows].map((row) => row.name as string).sort();
    try {
      await Promise.all(clients.map((client) => client.shape.rows));
      await createControl(b.t, alice, 'through the follower');
      await until(
        () => clients.every((client) => names(client.shape).includes('through the follower')),
        15_000,
        'the clients seeing a write',
      );
      const handles = clients.map((client) => client.stream.shapeHandle);

      await a.t.close();
      // Written while the hand-over is under way: the slot keeps it for the new leader.
      await createControl(b.t, alice, 'during the hand-over');
      await until(async () => (await role(b.base)) === 'leader', 10_000, 'the follower taking over');
      await createControl(b.t, alice, 'after the hand-over');
      await until(
        () => clients.every((client) => names(client.shape).includes('after the hand-over')),
        20_000,
        'every client converging',
      );
      for (const client of clients) {
        expect(names(client.shape)).toEqual([
          'after the hand-over',
          'before',
          'during the hand-over',
          'through the follower',
        ]);
      }
      expect(counts.refetches).toBe(0);
      expect(clients.map((client) => client.stream.shapeHandle)).toEqual(handles);
    } finally {
      for (const controller of controllers) controller.abort();
    }
  });
});
