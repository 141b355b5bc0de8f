// The built-in engine with the official client (@electric-sql/client) over real HTTP:
// initial sync, live insert/update/delete, whole transactions with their txid, SSE.
import { type Message, type Row, Shape, ShapeStream } from '@electric-sql/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOrganization } from '../helpers/factories.ts';
import {
  type EngineApp,
  eventually,
  insertControls,
  shapeParams,
  shapeUrl,
  startEngineApp,
  writeAs,
} from './engine-harness.ts';

let e: EngineApp;
beforeAll(async () => {
  e = await startEngineApp();
});
afterAll(() => e?.close());

function controlsShape(orgId: string, extra: Record<string, string> = {}, liveSse = false) {
  const controller = new AbortController();
  const stream = new ShapeStream<Row>({
    url: shapeUrl(e),
    params: shapeParams(e, 'controls', orgId, {
      columns: 'id,organization_id,name,current_quadrant,provider_distance',
      ...extra,
    }),
    signal: controller.signal,
    liveSse,
  });
  const shape = new Shape(stream);
  return { stream, shape, stop: () => controller.abort() };
}

describe('built-in engine with the official client', () => {
  it('syncs an organisation, then live inserts, updates and deletes', async () => {
    const org = await buildOrganization(e.db);
    const other = await buildOrganization(e.db);
    const { ids } = await insertControls(e, org.id, ['Fire door', 'Sprinkler']);
    await insertControls(e, other.id, ['Not yours']);
    const { shape, stop } = controlsShape(org.id);
    try {
      const rows = await shape.rows;
      expect(rows.map((r) => r.name).sort()).toEqual(['Fire door', 'Sprinkler']);
      expect(rows[0]).toMatchObject({
        organization_id: org.id,
        current_quadrant: 'strange',
        provider_distance: null,
      });

      const added = await insertControls(e, org.id, ['Alarm']);
      await eventually(() =>
        expect(shape.currentRows.map((r) => r.name).sort()).toEqual(['Alarm', 'Fire door', 'Sprinkler']),
      );

      await writeAs(
        e,
        org.id,
        `UPDATE controls SET name = 'Fire door (east)', provider_distance = 2.5 WHERE id = $1`,
        [ids[0]],
      );
      await eventually(() => {
        const row = shape.currentRows.find((r) => r.id === ids[0]);
        expect(row).toMatchObject({
          name: 'Fire door (east)',
          provider_distance: '2.5',
          current_quadrant: 'strange',
        });
      });

      await writeAs(e, org.id, 'DELETE FROM controls WHERE id = $1', [added.ids[0]]);
      await eventually(() =>
        expect(shape.currentRows.map((r) => r.name).sort()).toEqual(['Fire door (east)', 'Sprinkler']),
      );
      // The other organisation's write never arrives.
      await insertControls(e, other.id, ['Still not yours']);
      await insertControls(e, org.id, ['Marker']);
      await eventually(() => expect(shape.currentRows.map((r) => r.name)).toContain('Marker'));
      expect(shape.currentRows.map((r) => r.name)).not.toContain('Still not yours');
    } finally {
      stop();
    }
  });

  it('delivers a multi-row transaction whole, with the writer txid on every change', async () => {
    const org = await buildOrganization(e.db);
    const { stream, shape, stop } = controlsShape(org.id);
    const batches: Message<Row>[][] = [];
    stream.subscribe((messages) => {
      batches.push(messages);
    });
    try {
      await shape.rows;
      const { ids, txid } = await insertControls(e, org.id, ['A', 'B', 'C']);
      const batch = await eventually(() => {
        const found = batches.find((b) => b.some((m) => 'key' in m));
        expect(found).toBeDefined();
        return found as Message<Row>[];
      });
      const changes = batch.filter((m) => 'key' in m) as Array<
        Message<Row> & { headers: Record<string, unknown> }
      >;
      expect(changes).toHaveLength(3);
      expect(changes.map((c) => (c as { value: Row }).value.id)).toEqual(ids);
      for (const change of changes) {
        expect(change.headers.operation).toBe('insert');
        expect(change.headers.txids).toEqual([txid]);
        expect(change.headers.relation).toEqual(['public', 'controls']);
      }
      expect(changes.at(-1)?.headers.last).toBe(true);
      expect(batch.at(-1)?.headers).toMatchObject({ control: 'up-to-date' });
    } finally {
      stop();
    }
  });

  it('streams live changes over SSE', async () => {
    const org = await buildOrganization(e.db);
    await insertControls(e, org.id, ['One']);
    const { shape, stop } = controlsShape(org.id, {}, true);
    try {
      await shape.rows;
      await insertControls(e, org.id, ['Two', 'Three']);
      await eventually(() =>
        expect(shape.currentRows.map((r) => r.name).sort()).toEqual(['One', 'Three', 'Two']),
      );
      await writeAs(e, org.id, `UPDATE controls SET name = 'Uno' WHERE name = 'One'`);
      await eventually(() =>
        expect(shape.currentRows.map((r) => r.name).sort()).toEqual(['Three', 'Two', 'Uno']),
      );
    } finally {
      stop();
    }
  });
});

describe('SSE reconnects', () => {
  it('resumes from global_last_seen_lsn after the server closes the stream, without duplicates or gaps', async () => {
    const short = await startEngineApp({ sseMaxMs: 1_200, sseKeepAliveMs: 100 });
    const controller = new AbortController();
    try {
      const org = await buildOrganization(short.db);
      await insertControls(short, org.id, ['s0']);
      const stream = new ShapeStream<Row>({
        url: shapeUrl(short),
        params: shapeParams(short, 'controls', org.id, { columns: 'id,name' }),
        signal: controller.signal,
        liveSse: true,
      });
      const inserts = new Map<string, number>();
      stream.subscribe((messages) => {
        for (const m of messages) {
          if ('key' in m && m.headers.operation === 'insert')
            inserts.set(m.key, (inserts.get(m.key) ?? 0) + 1);
        }
      });
      const shape = new Shape(stream);
      await shape.rows;
      for (let i = 1; i <= 6; i++) {
        await insertControls(short, org.id, [`s${i}a`, `s${i}b`]);
        await new Promise((resolve) => setTimeout(resolve, 500)); // spans several SSE reconnects
      }
      await eventually(() => expect(shape.currentRows).toHaveLength(13));
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(shape.currentRows).toHaveLength(13);
      expect([...inserts.values()].every((count) => count === 1)).toBe(true);
      expect(inserts.size).toBe(13);
    } finally {
      controller.abort();
      await short.close();
    }
  });
});
