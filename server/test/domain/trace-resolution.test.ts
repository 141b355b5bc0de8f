// PATCH /api/traces/:id: members update an incident's account and severity and resolve or
// reopen it (stamped with time and person); viewers cannot; another organisation's trace is a
// 404 and stays untouched; bad input is a 400 that changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { buildWorld, call, insertControl, type World } from './world.ts';

const clock = new ManualClock(new Date('2026-06-01T12:00:00Z'));
let t: TestApp;
let w: World;
let other: World;
let control: string;
beforeAll(async () => {
  t = await createTestApp({ clock });
  [w, other] = await Promise.all([buildWorld(t), buildWorld(t)]);
  control = await insertControl(t, w.orgId);
});
afterAll(() => t.close());

async function incident(world: World, controlId: string) {
  const response = await call(t, world.member, 'POST', '/api/traces', {
    control_id: controlId,
    trace_type: 'incident_report',
    description: 'Guard found open',
    severity: 'medium',
  });
  expect(response.statusCode).toBe(201);
  return response.json().data.id as string;
}

describe('updating and resolving a trace', () => {
  it('a member updates the account and severity, resolves, and reopens', async () => {
    const id = await incident(w, control);
    const updated = await call(t, w.member, 'PATCH', `/api/traces/${id}`, {
      description: 'Guard found open on line 2',
      severity: 'high',
    });
    expect(updated.statusCode).toBe(200);
    expect(updated.json().data).toMatchObject({
      description: 'Guard found open on line 2',
      severity: 'high',
      resolved_at: null,
    });
    expect(typeof updated.json().txid).toBe('number');

    clock.advanceDays(1);
    const resolved = await call(t, w.admin, 'PATCH', `/api/traces/${id}`, {
      resolved: true,
      resolution: 'Interlock replaced',
    });
    expect(resolved.statusCode).toBe(200);
    expect(resolved.json().data).toMatchObject({
      resolution: 'Interlock replaced',
      resolved_by_user_id: w.admin.id,
      description: 'Guard found open on line 2',
    });
    expect(new Date(resolved.json().data.resolved_at).toISOString()).toBe(clock.now().toISOString());

    const reopened = await call(t, w.member, 'PATCH', `/api/traces/${id}`, { resolved: false });
    expect(reopened.json().data).toMatchObject({
      resolved_at: null,
      resolved_by_user_id: null,
      resolution: 'Interlock replaced',
    });
  });

  it('a resolved incident still counts for the risk (it happened within the window)', async () => {
    const c = await insertControl(t, w.orgId);
    const id = await incident(w, c);
    const score = async () =>
      (await call(t, w.viewer, 'GET', `/api/predictions?control_id=${c}&limit=1`)).json().data[0]
        .failure_probability;
    const withIncident = await score();
    await call(t, w.member, 'PATCH', `/api/traces/${id}`, { resolved: true });
    expect(await score()).toBe(withIncident);
  });

  it('refuses viewers with 403 and changes nothing', async () => {
    const id = await incident(w, control);
    const response = await call(t, w.viewer, 'PATCH', `/api/traces/${id}`, { resolved: true });
    expect(response.statusCode).toBe(403);
    expect((await call(t, w.viewer, 'GET', `/api/traces/${id}`)).json().data.resolved_at).toBeNull();
  });

  it("answers 404 for another organisation's trace and leaves it untouched", async () => {
    const theirs = await incident(other, await insertControl(t, other.orgId));
    const response = await call(t, w.owner, 'PATCH', `/api/traces/${theirs}`, {
      resolved: true,
      description: 'hijacked',
    });
    expect(response.statusCode).toBe(404);
    expect(response.json().code).toBe('NOT_FOUND');
    const stored = (await call(t, other.viewer, 'GET', `/api/traces/${theirs}`)).json().data;
    expect(stored).toMatchObject({ description: 'Guard found open', resolved_at: null });
  });

  it('refuses bad input with 400 in the one error shape and writes nothing', async () => {
    const id = await incident(w, control);
    const before = (await call(t, w.viewer, 'GET', `/api/traces/${id}`)).json().data;
    for (const body of [
      {},
      { resolved: 'yes' },
      { severity: 'catastrophic' },
      { resolution: 'x'.repeat(5001) },
      { description: 'bad\u0000text' },
      { resolved_at: '2026-01-01T00:00:00Z' },
      { resolved_by_user_id: w.owner.id },
      { control_id: control },
      { trace_type: 'work_order' },
    ]) {
      const response = await call(t, w.member, 'PATCH', `/api/traces/${id}`, body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(response.json()).toEqual({
        error: expect.any(String),
        code: 'VALIDATION_ERROR',
        details: expect.any(Object),
      });
    }
    expect((await call(t, w.viewer, 'GET', `/api/traces/${id}`)).json().data).toEqual(before);
    const badId = await call(t, w.member, 'PATCH', '/api/traces/not-a-uuid', { resolved: true });
    expect(badId.statusCode).toBe(400);
  });
});
