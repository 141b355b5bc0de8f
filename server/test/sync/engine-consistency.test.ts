// The engine's guarantees seen by the official client: the snapshot/stream boundary loses and
// duplicates nothing under concurrent writes; a server restart mid-stream answers 409 and the
// client converges to the database; a TanStack DB optimistic insert made through the API
// (POST /api/controls → /api/electric/sync) resolves by its txid.
import { randomUUID } from 'node:crypto';
import { type Message, type Row, Shape, ShapeStream } from '@electric-sql/client';
import { createCollection } from '@tanstack/db';
import { electricCollectionOptions } from '@tanstack/electric-db-collection';
import { describe, expect, it } from 'vitest';
import { tenantTransaction } from '../../src/db/tenant.ts';
import { createTestApp } from '../helpers/app.ts';
import { bearer, buildOrganization, buildUser } from '../helpers/factories.ts';
import {
  type EngineApp,
  eventually,
  insertControls,
  shapeParams,
  shapeUrl,
  sleep,
  startEngineApp,
  writeAs,
} from './engine-harness.ts';

async function databaseRows(e: Pick<EngineApp, 'db'>, orgId: string) {
  return tenantTransaction(e.db.appPool, { orgId }, async (tx) => {
    const { rows } = await tx.query('SELECT id::text, name FROM controls ORDER BY id');
    return Object.fromEntries(rows.map((r) => [r.id as string, r.name as string]));
  });
}

/** Records every change message and flags duplicates (insert of a present key) and misses. */
function follow(stream: ShapeStream<Row>) {
  const rows = new Map<string, string>();
  const problems: string[] = [];
  stream.subscribe((messages: Message<Row>[]) => {
    for (const m of messages) {
      if (!('key' in m)) {
        if (m.headers.control === 'must-refetch') rows.clear();
        continue;
      }
      const id = m.value.id as string;
      const op = m.headers.operation;
      if (op === 'insert') {
        if (rows.has(id)) problems.push(`duplicate insert ${id}`);
        rows.set(id, m.value.name as string);
      } else if (op === 'update') {
        if (!rows.has(id)) problems.push(`update of unknown ${id}`);
        if (m.value.name !== undefined) rows.set(id, m.value.name as string);
      } else {
        if (!rows.has(id)) problems.push(`delete of unknown ${id}`);
        rows.delete(id);
      }
    }
  });
  return { rows, problems };
}

describe('snapshot / stream boundary', () => {
  it('loses and duplicates nothing when shapes start during concurrent writes', async () => {
    const e = await startEngineApp({ liveTimeoutMs: 2_000 });
    const controllers: AbortController[] = [];
    try {
      const org = await buildOrganization(e.db);
      await insertControls(e, org.id, ['seed 1', 'seed 2', 'seed 3']);
      let writing = true;
      let counter = 0;
      const writer = async () => {
        while (writing) {
          const n = counter++;
          await tenantTransaction(e.db.appPool, { orgId: org.id }, async (tx) => {
            await tx.query(
              `INSERT INTO controls (organization_id, name, control_type, functional_range) VALUES ($1, $2, 'technical', 'narrow'), ($1, $3, 'technical', 'narrow')`,
              [org.id, `w${n}a`, `w${n}b`],
            );
            await tx.query(
              `UPDATE controls SET name = name || '+' WHERE id = (SELECT id FROM controls ORDER BY random() LIMIT 1)`,
            );
            if (n % 3 === 0) {
              await tx.query(
                'DELETE FROM controls WHERE id = (SELECT id FROM controls ORDER BY random() LIMIT 1)',
              );
            }
          });
        }
      };
      const writers = [writer(), writer(), writer()];
      const followers: Array<ReturnType<typeof follow>> = [];
      for (let i = 0; i < 4; i++) {
        await sleep(250);
        const controller = new AbortController();
        controllers.push(controller);
        // Distinct column lists make distinct shapes, so each takes its own snapshot mid-write.
        const columns = [
          'id,name',
          'id,name,organization_id',
          'id,name,current_quadrant',
          'id,name,description',
        ][i] as string;
        const stream = new ShapeStream<Row>({
          url: shapeUrl(e),
          params: shapeParams(e, 'controls', org.id, { columns }),
          signal: controller.signal,
        });
        followers.push(follow(stream));
      }
      await sleep(500);
      writing = false;
      await Promise.all(writers);
      expect(counter).toBeGreaterThan(10);
      const expected = await databaseRows(e, org.id);
      for (const follower of followers) {
        await eventually(() => expect(Object.fromEntries(follower.rows)).toEqual(expected), 15_000);
        expect(follower.problems).toEqual([]);
      }
    } finally {
      for (const c of controllers) c.abort();
      await e.close();
    }
  });
});

