// Attention on the controls list: every rule, through GET /api/controls, as a user sees it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import {
  buildWorld,
  call,
  daysBefore,
  insertControl,
  insertInteraction,
  isoDay,
  sql,
  type World,
} from './world.ts';

const NOW = new Date('2026-06-01T12:00:00Z');
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ clock: new ManualClock(NOW) });
});
afterAll(() => t.close());

type Listed = { id: string; attention: Array<{ code: string; message: string }> };

async function listed(world: World, query = '') {
  const response = await call(t, world.viewer, 'GET', `/api/controls?limit=200${query}`);
  expect(response.statusCode).toBe(200);
  return response.json().data as Listed[];
}
async function codesOf(world: World, id: string) {
  const row = (await listed(world)).find((control) => control.id === id);
  return row?.attention.map((reason) => reason.code);
}

describe('attention on the controls list', () => {
  it('marks a control overdue for its quadrant frequency, and never touched as overdue', async () => {
    const w = await buildWorld(t);
    const fresh = await insertControl(t, w.orgId, { quadrant: 'self', last_touched_at: daysBefore(NOW, 29) });
    const stale = await insertControl(t, w.orgId, { quadrant: 'self', last_touched_at: daysBefore(NOW, 31) });
    const service = await insertControl(t, w.orgId, {
      quadrant: 'service',
      last_touched_at: daysBefore(NOW, 8),
    });
    const never = await insertControl(t, w.orgId, { quadrant: 'specialist', last_touched_at: null });
    expect(await codesOf(w, fresh)).toEqual([]);
    expect(await codesOf(w, stale)).toEqual(['overdue']);
    expect(await codesOf(w, service)).toEqual(['overdue']);
    expect(await codesOf(w, never)).toEqual(['overdue']);

    const needing = (await listed(w, '&attention=true')).map((row) => row.id).sort();
    expect(needing).toEqual([stale, service, never].sort());
    const fine = (await listed(w, '&attention=false')).map((row) => row.id);
    expect(fine).toEqual([fresh]);
  });

  it('follows an admin’s change of the quadrant frequency', async () => {
    const w = await buildWorld(t);
    const id = await insertControl(t, w.orgId, {
      quadrant: 'service',
      last_touched_at: daysBefore(NOW, 5),
      provider_distance: 3,
    });
    expect(await codesOf(w, id)).toEqual([]);
    const strategies = (await call(t, w.viewer, 'GET', '/api/verification-strategies')).json().data;
    const service = strategies.find((s: { quadrant: string }) => s.quadrant === 'service');
    await call(t, w.admin, 'PATCH', `/api/verification-strategies/${service.id}`, { frequency_days: 3 });
    expect(await codesOf(w, id)).toEqual(['overdue']);
  });

  it('flags a Specialist control whose competency refresher is due within notification_days_before', async () => {
    const w = await buildWorld(t);
    const touched = daysBefore(NOW, 40);
    const due = await insertControl(t, w.orgId, { quadrant: 'specialist', last_touched_at: touched });
    const later = await insertControl(t, w.orgId, { quadrant: 'specialist', last_touched_at: touched });
    const selfControl = await insertControl(t, w.orgId, {
      quadrant: 'self',
      last_touched_at: daysBefore(NOW, 1),
    });
    const record = (controlId: string, refresher: string) =>
      sql(
        t,
        w.orgId,
        `INSERT INTO competency_records (organization_id, user_id, control_id, competency_level, next_refresher_due)
         VALUES ($1, $2, $3, 'competent', $4)`,
        [w.orgId, w.member.id, controlId, refresher],
      );
    await record(due, isoDay(daysBefore(NOW, -7))); // default notification_days_before = 7
    await record(later, isoDay(daysBefore(NOW, -8)));
    await record(selfControl, isoDay(daysBefore(NOW, -1)));
    expect(await codesOf(w, due)).toEqual(['refresher_due']);
    expect(await codesOf(w, later)).toEqual([]);
    expect(await codesOf(w, selfControl)).toEqual([]);
  });

  it('flags a Service control whose SLA is breached', async () => {
    const w = await buildWorld(t);
    const provider = (
      await sql<{ id: string }>(
        t,
        w.orgId,
        `INSERT INTO control_providers (organization_id, name, provider_type) VALUES ($1, 'FireCo', 'contractor') RETURNING id`,
        [w.orgId],
      )
    )[0]!.id;
    const recent = daysBefore(NOW, 2);
    const breached = await insertControl(t, w.orgId, {
      quadrant: 'service',
      last_touched_at: recent,
      provider_distance: 3,
    });
    const meeting = await insertControl(t, w.orgId, {
      quadrant: 'service',
      last_touched_at: recent,
      provider_distance: 3,
    });
    const sla = (controlId: string, performance: number) =>
      sql(
        t,
        w.orgId,
        `INSERT INTO service_level_agreements (organization_id, control_id, provider_id, service_name, uptime_percentage,
           start_date, performance_current) VALUES ($1, $2, $3, 'Alarm monitoring', 99.5, '2026-01-01', $4)`,
        [w.orgId, controlId, provider, performance],
      );
    await sla(breached, 98);
    await sla(meeting, 99.5);
    const rows = await listed(w);
    const reasons = rows.find((row) => row.id === breached)!.attention;
    expect(reasons.map((r) => r.code)).toEqual(['sla_breached']);
    expect(reasons[0]!.message).toContain('Alarm monitoring');
    expect(rows.find((row) => row.id === meeting)!.attention).toEqual([]);
  });

  it('flags a Strange control with no inspect or test within the Strange frequency', async () => {
    const w = await buildWorld(t);
    const touched = daysBefore(NOW, 60);
    const audited = await insertControl(t, w.orgId, {
      quadrant: 'strange',
      last_touched_at: touched,
      provider_distance: null,
    });
    const onlyUsed = await insertControl(t, w.orgId, {
      quadrant: 'strange',
      last_touched_at: touched,
      provider_distance: null,
    });
    const lapsed = await insertControl(t, w.orgId, {
      quadrant: 'strange',
      last_touched_at: touched,
      provider_distance: null,
    });
    await insertInteraction(t, w.orgId, audited, { type: 'inspect', occurred_at: daysBefore(NOW, 100) });
    await insertInteraction(t, w.orgId, onlyUsed, { type: 'use', occurred_at: touched });
    await insertInteraction(t, w.orgId, lapsed, { type: 'test', occurred_at: daysBefore(NOW, 181) });
    expect(await codesOf(w, audited)).toEqual([]);
    expect(await codesOf(w, onlyUsed)).toEqual(['audit_overdue']);
    expect(await codesOf(w, lapsed)).toEqual(['audit_overdue']);
  });

  it('never mixes organisations: another organisation’s overdue control is not listed', async () => {
    const [a, b] = await Promise.all([buildWorld(t), buildWorld(t)]);
    const theirs = await insertControl(t, b.orgId, { last_touched_at: null });
    const mine = await insertControl(t, a.orgId, { last_touched_at: null });
    const ids = (await listed(a, '&attention=true')).map((row) => row.id);
    expect(ids).toEqual([mine]);
    expect(ids).not.toContain(theirs);
  });

  it('works for an organisation without stored strategies (defaults apply)', async () => {
    const w = await buildWorld(t, { strategies: false });
    const id = await insertControl(t, w.orgId, { quadrant: 'self', last_touched_at: daysBefore(NOW, 31) });
    expect(await codesOf(w, id)).toEqual(['overdue']);
  });

  it('refuses a bad attention value with 400', async () => {
    const w = await buildWorld(t);
    const response = await call(t, w.viewer, 'GET', '/api/controls?attention=maybe');
    expect(response.statusCode).toBe(400);
  });
});

describe('attention on one control', () => {
  it('GET /api/controls/:id carries the same reasons as the list', async () => {
    const w = await buildWorld(t);
    const id = await insertControl(t, w.orgId, { quadrant: 'self', last_touched_at: daysBefore(NOW, 45) });
    const one = await call(t, w.viewer, 'GET', `/api/controls/${id}`);
    expect(one.statusCode).toBe(200);
    expect(one.json().data.attention.map((reason: { code: string }) => reason.code)).toEqual(
      await codesOf(w, id),
    );
    expect(one.json().data.attention.map((reason: { code: string }) => reason.code)).toEqual(['overdue']);
  });
});
