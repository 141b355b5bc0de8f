// /api/traces: everyone reads, members record, admins remove; filters; isolation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { buildWorld, call, insertControl, type World } from './world.ts';

let t: TestApp;
let w: World;
let other: World;
let control: string;
let otherControl: string;
beforeAll(async () => {
  t = await createTestApp({ clock: new ManualClock(new Date('2026-06-01T12:00:00Z')) });
  [w, other] = await Promise.all([buildWorld(t), buildWorld(t)]);
  control = await insertControl(t, w.orgId);
  otherControl = await insertControl(t, other.orgId);
});
afterAll(() => t.close());

describe('organizational traces', () => {
  it('lets members, admins and owners record a trace, attributed to them', async () => {
    for (const role of ['member', 'admin', 'owner'] as const) {
      const response = await call(t, w[role], 'POST', '/api/traces', {
        control_id: control,
        trace_type: 'maintenance_request',
        description: `raised by ${role}`,
      });
      expect(response.statusCode).toBe(201);
      expect(response.json().data).toMatchObject({
        organization_id: w.orgId,
        control_id: control,
        recorded_by_user_id: w[role].id,
        severity: 'low',
      });
      expect(typeof response.json().txid).toBe('number');
    }
  });

  it('refuses viewers with 403', async () => {
    const response = await call(t, w.viewer, 'POST', '/api/traces', { trace_type: 'work_order' });
    expect(response.statusCode).toBe(403);
  });

  it('filters by trace_type and control, for every role', async () => {
    const elsewhere = await insertControl(t, w.orgId);
    await call(t, w.member, 'POST', '/api/traces', { control_id: elsewhere, trace_type: 'incident_report' });
    await call(t, w.member, 'POST', '/api/traces', { trace_type: 'time_off_request' });
    const byType = await call(t, w.viewer, 'GET', '/api/traces?trace_type=incident_report');
    expect(byType.json().data.map((trace: { control_id: string }) => trace.control_id)).toEqual([elsewhere]);
    const byControl = await call(t, w.viewer, 'GET', `/api/traces?control_id=${control}`);
    expect(byControl.json().data).toHaveLength(3);
    const both = await call(
      t,
      w.viewer,
      'GET',
      `/api/traces?control_id=${control}&trace_type=incident_report`,
    );
    expect(both.json().data).toEqual([]);
    const all = await call(t, w.viewer, 'GET', '/api/traces');
    expect(all.json().data.length).toBe(5);
  });

  it('keeps organisations apart: no listing, reading, linking or deleting across them', async () => {
    const theirs = await call(t, other.member, 'POST', '/api/traces', {
      control_id: otherControl,
      trace_type: 'incident_report',
    });
    const theirId = theirs.json().data.id;
    const mine = await call(t, w.viewer, 'GET', '/api/traces?trace_type=incident_report');
    expect(mine.json().data.map((trace: { id: string }) => trace.id)).not.toContain(theirId);
    expect((await call(t, w.viewer, 'GET', `/api/traces/${theirId}`)).statusCode).toBe(404);
    expect((await call(t, w.owner, 'DELETE', `/api/traces/${theirId}`)).statusCode).toBe(404);
    const link = await call(t, w.member, 'POST', '/api/traces', {
      control_id: otherControl,
      trace_type: 'work_order',
    });
    expect(link.statusCode).toBe(404);
    expect((await call(t, other.viewer, 'GET', `/api/traces/${theirId}`)).statusCode).toBe(200);
  });

  it('refuses bad input with 400 and writes nothing', async () => {
    const before = (await call(t, w.viewer, 'GET', '/api/traces?limit=500')).json().data.length;
    for (const body of [
      { trace_type: 'rumour' },
      { trace_type: 'work_order', severity: 'apocalyptic' },
      { trace_type: 'work_order', organization_id: other.orgId },
      { trace_type: 'work_order', recorded_by_user_id: other.member.id },
      { trace_type: 'work_order', control_id: 'not-a-uuid' },
      { trace_type: 'work_order', recorded_at: 'yesterday' },
      { trace_type: 'work_order', recorded_at: '2026-06-02T12:00:00Z' }, // a day ahead of the clock
      { trace_type: 'work_order', description: 'x'.repeat(5001) },
      { trace_type: 'work_order', description: 'nul \u0000 byte' },
    ]) {
      const response = await call(t, w.member, 'POST', '/api/traces', body);
      expect(response.statusCode, JSON.stringify(body).slice(0, 80)).toBe(400);
    }
    expect((await call(t, w.viewer, 'GET', '/api/traces?trace_type=nope')).statusCode).toBe(400);
    expect((await call(t, w.viewer, 'GET', '/api/traces?limit=500')).json().data.length).toBe(before);
  });

  it('lets only admins and owners delete a trace', async () => {
    const created = await call(t, w.member, 'POST', '/api/traces', { trace_type: 'inspection_log' });
    const id = created.json().data.id;
    for (const role of ['viewer', 'member'] as const) {
      expect((await call(t, w[role], 'DELETE', `/api/traces/${id}`)).statusCode).toBe(403);
    }
    expect((await call(t, w.admin, 'DELETE', `/api/traces/${id}`)).statusCode).toBe(200);
    expect((await call(t, w.viewer, 'GET', `/api/traces/${id}`)).statusCode).toBe(404);
  });
});
