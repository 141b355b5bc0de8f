// /api/competencies: everyone reads, admins manage; ?expiring=true; isolation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { buildWorld, call, insertControl, type World } from './world.ts';

let t: TestApp;
let w: World;
let other: World;
let control: string;
beforeAll(async () => {
  t = await createTestApp({ clock: new ManualClock(new Date('2026-06-01T12:00:00Z')) });
  [w, other] = await Promise.all([buildWorld(t), buildWorld(t)]);
  control = await insertControl(t, w.orgId, { quadrant: 'specialist' });
});
afterAll(() => t.close());

const record = (world: World, controlId: string, fields: Record<string, unknown> = {}) =>
  call(t, world.admin, 'POST', '/api/competencies', {
    user_id: world.member.id,
    control_id: controlId,
    competency_level: 'competent',
    ...fields,
  });

describe('competency records', () => {
  it('lets admins and owners record, edit and remove; others read only', async () => {
    const created = await record(w, control, { next_refresher_due: '2026-09-01', training_hours: 4 });
    expect(created.statusCode).toBe(201);
    const id = created.json().data.id;
    expect(created.json().data).toMatchObject({ next_refresher_due: '2026-09-01', training_hours: 4 });
    for (const role of ['viewer', 'member'] as const) {
      expect((await call(t, w[role], 'GET', `/api/competencies/${id}`)).statusCode).toBe(200);
      expect(
        (await call(t, w[role], 'PATCH', `/api/competencies/${id}`, { competency_level: 'expert' }))
          .statusCode,
      ).toBe(403);
      expect((await call(t, w[role], 'DELETE', `/api/competencies/${id}`)).statusCode).toBe(403);
      const post = await call(t, w[role], 'POST', '/api/competencies', {
        user_id: w.member.id,
        control_id: control,
        competency_level: 'novice',
      });
      expect(post.statusCode).toBe(403);
    }
    const patched = await call(t, w.owner, 'PATCH', `/api/competencies/${id}`, {
      competency_level: 'expert',
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json().data.competency_level).toBe('expert');
    expect((await call(t, w.admin, 'DELETE', `/api/competencies/${id}`)).statusCode).toBe(200);
    expect((await call(t, w.viewer, 'GET', `/api/competencies/${id}`)).statusCode).toBe(404);
  });

  it('lists records expiring within the Specialist notification window, or already past', async () => {
    const world = await buildWorld(t);
    const c = await insertControl(t, world.orgId, { quadrant: 'specialist' });
    const ids: Record<string, string> = {};
    for (const [key, fields] of Object.entries({
      past: { next_refresher_due: '2026-05-01' },
      soon: { next_refresher_due: '2026-06-08' }, // today + 7 (default notification_days_before)
      later: { next_refresher_due: '2026-06-09' },
      certificate: { certification_expires: '2026-06-05', next_refresher_due: '2027-01-01' },
      undated: {},
    })) {
      ids[key] = (await record(world, c, fields)).json().data.id;
    }
    const expiring = await call(t, world.viewer, 'GET', '/api/competencies?expiring=true');
    expect(expiring.statusCode).toBe(200);
    expect(expiring.json().data.map((r: { id: string }) => r.id)).toEqual([
      ids.past,
      ids.certificate,
      ids.soon,
    ]);
    const wider = await call(t, world.viewer, 'GET', '/api/competencies?expiring=true&within_days=8');
    expect(wider.json().data).toHaveLength(4);
    const all = await call(t, world.viewer, 'GET', '/api/competencies');
    expect(all.json().data).toHaveLength(5);
  });

  it('keeps organisations apart', async () => {
    const theirControl = await insertControl(t, other.orgId);
    const theirs = (await record(other, theirControl)).json().data.id;
    expect((await call(t, w.viewer, 'GET', `/api/competencies/${theirs}`)).statusCode).toBe(404);
    expect(
      (await call(t, w.owner, 'PATCH', `/api/competencies/${theirs}`, { training_hours: 1 })).statusCode,
    ).toBe(404);
    expect((await call(t, w.owner, 'DELETE', `/api/competencies/${theirs}`)).statusCode).toBe(404);
    const list = (await call(t, w.viewer, 'GET', '/api/competencies')).json().data;
    expect(list.map((r: { id: string }) => r.id)).not.toContain(theirs);
    // Pointing a record at another organisation's user or control is refused.
    expect((await record(w, theirControl)).statusCode).toBe(404);
    expect((await record(w, control, { user_id: other.member.id })).statusCode).toBe(404);
  });

  it('refuses bad input with 400', async () => {
    for (const fields of [
      { competency_level: 'wizard' },
      { next_refresher_due: '2026-13-01' },
      { next_refresher_due: '2026-02-30' },
      { training_hours: -1 },
      { organization_id: other.orgId },
    ]) {
      expect((await record(w, control, fields)).statusCode, JSON.stringify(fields)).toBe(400);
    }
    expect((await call(t, w.viewer, 'GET', '/api/competencies?expiring=yes')).statusCode).toBe(400);
  });
});
