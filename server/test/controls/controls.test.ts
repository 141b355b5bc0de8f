// The controls routes as a client uses them: create (with a client-made id), read, update,
// delete, the list with filters, sorting and both kinds of pagination, and interactions with
// their idempotent client ids.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { buildTenant, call, control, type Json, provider, type Tenant, touch } from './world.ts';

const clock = new ManualClock(new Date('2026-05-01T08:00:00Z'));
let t: TestApp;
let a: Tenant;
beforeAll(async () => {
  t = await createTestApp({ clock });
  a = await buildTenant(t);
});
afterAll(() => t.close());

describe('create, read, update, delete', () => {
  it('creates with database column names and returns a numeric txid', async () => {
    const res = await call(t, a.users.admin, 'POST', '/api/controls', {
      name: '  Gas detector  ',
      description: 'Portable 4-gas',
      control_type: 'technical',
      functional_range: 'narrow',
      requires_refresher_training: true,
      owned_by_user: a.users.member.id,
    });
    expect(res.status).toBe(201);
    expect(Number.isInteger(res.body.txid)).toBe(true);
    expect(res.body.data).toMatchObject({
      organization_id: a.org.id,
      name: 'Gas detector',
      description: 'Portable 4-gas',
      control_type: 'technical',
      functional_range: 'narrow',
      primary_provider_id: null,
      owned_by_user: a.users.member.id,
      last_touched_at: null,
      provider_distance: null,
      current_quadrant: 'strange',
      requires_refresher_training: true,
    });
    const read = await call(t, a.users.viewer, 'GET', `/api/controls/${res.body.data.id}`);
    expect(read.status).toBe(200);
    expect(read.body.data).toEqual({ ...res.body.data, attention: expect.any(Array) });
  });

  it('a client-made id is used, and repeating the create returns the same control (200), not a copy', async () => {
    const id = randomUUID();
    const body = { id, name: 'Harness', control_type: 'physical', functional_range: 'narrow' };
    const first = await call(t, a.users.admin, 'POST', '/api/controls', body);
    expect(first.status).toBe(201);
    expect(first.body.data.id).toBe(id);
    const again = await call(t, a.users.admin, 'POST', '/api/controls', body);
    expect(again.status).toBe(200);
    expect(again.body.data).toEqual(first.body.data);
    expect(again.body.txid).toBe(first.body.txid);
    const history = await call(t, a.users.viewer, 'GET', `/api/controls/${id}/classifications`);
    expect(history.body.data).toHaveLength(1);
  });

  it('updates only the given fields; an empty patch is refused', async () => {
    const c = await control(t, a, { description: 'keep me' });
    const res = await call(t, a.users.admin, 'PATCH', `/api/controls/${c.id}`, {
      name: 'New name',
      description: null,
    });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ name: 'New name', description: null, control_type: 'physical' });
    expect(typeof res.body.txid).toBe('number');
    expect((await call(t, a.users.admin, 'PATCH', `/api/controls/${c.id}`, {})).status).toBe(400);
  });

  it('deletes, returning the deleted row; afterwards 404 everywhere', async () => {
    const c = await control(t, a);
    await touch(t, a.users.member, c.id);
    const res = await call(t, a.users.admin, 'DELETE', `/api/controls/${c.id}`);
    expect(res.status).toBe(200);
    expect(res.body.data.id).toBe(c.id);
    for (const url of [
      `/api/controls/${c.id}`,
      `/api/controls/${c.id}/interactions`,
      `/api/controls/${c.id}/classifications`,
    ]) {
      expect((await call(t, a.users.viewer, 'GET', url)).status).toBe(404);
    }
    expect((await call(t, a.users.admin, 'DELETE', `/api/controls/${c.id}`)).status).toBe(404);
    expect(
      (
        await call(t, a.users.member, 'POST', `/api/controls/${c.id}/interactions`, {
          interaction_type: 'use',
        })
      ).status,
    ).toBe(404);
  });

  it('a duplicate provider name is a 409 conflict', async () => {
    const p = await provider(t, a);
    const res = await call(t, a.users.admin, 'POST', '/api/providers', {
      name: p.name.toUpperCase(),
      provider_type: 'vendor',
    });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('CONFLICT');
  });
});

