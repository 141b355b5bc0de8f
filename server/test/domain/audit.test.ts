// The audit trail: written by trigger in the same transaction as each change (and rolled back
// with it), read through GET /api/audit by admins and owners only, never editable.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { tenantTransaction } from '../../src/db/tenant.ts';
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

type AuditRow = {
  id: number;
  actor_user_id: string | null;
  action: string;
  entity_type: string;
  entity_id: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  request_id: string | null;
};
async function audit(world: World, query = '') {
  const response = await call(t, world.admin, 'GET', `/api/audit?limit=500${query}`);
  expect(response.statusCode).toBe(200);
  return response.json() as { data: AuditRow[]; next_before: number | null };
}

describe('audit log', () => {
  it('records who created and changed a control, before and after, with the request id', async () => {
    const created = await call(t, w.admin, 'POST', '/api/controls', {
      name: 'Harness',
      control_type: 'physical',
      functional_range: 'narrow',
    });
    const id = created.json().data.id;
    const patched = await call(t, w.owner, 'PATCH', `/api/controls/${id}`, { name: 'Fall-arrest harness' });
    expect(patched.statusCode).toBe(200);
    const rows = (await audit(w, `&entity_type=controls&entity_id=${id}`)).data;
    const insert = rows.find((row) => row.action === 'insert')!;
    expect(insert).toMatchObject({ actor_user_id: w.admin.id, entity_id: id, before: null });
    expect(insert.after).toMatchObject({ name: 'Harness' });
    expect(insert.request_id).toBe(created.headers['x-request-id']);
    const rename = rows.find((row) => row.action === 'update' && row.after?.name === 'Fall-arrest harness')!;
    expect(rename).toMatchObject({ actor_user_id: w.owner.id });
    expect(rename.before).toMatchObject({ name: 'Harness' });
  });

  it('audits the domain records too: traces, SLAs, competencies, strategies', async () => {
    const control = await insertControl(t, w.orgId);
    const trace = await call(t, w.member, 'POST', '/api/traces', {
      control_id: control,
      trace_type: 'work_order',
    });
    const rows = (await audit(w, `&actor_user_id=${w.member.id}`)).data;
    expect(rows.map((row) => [row.entity_type, row.entity_id, row.action])).toContainEqual([
      'organizational_traces',
      trace.json().data.id,
      'insert',
    ]);
    const strategies = (await call(t, w.viewer, 'GET', '/api/verification-strategies')).json().data;
    await call(t, w.admin, 'PATCH', `/api/verification-strategies/${strategies[0].id}`, {
      notification_days_before: 3,
    });
    const changes = (await audit(w, `&entity_type=verification_strategies&entity_id=${strategies[0].id}`))
      .data;
    expect(changes[0]).toMatchObject({ action: 'update', actor_user_id: w.admin.id });
    expect(changes[0]!.after).toMatchObject({ notification_days_before: 3 });
  });

  it('does not audit re-scoring alone (risk history lives in risk_predictions)', async () => {
    const world = await buildWorld(t);
    const id = await insertControl(t, world.orgId, { quadrant: 'self', last_touched_at: t.clock.now() });
    const before = (await audit(world, `&entity_id=${id}`)).data.length;
    const strategies = (await call(t, world.viewer, 'GET', '/api/verification-strategies')).json().data;
    const self = strategies.find((s: { quadrant: string }) => s.quadrant === 'self');
    await call(t, world.admin, 'PATCH', `/api/verification-strategies/${self.id}`, { frequency_days: 3 });
    const [control] = await sql<{ failure_probability: number }>(
      t,
      world.orgId,
      'SELECT failure_probability FROM controls WHERE id = $1',
      [id],
    );
    expect(control!.failure_probability).not.toBeNull(); // it was re-scored...
    expect((await audit(world, `&entity_id=${id}`)).data.length).toBe(before); // ...without an audit row
    // A real change to the control is still audited, probability included.
    await sql(
      t,
      world.orgId,
      `UPDATE controls SET name = 'Renamed', failure_probability = 0.5 WHERE id = $1`,
      [id],
    );
    expect((await audit(world, `&entity_id=${id}`)).data.length).toBe(before + 1);
  });

  it('rolls the audit row back with a failed transaction', async () => {
    const id = randomUUID();
    await expect(
      tenantTransaction(t.db.appPool, { orgId: w.orgId, userId: w.admin.id }, async (tx) => {
        await tx.query(
          `INSERT INTO controls (id, organization_id, name, control_type, functional_range)
           VALUES ($1, $2, 'Doomed', 'physical', 'narrow')`,
          [id, w.orgId],
        );
        const inside = await tx.query('SELECT count(*)::int AS n FROM audit_log WHERE entity_id = $1', [id]);
        expect(inside.rows[0].n).toBe(1); // written in the same transaction as the change...
        throw new Error('the rest of the change failed');
      }),
    ).rejects.toThrow('the rest of the change failed');
    expect((await audit(w, `&entity_id=${id}`)).data).toEqual([]); // ...and gone with it
    const [row] = await sql<{ n: number }>(
      t,
      w.orgId,
      'SELECT count(*)::int AS n FROM audit_log WHERE entity_id = $1',
      [id],
    );
    expect(row!.n).toBe(0);
  });

  it('a rejected request leaves no audit row (CSV with a good line before a bad one)', async () => {
    const before = (await audit(w, '&entity_type=controls')).data.length;
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/controls/import',
      headers: { authorization: `Bearer ${w.admin.token}`, 'content-type': 'text/csv' },
      payload: 'name,control_type,functional_range\nGood,physical,narrow\nBad,physical,sideways\n',
    });
    expect(response.statusCode).toBe(400);
    expect((await audit(w, '&entity_type=controls')).data.length).toBe(before);
  });

  it('is for admins and owners only', async () => {
    for (const role of ['viewer', 'member'] as const) {
      const response = await call(t, w[role], 'GET', '/api/audit');
      expect(response.statusCode).toBe(403);
      expect(response.json().code).toBe('FORBIDDEN');
    }
    expect((await call(t, w.owner, 'GET', '/api/audit')).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/api/audit' })).statusCode).toBe(401);
  });

  it('never shows another organisation’s trail', async () => {
    const theirs = await insertControl(t, other.orgId);
    await sql(t, other.orgId, `UPDATE controls SET name = 'Renamed' WHERE id = $1`, [theirs]);
    expect((await audit(w, `&entity_id=${theirs}`)).data).toEqual([]);
    const all = (await audit(w)).data;
    expect(all.every((row) => row.entity_id !== theirs)).toBe(true);
    expect(all.some((row) => row.actor_user_id === other.admin.id)).toBe(false);
  });

  it('pages newest first with a cursor', async () => {
    const world = await buildWorld(t);
    for (let i = 0; i < 5; i++) await insertControl(t, world.orgId, { name: `C${i}` });
    const first = await call(t, world.admin, 'GET', '/api/audit?entity_type=controls&limit=2');
    const page1 = first.json();
    expect(page1.data).toHaveLength(2);
    const second = await call(
      t,
      world.admin,
      'GET',
      `/api/audit?entity_type=controls&limit=2&before=${page1.next_before}`,
    );
    const page2 = second.json();
    const third = await call(
      t,
      world.admin,
      'GET',
      `/api/audit?entity_type=controls&limit=2&before=${page2.next_before}`,
    );
    const page3 = third.json();
    const names = [...page1.data, ...page2.data, ...page3.data].map((row: AuditRow) => row.after?.name);
    expect(names).toEqual(['C4', 'C3', 'C2', 'C1', 'C0']);
    expect(page3.next_before).toBeNull();
  });

  it('also pages by offset, and takes user_id for the actor', async () => {
    const world = await buildWorld(t);
    for (let i = 0; i < 3; i++)
      await call(t, world.member, 'POST', '/api/traces', { trace_type: 'work_order', description: `T${i}` });
    const byUser = (
      await call(t, world.admin, 'GET', `/api/audit?user_id=${world.member.id}&limit=2&offset=1`)
    ).json();
    expect(byUser.data.map((row: AuditRow) => row.after?.description)).toEqual(['T1', 'T0']);
    expect((await call(t, world.admin, 'GET', '/api/audit?offset=1&before=5')).statusCode).toBe(400);
  });

  it('cannot be changed: no write route, and the runtime role has no UPDATE or DELETE', async () => {
    for (const method of ['POST', 'PATCH', 'PUT', 'DELETE'] as const) {
      const response = await t.app.inject({
        method,
        url: '/api/audit',
        headers: { authorization: `Bearer ${w.owner.token}` },
      });
      expect(response.statusCode, method).toBe(404);
    }
    const [row] = (await audit(w)).data;
    await expect(
      sql(t, w.orgId, `UPDATE audit_log SET action = 'delete' WHERE id = $1`, [row!.id]),
    ).rejects.toThrow(/permission denied/);
    await expect(sql(t, w.orgId, 'DELETE FROM audit_log WHERE id = $1', [row!.id])).rejects.toThrow(
      /permission denied/,
    );
    expect((await audit(w)).data[0]).toEqual(row);
  });

  it('refuses bad filters with 400', async () => {
    for (const query of [
      'entity_type=controls;drop',
      'entity_id=nope',
      'before=abc',
      'limit=0',
      'actor=me',
    ]) {
      expect((await call(t, w.admin, 'GET', `/api/audit?${query}`)).statusCode, query).toBe(400);
    }
  });
});
