// GET /api/electric/sync in built-in mode with the official client (@electric-sql/client)
// against a listening server: the where is respected, organisations never see each other's
// rows, live changes (long-poll and SSE) reach only their shapes, and an expired token
// refreshed in onError resumes from the client's offset. Refusals and protocol details are in
// endpoint-refusals.test.ts.
import { FetchError, type Row, Shape, ShapeStream } from '@electric-sql/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYNC_PATH } from '../../src/sync/endpoint.ts';
import type { TestApp } from '../helpers/app.ts';
import { insertRow, type TestOrganization, type TestUser } from '../helpers/factories.ts';
import { buildEndpointWorld, control, expiredToken, shapeRows, shapeStream } from './endpoint-world.ts';

let t: TestApp;
let base: string;
let orgA: TestOrganization;
let orgB: TestOrganization;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  ({ t, base, orgA, orgB, alice, bob } = await buildEndpointWorld());
});

afterAll(async () => {
  await t?.close();
});

const stream = (user: { token: string }, params: Record<string, string>) => shapeStream(base, user, params);
const rowsOf = (user: { token: string }, params: Record<string, string>) => shapeRows(base, user, params);

describe('shapes through the endpoint with the official client', () => {
  it('respects the where and its parameters', async () => {
    const rows = await rowsOf(alice, {
      table: 'controls',
      where: "name LIKE 'Fire%' AND name <> $1",
      'params[1]': 'Fire alarm',
    } as never);
    expect(rows.map((r) => r.name)).toEqual(['Fire door']);
    const risky = await rowsOf(alice, { table: 'controls', where: 'failure_probability >= 0.5' });
    expect(risky.map((r) => r.name)).toEqual(['Badge reader']);
  });

  it('keeps two organisations syncing side by side apart', async () => {
    const [a, b] = await Promise.all([
      rowsOf(alice, { table: 'controls' }),
      rowsOf(bob, { table: 'controls' }),
    ]);
    expect(a.map((r) => r.name).sort()).toEqual(['Badge reader', 'Fire alarm', 'Fire door', 'Sprinkler']);
    expect(b.map((r) => r.name).sort()).toEqual(['Fire door B', 'Gate B']);
    expect(new Set(a.map((r) => r.organization_id))).toEqual(new Set([orgA.id]));
    expect(new Set(b.map((r) => r.organization_id))).toEqual(new Set([orgB.id]));
    // The same where from two organisations is two shapes.
    const sameWhere = await rowsOf(bob, { table: 'controls', where: "name LIKE 'Fire%'" });
    expect(sameWhere.map((r) => r.name)).toEqual(['Fire door B']);
  });

  it('syncs a live insert to its organisation only', async () => {
    const a = stream(alice, { table: 'controls', where: "name LIKE 'Live%'" });
    const b = stream(bob, { table: 'controls', where: "name LIKE 'Live%'" });
    try {
      expect(await a.shape.rows).toEqual([]);
      expect(await b.shape.rows).toEqual([]);
      await insertRow(t.db, orgA.id, 'controls', control('Live A'));
      await insertRow(t.db, orgA.id, 'controls', control('Not live A'));
      await expect
        .poll(() => a.shape.currentRows.map((r) => r.name), { timeout: 10_000 })
        .toEqual(['Live A']);
      await insertRow(t.db, orgB.id, 'controls', control('Live B'));
      await expect
        .poll(() => b.shape.currentRows.map((r) => r.name), { timeout: 10_000 })
        .toEqual(['Live B']);
      expect(a.shape.currentRows.map((r) => r.name)).toEqual(['Live A']);
    } finally {
      a.stop();
      b.stop();
    }
  });

  it('streams live changes over SSE through the endpoint', async () => {
    const sse: string[] = [];
    const controller = new AbortController();
    const s = new ShapeStream<Row>({
      url: `${base}${SYNC_PATH}`,
      params: { table: 'controls', where: "name LIKE 'Sse%'" },
      headers: { Authorization: `Bearer ${alice.token}` },
      signal: controller.signal,
      liveSse: true,
      fetchClient: async (input, init) => {
        const response = await fetch(input, init);
        const url = new URL(input instanceof Request ? input.url : String(input));
        if (url.searchParams.get('live_sse') === 'true') sse.push(response.headers.get('content-type') ?? '');
        return response;
      },
    });
    const a = { shape: new Shape(s), stop: () => controller.abort() };
    try {
      expect(await a.shape.rows).toEqual([]);
      await insertRow(t.db, orgA.id, 'controls', control('Sse one'));
      await expect
        .poll(() => a.shape.currentRows.map((r) => r.name), { timeout: 10_000 })
        .toEqual(['Sse one']);
      await insertRow(t.db, orgA.id, 'controls', control('Sse two'));
      await expect
        .poll(() => a.shape.currentRows.map((r) => r.name).sort(), { timeout: 10_000 })
        .toEqual(['Sse one', 'Sse two']);
      expect(sse.length).toBeGreaterThan(0);
      expect(sse[0]).toMatch(/^text\/event-stream/);
    } finally {
      a.stop();
    }
  });

  it('routes live changes by a where on timestamps and numbers, moving rows in and out', async () => {
    const where =
      "last_touched_at >= '2024-01-01T00:00:00Z' AND provider_distance < 2.5 AND name LIKE 'Route%'";
    const a = stream(alice, { table: 'controls', where });
    try {
      expect(await a.shape.rows).toEqual([]);
      const inside = await insertRow(t.db, orgA.id, 'controls', {
        ...control('Route in'),
        last_touched_at: '2024-01-01T05:30:00+05:30', // exactly the bound, written in another zone
        provider_distance: 2.4999,
      });
      await insertRow(t.db, orgA.id, 'controls', {
        ...control('Route old'),
        last_touched_at: '2023-12-31T23:59:59.999999Z',
        provider_distance: 1,
      });
      await insertRow(t.db, orgA.id, 'controls', {
        ...control('Route far'),
        last_touched_at: '2025-06-01T00:00:00Z',
        provider_distance: 2.5,
      });
      await expect
        .poll(() => a.shape.currentRows.map((r) => r.name), { timeout: 10_000 })
        .toEqual(['Route in']);
      await t.db.ownerPool.query('UPDATE controls SET provider_distance = 7 WHERE id = $1', [inside]);
      await expect.poll(() => a.shape.currentRows.length, { timeout: 10_000 }).toBe(0);
      await t.db.ownerPool.query('UPDATE controls SET provider_distance = 0 WHERE id = $1', [inside]);
      await expect
        .poll(() => a.shape.currentRows.map((r) => r.name), { timeout: 10_000 })
        .toEqual(['Route in']);
    } finally {
      a.stop();
    }
  });

  it('serves the own organisation and its users without secrets', async () => {
    const orgs = await rowsOf(alice, { table: 'organizations' });
    expect(orgs.map((r) => r.id)).toEqual([orgA.id]);
    const users = await rowsOf(alice, { table: 'users' });
    expect(users.map((r) => r.id)).toEqual([alice.id]);
    expect(Object.keys(users[0]!).sort()).toEqual(
      ['confirmed_at', 'created_at', 'email', 'id', 'name', 'organization_id', 'role', 'updated_at'].sort(),
    );
    const projected = await rowsOf(alice, { table: 'users', columns: 'id,"email"' });
    expect(projected).toEqual([{ id: alice.id, email: alice.email }]);
  });
});

