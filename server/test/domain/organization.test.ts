// /api/organization: every role reads its own organisation; admins and owners rename it and
// change close_threshold_distance, which reclassifies the controls at once; members and
// viewers are refused; another organisation is never touched; bad input is a 400.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { buildWorld, call, insertControl, sql, type World } from './world.ts';

let t: TestApp;
let w: World;
let other: World;
beforeAll(async () => {
  t = await createTestApp({ clock: new ManualClock(new Date('2026-06-01T12:00:00Z')) });
  [w, other] = await Promise.all([buildWorld(t), buildWorld(t)]);
});
afterAll(() => t.close());

const settingsOf = async (world: World) =>
  (await call(t, world.viewer, 'GET', '/api/organization')).json().data as {
    id: string;
    name: string;
    close_threshold_distance: number;
    recent_threshold_days: number;
  };

describe('organisation settings', () => {
  it('every role reads its own organisation and both thresholds', async () => {
    for (const role of ['viewer', 'member', 'admin', 'owner'] as const) {
      const response = await call(t, w[role], 'GET', '/api/organization');
      expect(response.statusCode).toBe(200);
      expect(response.json().data).toMatchObject({
        id: w.orgId,
        recent_threshold_days: 30,
        close_threshold_distance: 2,
      });
    }
  });

  it('owner and admin change the name and the close threshold; member and viewer get 403 and change nothing', async () => {
    for (const role of ['member', 'viewer'] as const) {
      const refused = await call(t, w[role], 'PATCH', '/api/organization', { close_threshold_distance: 9 });
      expect(refused.statusCode).toBe(403);
      expect(refused.json().code).toBe('FORBIDDEN');
    }
    expect((await settingsOf(w)).close_threshold_distance).toBe(2);

    const byOwner = await call(t, w.owner, 'PATCH', '/api/organization', { name: '  Renamed Ltd  ' });
    expect(byOwner.statusCode).toBe(200);
    expect(byOwner.json().data.name).toBe('Renamed Ltd');
    expect(Number.isInteger(byOwner.json().txid)).toBe(true);
    const byAdmin = await call(t, w.admin, 'PATCH', '/api/organization', { close_threshold_distance: 2.5 });
    expect(byAdmin.statusCode).toBe(200);
    expect(byAdmin.json().data.close_threshold_distance).toBe(2.5);
    expect(await settingsOf(w)).toMatchObject({ name: 'Renamed Ltd', close_threshold_distance: 2.5 });
  });

  it('a new close threshold reclassifies the controls at once, with an audit row naming the actor', async () => {
    const control = await insertControl(t, w.orgId, { quadrant: 'service', provider_distance: 3 });
    const response = await call(t, w.owner, 'PATCH', '/api/organization', { close_threshold_distance: 4 });
    expect(response.statusCode).toBe(200);
    expect(response.json().moved).toBeGreaterThanOrEqual(1);
    const [row] = await sql<{ current_quadrant: string }>(
      t,
      w.orgId,
      'SELECT current_quadrant FROM controls WHERE id = $1',
      [control],
    );
    expect(row!.current_quadrant).toBe('self');
    const moves = await sql<{ quadrant: string; previous_quadrant: string; reason: string }>(
      t,
      w.orgId,
      'SELECT quadrant, previous_quadrant, reason FROM quadrant_classifications WHERE control_id = $1',
      [control],
    );
    expect(moves).toEqual([{ quadrant: 'self', previous_quadrant: 'service', reason: 'network_change' }]);
    const audit = await call(t, w.admin, 'GET', '/api/audit?entity_type=organizations');
    expect(audit.json().data[0]).toMatchObject({
      action: 'update',
      actor_user_id: w.owner.id,
      entity_id: w.orgId,
      after: expect.objectContaining({ close_threshold_distance: 4 }),
    });
  });

  it('never reaches another organisation: a smuggled id is refused and the other one is unchanged', async () => {
    const before = await settingsOf(other);
    for (const body of [
      { id: other.orgId, name: 'Hijacked' },
      { organization_id: other.orgId, name: 'Hijacked' },
    ]) {
      const response = await call(t, w.owner, 'PATCH', '/api/organization', body);
      expect(response.statusCode).toBe(400);
      expect(response.json().code).toBe('VALIDATION_ERROR');
    }
    await call(t, w.owner, 'PATCH', '/api/organization', { name: 'Only mine', close_threshold_distance: 7 });
    expect(await settingsOf(other)).toEqual(before);
    expect((await call(t, other.owner, 'GET', '/api/organization')).json().data.name).not.toBe('Only mine');
  });

  it('refuses bad input with a 400 in the one error shape and changes nothing', async () => {
    const before = await settingsOf(w);
    for (const body of [
      {},
      { close_threshold_distance: 0 },
      { close_threshold_distance: -1 },
      { close_threshold_distance: '3' },
      { close_threshold_distance: 1e9 },
      { close_threshold_distance: null },
      { name: '' },
      { name: '   ' },
      { name: 'x'.repeat(201) },
      { name: 'bad\u0000name' },
      { recent_threshold_days: 10 },
      { slug: 'other' },
    ]) {
      const response = await call(t, w.owner, 'PATCH', '/api/organization', body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(response.json()).toEqual({
        error: expect.any(String),
        code: 'VALIDATION_ERROR',
        details: expect.any(Object),
      });
    }
    expect(await settingsOf(w)).toEqual(before);
  });

  it('refuses requests without a token', async () => {
    const response = await t.app.inject({
      method: 'PATCH',
      url: '/api/organization',
      payload: { name: 'x' },
    });
    expect(response.statusCode).toBe(401);
  });
});
