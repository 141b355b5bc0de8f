import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { buildWorld, call, daysBefore, insertControl, sql, type World } from './world.ts';

let t: TestApp;
let w: World;
let other: World;
beforeAll(async () => {
  t = await createTestApp({ clock: new ManualClock(new Date('2026-06-01T12:00:00Z')) });
  [w, other] = await Promise.all([buildWorld(t), buildWorld(t)]);
});
afterAll(() => t.close());

const strategyOf = async (world: World, quadrant: string) => {
  const response = await call(t, world.viewer, 'GET', '/api/verification-strategies');
  return response.json().data.find((s: { quadrant: string }) => s.quadrant === quadrant);
};

describe('verification strategies', () => {
  it('lists the four defaults to every role', async () => {
    for (const role of ['viewer', 'member', 'admin', 'owner'] as const) {
      const response = await call(t, w[role], 'GET', '/api/verification-strategies');
      expect(response.statusCode).toBe(200);
      expect(
        response.json().data.map((s: Record<string, unknown>) => [s.quadrant, s.method, s.frequency_days]),
      ).toEqual([
        ['self', 'user_reporting', 30],
        ['specialist', 'toolbox_talk', 90],
        ['service', 'sla_monitoring', 7],
        ['strange', 'proactive_sampling', 180],
      ]);
    }
  });

  it('gives an organisation made by POST /auth/register the four defaults', async () => {
    const registered = await t.app.inject({
      method: 'POST',
      url: '/auth/register',
      payload: {
        email: `owner-${Date.now()}@example.test`,
        password: 'a long enough password 123',
        organization_name: 'Fresh Org',
      },
    });
    expect(registered.statusCode).toBe(201);
    const response = await t.app.inject({
      method: 'GET',
      url: '/api/verification-strategies',
      headers: { authorization: `Bearer ${registered.json().access_token}` },
    });
    expect(
      response
        .json()
        .data.map((s: Record<string, unknown>) => [s.quadrant, s.frequency_days, s.notification_days_before]),
    ).toEqual([
      ['self', 30, 7],
      ['specialist', 90, 7],
      ['service', 7, 7],
      ['strange', 180, 7],
    ]);
  });

  it('lets admins and owners edit, answering {data, txid}', async () => {
    const strange = await strategyOf(w, 'strange');
    for (const role of ['admin', 'owner'] as const) {
      const response = await call(t, w[role], 'PATCH', `/api/verification-strategies/${strange.id}`, {
        frequency_days: role === 'admin' ? 120 : 150,
        escalation_enabled: true,
      });
      expect(response.statusCode).toBe(200);
      expect(response.json().data).toMatchObject({ quadrant: 'strange', escalation_enabled: true });
      expect(typeof response.json().txid).toBe('number');
    }
    expect((await strategyOf(w, 'strange')).frequency_days).toBe(150);
  });

  it('refuses members and viewers with 403 and changes nothing', async () => {
    const self = await strategyOf(w, 'self');
    for (const role of ['member', 'viewer'] as const) {
      const response = await call(t, w[role], 'PATCH', `/api/verification-strategies/${self.id}`, {
        frequency_days: 1,
      });
      expect(response.statusCode).toBe(403);
      expect(response.json().code).toBe('FORBIDDEN');
    }
    expect((await strategyOf(w, 'self')).frequency_days).toBe(30);
  });

  it('answers 404 for another organisation’s strategy, reading or writing', async () => {
    const theirs = await strategyOf(other, 'self');
    expect((await call(t, w.viewer, 'GET', `/api/verification-strategies/${theirs.id}`)).statusCode).toBe(
      404,
    );
    const patch = await call(t, w.owner, 'PATCH', `/api/verification-strategies/${theirs.id}`, {
      frequency_days: 1,
    });
    expect(patch.statusCode).toBe(404);
    expect((await strategyOf(other, 'self')).frequency_days).toBe(30);
  });

  it('refuses unknown fields, quadrant changes and out-of-range values with 400', async () => {
    const self = await strategyOf(w, 'self');
    for (const body of [
      { frequency_days: 0 },
      { frequency_days: 3651 },
      { frequency_days: 2.5 },
      { notification_days_before: -1 },
      { method: 'guesswork' },
      { quadrant: 'strange' },
      { organization_id: other.orgId },
      {},
    ]) {
      const response = await call(t, w.admin, 'PATCH', `/api/verification-strategies/${self.id}`, body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(response.json().code).toBe('VALIDATION_ERROR');
    }
    expect((await call(t, w.admin, 'GET', '/api/verification-strategies/not-a-uuid')).statusCode).toBe(400);
  });

  it('re-scores the quadrant’s controls when the frequency changes', async () => {
    const world = await buildWorld(t);
    const now = t.clock.now();
    const id = await insertControl(t, world.orgId, {
      quadrant: 'specialist',
      last_touched_at: daysBefore(now, 45),
    });
    const specialist = await strategyOf(world, 'specialist');
    await call(t, world.admin, 'PATCH', `/api/verification-strategies/${specialist.id}`, {
      frequency_days: 45,
    });
    const [control] = await sql<{ failure_probability: number }>(
      t,
      world.orgId,
      'SELECT failure_probability FROM controls WHERE id = $1',
      [id],
    );
    // 0.02 + 0.30 × (45 / 45) + 0.04 × 1 = 0.36
    expect(control!.failure_probability).toBe(0.36);
  });
});

describe('the Self frequency is the Recent threshold', () => {
  it('moves a control touched 20 days ago from Self to Specialist when Self becomes every 14 days', async () => {
    const world = await buildWorld(t);
    const now = t.clock.now();
    const controlId = await insertControl(t, world.orgId, {
      quadrant: 'self',
      last_touched_at: daysBefore(now, 20),
    });
    const self = await strategyOf(world, 'self');

    const patched = await call(t, world.admin, 'PATCH', `/api/verification-strategies/${self.id}`, {
      frequency_days: 14,
    });
    expect(patched.statusCode).toBe(200);

    const [org] = await sql<{ recent_threshold_days: number }>(
      t,
      world.orgId,
      'SELECT recent_threshold_days FROM organizations',
    );
    expect(org!.recent_threshold_days).toBe(14);
    const control = await call(t, world.viewer, 'GET', `/api/controls/${controlId}`);
    expect(control.json().data.current_quadrant).toBe('specialist');
    const history = await call(t, world.viewer, 'GET', `/api/controls/${controlId}/classifications`);
    expect(history.json().data[0]).toMatchObject({ quadrant: 'specialist', previous_quadrant: 'self' });
  });
});
