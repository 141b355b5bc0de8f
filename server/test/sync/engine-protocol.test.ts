// The engine's Electric protocol, request by request, against the spec
// (shared/reference/electric-protocol.md, electric-api.yaml): headers, 400/401/409, unknown
// parameters, offset=now, live timeout and wake-up, up-to-date placement, the never-the-same-
// offset rule, replica modes, moves in and out of a shape, metrics. Eviction, the log cap,
// health and the replication slot are in engine-lifecycle.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOrganization } from '../helpers/factories.ts';
import {
  type EngineApp,
  eventually,
  getShape,
  insertControls,
  isUpToDate,
  messages,
  type ProtocolMessage,
  shapeParams,
  sleep,
  startEngineApp,
  syncToUpToDate,
  writeAs,
} from './engine-harness.ts';

let e: EngineApp;
beforeAll(async () => {
  e = await startEngineApp({ liveTimeoutMs: 400 });
});
afterAll(() => e?.close());

describe('engine protocol', () => {
  it('refuses a missing or wrong secret', async () => {
    const org = await buildOrganization(e.db);
    const query = shapeParams(e, 'controls', org.id, { offset: '-1' });
    expect((await getShape(e, { ...query, secret: 'nope' })).status).toBe(401);
    const { secret: _, ...without } = query;
    expect((await getShape(e, without)).status).toBe(401);
  });

  it('answers offset=-1 with the snapshot and snapshot-end, never up-to-date; the next request ends with up-to-date', async () => {
    const org = await buildOrganization(e.db);
    const { ids } = await insertControls(e, org.id, ['Door', 'Gate']);
    const query = shapeParams(e, 'controls', org.id, { columns: 'id,name,provider_distance' });
    const first = await getShape(e, { ...query, offset: '-1' });
    expect(first.status).toBe(200);
    expect(first.headers['electric-handle']).toMatch(/.+/);
    expect(first.headers['electric-offset']).toMatch(/^\d+_\d+$/);
    expect(first.headers['electric-up-to-date']).toBeUndefined();
    expect(JSON.parse(first.headers['electric-schema'] as string)).toEqual({
      id: { type: 'uuid', not_null: true, pk_index: 0 },
      name: { type: 'text', not_null: true },
      provider_distance: { type: 'numeric' },
    });
    const body = messages(first);
    expect(body.some(isUpToDate)).toBe(false);
    const rows = body.filter((m) => m.key);
    expect(rows.map((m) => m.value?.id).sort()).toEqual([...ids].sort());
    expect(rows[0]?.headers).toEqual({ operation: 'insert', relation: ['public', 'controls'] });
    expect(rows[0]?.key).toMatch(/^"public"\."controls"\/".+"$/);
    const end = body.at(-1)?.headers as Record<string, unknown>;
    expect(end.control).toBe('snapshot-end');
    expect(typeof end.xmin).toBe('string');
    expect(typeof end.xmax).toBe('string');
    expect(Array.isArray(end.xip_list)).toBe(true);

    const next = await getShape(e, {
      ...query,
      offset: first.headers['electric-offset'] as string,
      handle: first.headers['electric-handle'] as string,
    });
    expect(next.status).toBe(200);
    expect(isUpToDate(messages(next).at(-1))).toBe(true);
    expect(next.headers['electric-up-to-date']).toBe('');
    expect(next.headers['electric-schema']).toBeDefined();
    expect(next.headers['electric-handle']).toBe(first.headers['electric-handle']);
  });

  it('ignores unknown parameters and validates the known ones with 400', async () => {
    const org = await buildOrganization(e.db);
    const query = shapeParams(e, 'controls', org.id);
    const ok = await getShape(e, {
      ...query,
      offset: '-1',
      log: 'full',
      'cache-buster': 'abc',
      expired_handle: 'old-handle',
      experimental_live_sse: 'false',
      something_new: 'x',
    });
    expect(ok.status).toBe(200);
    for (const [extra, field] of [
      [{ offset: 'abc' }, 'offset'],
      [{ offset: '1_x', handle: 'h' }, 'offset'],
      [{ offset: '5_0' }, 'handle'],
      [{ offset: '-1', live: 'true' }, 'live'],
      [{ offset: '-1', replica: 'partial' }, 'replica'],
      [{ offset: '-1', live_sse: 'yes' }, 'live_sse'],
      [{ offset: '-1', 'params[01]': org.id }, 'params'],
      [{ offset: '-1', 'params[x]': 'a' }, 'params'],
    ] as const) {
      const bad = await getShape(e, { ...query, ...extra });
      expect(bad.status, JSON.stringify(extra)).toBe(400);
      expect(bad.body).toMatchObject({ message: 'Invalid request', errors: { [field]: expect.any(Array) } });
      expect(bad.headers['cache-control']).toBe('no-store');
    }
    const { offset: _o, ...noOffset } = { ...query, offset: '' };
    expect((await getShape(e, noOffset)).status).toBe(400);
  });

  it('answers an unknown handle with 409 must-refetch and a new handle', async () => {
    const org = await buildOrganization(e.db);
    const query = shapeParams(e, 'controls', org.id);
    const { handle } = await syncToUpToDate(e, query);
    const stale = await getShape(e, { ...query, offset: '123_4', handle: 'handle-from-before-a-restart' });
    expect(stale.status).toBe(409);
    expect(stale.body).toEqual([{ headers: { control: 'must-refetch' } }]);
    expect(stale.headers['electric-handle']).toBe(handle);
    expect(stale.headers['cache-control']).toBe('public, max-age=60, must-revalidate');
  });

  it('answers offset=now at once with up-to-date and the current offset', async () => {
    const org = await buildOrganization(e.db);
    await insertControls(e, org.id, ['Existing']);
    const query = shapeParams(e, 'controls', org.id);
    const { offset, handle } = await syncToUpToDate(e, query);
    const now = await getShape(e, { ...query, offset: 'now' });
    expect(now.status).toBe(200);
    expect(now.body).toEqual([{ headers: { control: 'up-to-date' } }]);
    expect(now.headers['electric-offset']).toBe(offset);
    expect(now.headers['electric-handle']).toBe(handle);
    expect(now.headers['electric-up-to-date']).toBe('');
    expect(now.headers['electric-schema']).toBeDefined();
  });

  it('holds a live request until its timeout, then answers up-to-date with a cursor', async () => {
    const org = await buildOrganization(e.db);
    const query = shapeParams(e, 'controls', org.id);
    const { offset, handle } = await syncToUpToDate(e, query);
    const started = Date.now();
    const live = await getShape(e, { ...query, offset, handle, live: 'true', cursor: '0' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(live.status).toBe(200);
    expect(live.body).toEqual([{ headers: { control: 'up-to-date' } }]);
    expect(live.headers['electric-offset']).toBe(offset);
    expect(live.headers['electric-up-to-date']).toBe('');
    const cursor = live.headers['electric-cursor'] as string;
    expect(cursor).toMatch(/^\d+$/);
    expect(live.headers['cache-control']).toContain('max-age=5');
    // Echoing the cursor back always yields a different one (cache busting).
    const again = await getShape(e, { ...query, offset, handle, live: 'true', cursor });
    expect(again.headers['electric-cursor']).not.toBe(cursor);
  });

  it('wakes a live request with the whole transaction and a trailing up-to-date', async () => {
    const org = await buildOrganization(e.db);
    const query = shapeParams(e, 'controls', org.id);
    const { offset, handle } = await syncToUpToDate(e, query);
    const pending = getShape(e, { ...query, offset, handle, live: 'true' });
    await sleep(50);
    const { ids, txid } = await insertControls(e, org.id, ['X', 'Y']);
    const live = await pending;
    const body = messages(live);
    // The live timeout is short; if it fired first, the next live requests carry the change.
    let all = body;
    for (let i = 0; i < 20 && all.length <= 1; i++)
      all = messages(await getShape(e, { ...query, offset, handle, live: 'true' }));
    const changes = all.filter((m) => m.key);
    expect(changes.map((c) => c.value?.id)).toEqual(ids);
    for (const [i, change] of changes.entries()) {
      expect(change.headers).toMatchObject({
        operation: 'insert',
        txids: [txid],
        relation: ['public', 'controls'],
      });
      expect(change.headers.lsn).toMatch(/^\d+$/);
      expect(change.headers.op_position).toEqual(expect.any(Number));
      expect(change.headers.last).toBe(i === changes.length - 1 ? true : undefined);
    }
    expect(isUpToDate(all.at(-1))).toBe(true);
    expect(all.filter(isUpToDate)).toHaveLength(1);
  });

  it('never answers a non-live request with the same offset and no up-to-date', async () => {
    const org = await buildOrganization(e.db);
    await insertControls(e, org.id, ['A']);
    const query = shapeParams(e, 'controls', org.id);
    let offset = '-1';
    let handle = '';
    for (let i = 0; i < 6; i++) {
      if (i === 3) await insertControls(e, org.id, [`B${i}`]);
      await sleep(i === 3 ? 600 : 0);
      const answer = await getShape(e, { ...query, offset, ...(handle ? { handle } : {}) });
      expect(answer.status).toBe(200);
      const next = answer.headers['electric-offset'] as string;
      if (next === offset) expect(isUpToDate(messages(answer).at(-1))).toBe(true);
      // up-to-date is only ever last
      const body = messages(answer);
      body.forEach((m, index) => {
        if (isUpToDate(m)) expect(index).toBe(body.length - 1);
      });
      offset = next;
      handle = answer.headers['electric-handle'] as string;
    }
  });

  it('sends changed columns for replica=default and whole rows with old values for replica=full', async () => {
    const org = await buildOrganization(e.db);
    const { ids } = await insertControls(e, org.id, ['Valve']);
    const columns = 'id,name,description,current_quadrant';
    const base = shapeParams(e, 'controls', org.id, { columns });
    const plain = await syncToUpToDate(e, base);
    const full = await syncToUpToDate(e, { ...base, replica: 'full' });
    expect(full.handle).not.toBe(plain.handle);
    await writeAs(e, org.id, `UPDATE controls SET name = 'Valve 2' WHERE id = $1`, [ids[0]]);
    const change = async (q: Record<string, string>, s: { offset: string; handle: string }) =>
      eventually(async () => {
        const a = await getShape(e, { ...q, offset: s.offset, handle: s.handle });
        const found = messages(a).find((m) => m.key);
        expect(found).toBeDefined();
        return found as ProtocolMessage;
      });
    const d = await change(base, plain);
    expect(d.headers.operation).toBe('update');
    expect(d.value).toEqual({ id: ids[0], name: 'Valve 2' });
    const f = await change({ ...base, replica: 'full' }, full);
    expect(f.value).toEqual({ id: ids[0], name: 'Valve 2', description: null, current_quadrant: 'strange' });
    expect(f.old_value).toEqual({ name: 'Valve' });
  });

  it('turns an update that leaves the shape into a delete and one that enters into an insert', async () => {
    const org = await buildOrganization(e.db);
    const { ids } = await insertControls(e, org.id, ['In', 'Out']);
    await writeAs(e, org.id, `UPDATE controls SET current_quadrant = 'self' WHERE id = $1`, [ids[0]]);
    const query = shapeParams(e, 'controls', org.id, {
      where: `"organization_id" = $1::uuid AND current_quadrant = $2`,
      'params[2]': 'self',
      columns: 'id,name,current_quadrant',
    });
    const synced = await syncToUpToDate(e, query);
    expect(synced.seen.filter((m) => m.key).map((m) => m.value?.name)).toEqual(['In']);
    await writeAs(
      e,
      org.id,
      `UPDATE controls SET current_quadrant = CASE WHEN id = $1 THEN 'service' ELSE 'self' END`,
      [ids[0]],
    );
    const moved = await eventually(async () => {
      const a = await getShape(e, { ...query, offset: synced.offset, handle: synced.handle });
      const changes = messages(a).filter((m) => m.key);
      expect(changes).toHaveLength(2);
      return changes;
    });
    const byId = Object.fromEntries(moved.map((m) => [m.key?.split('/')[1]?.replaceAll('"', ''), m]));
    expect(byId[ids[0] as string]?.headers.operation).toBe('delete');
    expect(byId[ids[0] as string]?.value).toEqual({ id: ids[0] });
    expect(byId[ids[1] as string]?.headers.operation).toBe('insert');
    expect(byId[ids[1] as string]?.value).toEqual({ id: ids[1], name: 'Out', current_quadrant: 'self' });
  });

  it('refuses a where that does not start with the organisation predicate, and other tables', async () => {
    const org = await buildOrganization(e.db);
    const query = shapeParams(e, 'controls', org.id, { offset: '-1' });
    expect((await getShape(e, { ...query, where: 'true OR organization_id = $1' })).status).toBe(400);
    expect(
      (await getShape(e, { ...query, where: `organization_id = $1 AND name = (SELECT 'x')` })).status,
    ).toBe(400);
    expect((await getShape(e, { ...query, table: 'sessions' })).status).toBe(400);
    expect(
      (await getShape(e, { ...shapeParams(e, 'users', org.id), offset: '-1', columns: 'id,password_hash' }))
        .status,
    ).toBe(400);
  });

  it('reads columns as the public endpoint does: quoted names, each once; a broken list is a 400', async () => {
    const org = await buildOrganization(e.db);
    const query = shapeParams(e, 'controls', org.id, { offset: '-1' });
    const quoted = await getShape(e, { ...query, columns: '"id", "name",id' });
    expect(quoted.status).toBe(200);
    expect(Object.keys(JSON.parse(quoted.headers['electric-schema'] as string)).sort()).toEqual([
      'id',
      'name',
    ]);
    for (const columns of ['id,', '"id', '"id"x', 'id,,name']) {
      const refused = await getShape(e, { ...query, columns });
      expect(refused.status).toBe(400);
      expect((refused.body as { errors: Record<string, string[]> }).errors.columns).toHaveLength(1);
    }
  });

  it('exposes metrics and a healthy check', async () => {
    const health = await e.app.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(200);
    expect(health.json().checks.sync_engine).toMatchObject({ ok: true, state: 'running' });
    const metrics = (await e.app.inject({ method: 'GET', url: '/metrics' })).body;
    for (const name of [
      'sync_engine_active_shapes',
      'sync_engine_live_subscribers',
      'sync_engine_changes_processed_total',
      'sync_engine_replication_lag_seconds',
      'sync_engine_snapshot_duration_seconds_bucket',
    ]) {
      expect(metrics).toContain(name);
    }
  });
});
