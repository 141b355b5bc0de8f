// Risk predictions: recomputed when inputs change (creation, touch, traces, sweep), stored with
// their explanation, controls.failure_probability kept current, read per organisation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { buildWorld, call, sql, type World } from './world.ts';

const clock = new ManualClock(new Date('2026-06-01T12:00:00Z'));
let t: TestApp;
let w: World;
let other: World;
beforeAll(async () => {
  t = await createTestApp({ clock });
  [w, other] = await Promise.all([buildWorld(t), buildWorld(t)]);
});
afterAll(() => t.close());

async function createControl(world: World, fields: Record<string, unknown> = {}) {
  const response = await call(t, world.admin, 'POST', '/api/controls', {
    name: 'Gas detector',
    control_type: 'technical',
    functional_range: 'narrow',
    ...fields,
  });
  expect(response.statusCode).toBe(201);
  return response.json().data.id as string;
}
async function predictions(world: World, controlId: string) {
  const response = await call(t, world.viewer, 'GET', `/api/predictions?control_id=${controlId}`);
  expect(response.statusCode).toBe(200);
  // biome-ignore lint/suspicious/noExplicitAny: JSON rows read field by field in assertions
  return response.json().data as Array<Record<string, any>>;
}
async function storedProbability(world: World, controlId: string) {
  const [row] = await sql<{ failure_probability: number }>(
    t,
    world.orgId,
    'SELECT failure_probability FROM controls WHERE id = $1',
    [controlId],
  );
  return row!.failure_probability;
}

describe('risk predictions', () => {
  it('scores a new control at creation, with an explanation a person can follow', async () => {
    const id = await createControl(w);
    const [latest, ...older] = await predictions(w, id);
    expect(older).toEqual([]);
    // Never touched (0.60) and no provider, so unreachable (0.20), plus the base 0.02.
    expect(latest).toMatchObject({
      control_id: id,
      failure_probability: 0.82,
      model_version: 'points-v1',
      quadrant: 'strange',
      days_since_touched: null,
      predicted_failure_date: '2026-06-01',
    });
    expect(latest!.explanation.terms.map((term: { term: string }) => term.term)).toEqual([
      'base',
      'age',
      'distance',
      'incidents',
      'defects',
      'issues',
      'range',
    ]);
    expect(latest!.explanation.key).toBeUndefined();
    expect(await storedProbability(w, id)).toBe(0.82);
  });

  it('re-scores on a touch, on issues found, and on incident reports', async () => {
    const id = await createControl(w, { functional_range: 'wide' });
    const touch = await call(t, w.member, 'POST', `/api/controls/${id}/interactions`, {
      interaction_type: 'use',
    });
    expect(touch.statusCode).toBe(201);
    // touched today (0), unreachable (0.20), wide (0.05), base 0.02
    expect(await storedProbability(w, id)).toBe(0.27);

    await call(t, w.member, 'POST', `/api/controls/${id}/interactions`, {
      interaction_type: 'inspect',
      issues_found: true,
    });
    expect(await storedProbability(w, id)).toBe(0.33);

    const trace = await call(t, w.member, 'POST', '/api/traces', {
      control_id: id,
      trace_type: 'incident_report',
      severity: 'high',
    });
    expect(trace.statusCode).toBe(201);
    expect(await storedProbability(w, id)).toBe(0.45);
    const history = await predictions(w, id);
    expect(history.map((p) => p.failure_probability)).toEqual([0.45, 0.33, 0.27, 0.87]);
    expect(history[0]).toMatchObject({ incident_count: 1, issues_found_count: 1, trace_count: 1 });
  });

  it('re-scores moved controls in the time sweep', async () => {
    const world = await buildWorld(t);
    const id = await createControl(world);
    await call(t, world.member, 'POST', `/api/controls/${id}/interactions`, { interaction_type: 'use' });
    const fresh = await storedProbability(world, id);
    clock.advanceDays(45);
    try {
      await t.app.runSweep({ only: [world.orgId] });
      expect(await storedProbability(world, id)).toBeGreaterThan(fresh);
    } finally {
      clock.advanceDays(-45);
    }
  });

  it('re-scores controls that age without moving in the time sweep', async () => {
    const world = await buildWorld(t);
    const now = clock.now();
    const [row] = await sql<{ id: string }>(
      t,
      world.orgId,
      `INSERT INTO controls (organization_id, name, control_type, functional_range, current_quadrant,
         last_touched_at, provider_distance) VALUES ($1, 'Confined-space kit', 'physical', 'narrow', 'specialist', $2, 1)
       RETURNING id`,
      [world.orgId, new Date(now.getTime() - 45 * 86_400_000)],
    );
    await t.app.runSweep({ only: [world.orgId] });
    // 0.02 + 0.30 × 45/90 + 0.04 × 1 = 0.21
    expect(await storedProbability(world, row!.id)).toBe(0.21);
    clock.advanceDays(45);
    try {
      await t.app.runSweep({ only: [world.orgId] });
      // still Specialist; 0.02 + 0.30 × 90/90 + 0.04 = 0.36
      expect(await storedProbability(world, row!.id)).toBe(0.36);
      const [latest] = await predictions(world, row!.id);
      expect(latest).toMatchObject({
        quadrant: 'specialist',
        days_since_touched: 90,
        failure_probability: 0.36,
      });
    } finally {
      clock.advanceDays(-45);
    }
  });

  it('does not append a row when nothing changed', async () => {
    const id = await createControl(w);
    await call(t, w.admin, 'POST', '/api/predictions/recompute', { control_ids: [id] });
    await call(t, w.admin, 'POST', '/api/predictions/recompute', {});
    expect(await predictions(w, id)).toHaveLength(1);
  });

  it('lists each control’s latest prediction without a control_id, only for the caller’s organisation', async () => {
    const mine = await createControl(w);
    const theirs = await createControl(other);
    const response = await call(t, w.viewer, 'GET', '/api/predictions');
    const ids = response.json().data.map((p: { control_id: string }) => p.control_id);
    expect(ids).toContain(mine);
    expect(ids).not.toContain(theirs);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('answers 404 for another organisation’s control and 400 for a malformed id', async () => {
    const theirs = await createControl(other);
    expect((await call(t, w.viewer, 'GET', `/api/predictions?control_id=${theirs}`)).statusCode).toBe(404);
    expect((await call(t, w.viewer, 'GET', '/api/predictions?control_id=nope')).statusCode).toBe(400);
    expect((await call(t, w.viewer, 'GET', '/api/predictions?colour=red')).statusCode).toBe(400);
  });

  it('lets only admins and owners trigger a recompute, and never across organisations', async () => {
    const theirs = await createControl(other);
    for (const role of ['viewer', 'member'] as const) {
      expect((await call(t, w[role], 'POST', '/api/predictions/recompute', {})).statusCode).toBe(403);
    }
    const response = await call(t, w.owner, 'POST', '/api/predictions/recompute', { control_ids: [theirs] });
    expect(response.statusCode).toBe(200);
    expect(response.json().data).toEqual({ recomputed: 0 });
    expect((await call(t, w.owner, 'POST', '/api/predictions/recompute', { nope: 1 })).statusCode).toBe(400);
  });

  it('requires a token', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/predictions' });
    expect(response.statusCode).toBe(401);
  });
});