describe('the list', () => {
  let b: Tenant;
  let names: string[];
  let p: { id: string };
  beforeAll(async () => {
    b = await buildTenant(t);
    p = await provider(t, b, { is_user_themselves: true, provider_type: 'user' });
    names = ['alpha pump', 'Bravo valve', 'charlie 50%_off', 'delta pump', 'echo guard'];
    for (const [i, name] of names.entries()) {
      const c = await control(t, b, {
        name,
        primary_provider_id: i % 2 === 0 ? p.id : null,
        control_type: i < 2 ? 'procedural' : 'physical',
      });
      if (i < 3) {
        clock.advanceDays(1);
        await touch(t, b.users.member, c.id);
      }
    }
  });
  const list = async (query = '') => {
    const res = await call(t, b.users.viewer, 'GET', `/api/controls${query}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body as { data: Json[]; next_cursor: string | null };
  };

  it('sorts by name by default, and by other keys in both directions', async () => {
    expect((await list()).data.map((c) => c.name)).toEqual(names);
    expect((await list('?sort=-name')).data.map((c) => c.name)).toEqual([...names].reverse());
    const touched = (await list('?sort=-last_touched_at')).data.map((c) => c.name);
    expect(touched.slice(0, 3)).toEqual(['charlie 50%_off', 'Bravo valve', 'alpha pump']);
    const byDistance = (await list('?sort=provider_distance')).data.map((c) => c.provider_distance);
    expect(byDistance).toEqual([0, 0, 0, null, null]);
  });

  it('filters by quadrant, provider, type and name (wildcards are literal)', async () => {
    expect((await list('?quadrant=self')).data.map((c) => c.name)).toEqual(['alpha pump', 'charlie 50%_off']);
    expect((await list('?quadrant=service')).data.map((c) => c.name)).toEqual(['Bravo valve']);
    expect((await list(`?provider_id=${p.id}`)).data).toHaveLength(3);
    expect((await list('?control_type=procedural')).data).toHaveLength(2);
    expect((await list('?q=PUMP')).data.map((c) => c.name)).toEqual(['alpha pump', 'delta pump']);
    expect((await list('?q=50%25_')).data.map((c) => c.name)).toEqual(['charlie 50%_off']);
    expect((await list('?q=%25')).data).toHaveLength(1);
    expect((await list('?q=_')).data).toHaveLength(1);
  });

  it('pages with offset and with the cursor, in every sort, without gaps or repeats', async () => {
    expect((await list('?limit=2&offset=2')).data.map((c) => c.name)).toEqual(names.slice(2, 4));
    for (const sort of [
      'name',
      '-name',
      'created_at',
      '-updated_at',
      'last_touched_at',
      '-provider_distance',
    ]) {
      const all = (await list(`?sort=${sort}`)).data.map((c) => c.id);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { data: Json[]; next_cursor: string | null } = await list(
          `?sort=${sort}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        );
        seen.push(...page.data.map((c) => c.id));
        cursor = page.next_cursor;
      } while (cursor);
      expect(seen, sort).toEqual(all);
    }
  });

  it('plugs in attention: every row carries its reasons, ?attention= filters on them', async () => {
    const all = (await list('?limit=200')).data;
    expect(all.every((c) => Array.isArray(c.attention))).toBe(true);
    const needing = all.filter((c) => c.attention.length > 0).map((c) => c.id);
    expect(needing.length).toBeGreaterThan(0); // the never-touched controls are overdue
    expect((await list('?attention=true&limit=200')).data.map((c) => c.id).sort()).toEqual(
      [...needing].sort(),
    );
    const calm = (await list('?attention=false&limit=200')).data;
    expect(calm.every((c) => c.attention.length === 0)).toBe(true);
    expect(calm.length + needing.length).toBe(all.length);
  });

  it('refuses a cursor from another sort, a forged cursor, and cursor with offset', async () => {
    const { next_cursor } = await list('?limit=1');
    for (const query of [
      `?sort=-name&cursor=${next_cursor}`,
      '?cursor=bm90LWpzb24',
      `?cursor=${next_cursor}&offset=1`,
    ]) {
      const res = await call(t, b.users.viewer, 'GET', `/api/controls${query}`);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_ERROR');
    }
  });
});