describe('an expired token mid-stream', () => {
  it("lets the client's onError supply a refreshed header and resume from its offset", async () => {
    const expired = await expiredToken(t.config, alice);
    await insertRow(t.db, orgA.id, 'controls', control('Refresh one')); // before the stream starts
    let current = alice.token;
    const requests: URL[] = [];
    const errors: number[] = [];
    const controller = new AbortController();
    const s = new ShapeStream<Row>({
      url: `${base}${SYNC_PATH}`,
      params: { table: 'controls', where: "name LIKE 'Refresh%'" },
      headers: { Authorization: () => `Bearer ${current}` },
      signal: controller.signal,
      fetchClient: (input, init) => {
        requests.push(new URL(input instanceof Request ? input.url : String(input)));
        return fetch(input, init);
      },
      onError: async (error) => {
        errors.push(error instanceof FetchError ? error.status : -1);
        if (error instanceof FetchError && error.status === 401) {
          return { headers: { Authorization: `Bearer ${alice.token}` } };
        }
      },
    });
    const shape = new Shape(s);
    try {
      expect((await shape.rows).map((r) => r.name)).toEqual(['Refresh one']);
      current = expired; // the access token runs out while the client is live
      await insertRow(t.db, orgA.id, 'controls', control('Refresh two'));
      await expect.poll(() => errors, { timeout: 10_000 }).toContain(401);
      await insertRow(t.db, orgA.id, 'controls', control('Refresh three'));
      await expect
        .poll(() => shape.currentRows.map((r) => r.name).sort(), { timeout: 10_000 })
        .toEqual(['Refresh one', 'Refresh three', 'Refresh two']);
      // After the 401 the client resumed with its handle and offset, never from -1.
      const starts = requests.filter((url) => url.searchParams.get('offset') === '-1');
      expect(starts).toHaveLength(1);
      const failedAt = errors.indexOf(401);
      expect(failedAt).toBeGreaterThanOrEqual(0);
    } finally {
      controller.abort();
    }
  });
});