describe('server restart mid-stream', () => {
  it('answers the old handle with 409 and the client converges to the database', async () => {
    let current: EngineApp | undefined = await startEngineApp({ liveTimeoutMs: 1_000 });
    let up = Promise.resolve();
    let release = () => {};
    const statuses: number[] = [];
    // A front door that holds requests while the server is down (as a reverse proxy would).
    const fetchClient: typeof fetch = async (input, init) => {
      await up;
      const url = new URL(String(input));
      const target = new URL(shapeUrl(current as EngineApp));
      url.host = target.host;
      const response = await fetch(url, init);
      statuses.push(response.status);
      return response;
    };
    const controller = new AbortController();
    try {
      const org = await buildOrganization(current.db);
      await insertControls(current, org.id, ['before 1', 'before 2']);
      const stream = new ShapeStream<Row>({
        url: shapeUrl(current),
        params: shapeParams(current, 'controls', org.id, { columns: 'id,name' }),
        signal: controller.signal,
        fetchClient,
      });
      const shape = new Shape(stream);
      await shape.rows;
      await insertControls(current, org.id, ['live 1']);
      await eventually(() => expect(shape.currentRows).toHaveLength(3));

      up = new Promise((resolve) => {
        release = resolve;
      });
      await current.close();
      // Writes while the server is down: nobody streams them.
      const helper = await startEngineApp();
      await insertControls(helper, org.id, ['while down']);
      await writeAs(
        helper,
        org.id,
        `UPDATE controls SET name = 'renamed while down' WHERE name = 'before 1'`,
      );
      await writeAs(helper, org.id, `DELETE FROM controls WHERE name = 'before 2'`);
      current = helper;
      release();

      const expected = await databaseRows(helper, org.id);
      await eventually(() => {
        const synced = Object.fromEntries(shape.currentRows.map((r) => [r.id as string, r.name as string]));
        expect(synced).toEqual(expected);
      }, 15_000);
      expect(statuses).toContain(409);
      // And it is live again on the new server.
      await insertControls(helper, org.id, ['after restart']);
      await eventually(() => expect(shape.currentRows.map((r) => r.name)).toContain('after restart'));
    } finally {
      controller.abort();
      await current?.close();
    }
  });
});

describe('TanStack DB through the API and the sync endpoint', () => {
  it('resolves an optimistic insert made through POST /api/controls by its txid', async () => {
    const t = await createTestApp();
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const org = await buildOrganization(t.db);
      const user = await buildUser(t.db, t.config, org, 'owner');
      const txids: number[] = [];
      const collection = createCollection(
        electricCollectionOptions({
          id: `controls-${randomUUID()}`,
          shapeOptions: {
            url: `${address}/api/electric/sync`,
            params: { table: 'controls' },
            headers: bearer(user),
          },
          getKey: (row: Row) => row.id as string,
          onInsert: async ({ transaction }) => {
            const row = transaction.mutations[0]?.modified as Row;
            const response = await t.app.inject({
              method: 'POST',
              url: '/api/controls',
              headers: bearer(user),
              payload: { id: row.id, name: row.name, control_type: 'technical', functional_range: 'narrow' },
            });
            expect(response.statusCode).toBe(201);
            const { txid } = response.json() as { txid: number };
            txids.push(txid);
            return { txid, timeout: 15_000 };
          },
        }),
      );
      await collection.preload();
      const id = randomUUID();
      const tx = collection.insert({ id, name: 'Optimistic door', organization_id: org.id });
      expect(collection.get(id)).toMatchObject({ name: 'Optimistic door' });
      await tx.isPersisted.promise;
      expect(txids).toHaveLength(1);
      expect(typeof txids[0]).toBe('number');
      // The synced row (from the server) replaced the optimistic one.
      expect(collection.get(id)).toMatchObject({
        id,
        name: 'Optimistic door',
        current_quadrant: expect.any(String),
      });
      await collection.cleanup();
    } finally {
      await t.close();
    }
  });
});