describe('interactions', () => {
  it('records a touch with user and details, lists newest first', async () => {
    const c = await control(t, a);
    await touch(t, a.users.member, c.id, {
      interaction_type: 'inspect',
      duration_minutes: 15,
      notes: 'ok',
      issues_found: true,
    });
    clock.advanceDays(0.5);
    const second = await touch(t, a.users.owner, c.id, { interaction_type: 'test' });
    expect(Number.isInteger(second.txid)).toBe(true);
    const res = await call(t, a.users.viewer, 'GET', `/api/controls/${c.id}/interactions`);
    expect(res.body.data.map((i: Json) => [i.interaction_type, i.user_id])).toEqual([
      ['test', a.users.owner.id],
      ['inspect', a.users.member.id],
    ]);
    expect(res.body.data[1]).toMatchObject({
      duration_minutes: 15,
      notes: 'ok',
      issues_found: true,
      organization_id: a.org.id,
    });
    const paged = await call(t, a.users.viewer, 'GET', `/api/controls/${c.id}/interactions?limit=1&offset=1`);
    expect(paged.body.data.map((i: Json) => i.interaction_type)).toEqual(['inspect']);
  });

  it('a repeated client id returns the recorded interaction and never applies twice (offline outbox)', async () => {
    const c = await control(t, a);
    const id = randomUUID();
    const body = { id, interaction_type: 'maintain', notes: 'replaced filter' };
    const first = await call(t, a.users.member, 'POST', `/api/controls/${c.id}/interactions`, body);
    expect(first.status).toBe(201);
    expect(first.body.data.id).toBe(id);
    clock.advanceDays(2);
    const replays = await Promise.all(
      [1, 2, 3].map(() => call(t, a.users.member, 'POST', `/api/controls/${c.id}/interactions`, body)),
    );
    for (const replay of replays) {
      expect(replay.status).toBe(200);
      expect(replay.body.data).toEqual(first.body.data);
      expect(replay.body.txid).toBe(first.body.txid);
      expect(replay.body.control.last_touched_at).toBe(first.body.control.last_touched_at);
    }
    const list = await call(t, a.users.viewer, 'GET', `/api/controls/${c.id}/interactions`);
    expect(list.body.data).toHaveLength(1);
    // The same id on another control is a conflict, not a silent success.
    const other = await control(t, a);
    const clash = await call(t, a.users.member, 'POST', `/api/controls/${other.id}/interactions`, body);
    expect(clash.status).toBe(409);
  });

  it('concurrent first deliveries of one client id record one interaction', async () => {
    const c = await control(t, a);
    const body = { id: randomUUID(), interaction_type: 'use' };
    const results = await Promise.all(
      [1, 2, 3, 4].map(() => call(t, a.users.member, 'POST', `/api/controls/${c.id}/interactions`, body)),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 201]);
    const list = await call(t, a.users.viewer, 'GET', `/api/controls/${c.id}/interactions`);
    expect(list.body.data).toHaveLength(1);
  });

  it('back-dates a touch within 90 days and refuses an older date, changing nothing', async () => {
    const c = await control(t, a);
    const day = 86_400_000;
    const within = new Date(clock.now().getTime() - 89 * day).toISOString();
    const ok = await call(t, a.users.member, 'POST', `/api/controls/${c.id}/interactions`, {
      interaction_type: 'inspect',
      occurred_at: within,
      notes: 'found on the clipboard',
      issues_found: true,
      duration_minutes: 20,
    });
    expect(ok.status).toBe(201);
    expect(new Date(ok.body.data.occurred_at).toISOString()).toBe(within);
    expect(new Date(ok.body.control.last_touched_at).toISOString()).toBe(within);

    const tooOld = new Date(clock.now().getTime() - 91 * day).toISOString();
    const refused = await call(t, a.users.member, 'POST', `/api/controls/${c.id}/interactions`, {
      interaction_type: 'inspect',
      occurred_at: tooOld,
    });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({
      code: 'VALIDATION_ERROR',
      details: { field: 'occurred_at', max_days_back: 90 },
    });
    const list = await call(t, a.users.viewer, 'GET', `/api/controls/${c.id}/interactions`);
    expect(list.body.data).toHaveLength(1);
  });
});
