// The audit trail filtered by time (from, to) and exported as CSV: the same filters, admins
// and owners only, one organisation only, formula-safe cells, bad filters refused with 400.
import { randomUUID } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { buildUser } from '../helpers/factories.ts';
import { buildWorld, call, sql, type World } from './world.ts';

let t: TestApp;
let w: World;
let other: World;
const entity = randomUUID();
beforeAll(async () => {
  t = await createTestApp({ clock: new ManualClock(new Date('2026-06-01T12:00:00Z')) });
  [w, other] = await Promise.all([buildWorld(t), buildWorld(t)]);
  // Rows at known times (the runtime role may insert audit rows, never change them).
  for (const [day, actor, note] of [
    ['2026-01-10', w.admin.id, 'january'],
    ['2026-02-10', w.member.id, 'february'],
    ['2026-03-10', w.admin.id, '=HYPERLINK("http://evil")'],
  ] as const) {
    await sql(
      t,
      w.orgId,
      `INSERT INTO audit_log (organization_id, actor_user_id, action, entity_type, entity_id, after, occurred_at)
       VALUES ($1, $2, 'update', 'controls', $3, $4, $5)`,
      [w.orgId, actor, entity, JSON.stringify({ notes: note }), `${day}T09:00:00Z`],
    );
  }
});
afterAll(() => t.close());

const notesOf = (rows: { after: { notes: string } }[]) => rows.map((row) => row.after.notes);

describe('audit by time', () => {
  it('keeps changes at or after from and before to', async () => {
    const page = await call(
      t,
      w.admin,
      'GET',
      `/api/audit?entity_id=${entity}&from=2026-02-01T00:00:00Z&to=2026-03-10T09:00:00Z`,
    );
    expect(page.statusCode).toBe(200);
    expect(notesOf(page.json().data)).toEqual(['february']);
    const since = await call(t, w.admin, 'GET', `/api/audit?entity_id=${entity}&from=2026-02-10T09:00:00Z`);
    expect(notesOf(since.json().data)).toEqual(['=HYPERLINK("http://evil")', 'february']);
  });

  it('refuses a reversed or malformed range with 400', async () => {
    for (const query of [
      'from=2026-03-01T00:00:00Z&to=2026-02-01T00:00:00Z',
      'from=yesterday',
      'to=2026-13-01',
    ]) {
      for (const path of ['/api/audit', '/api/audit/export']) {
        const response = await call(t, w.admin, 'GET', `${path}?${query}`);
        expect(response.statusCode, `${path}?${query}`).toBe(400);
        expect(response.json().code).toBe('VALIDATION_ERROR');
      }
    }
  });
});

describe('audit CSV export', () => {
  it('exports the filtered rows newest first with the actor e-mail, formula-safe', async () => {
    const response = await call(
      t,
      w.owner,
      'GET',
      `/api/audit/export?entity_id=${entity}&actor_user_id=${w.admin.id}`,
    );
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/csv/);
    expect(response.headers['content-disposition']).toMatch(/attachment; filename="audit-/);
    const [header, ...rows] = parse(response.body) as string[][];
    expect(header).toEqual([
      'id',
      'occurred_at',
      'actor_user_id',
      'actor_email',
      'action',
      'entity_type',
      'entity_id',
      'request_id',
      'before',
      'after',
    ]);
    expect(rows.map((row) => [row[1], row[3], row[4], row[5]])).toEqual([
      ['2026-03-10T09:00:00.000Z', w.admin.email, 'update', 'controls'],
      ['2026-01-10T09:00:00.000Z', w.admin.email, 'update', 'controls'],
    ]);
    // The JSON cell starts with { (never a formula) and keeps the value intact.
    expect(JSON.parse(rows[0]![9]!)).toEqual({ notes: '=HYPERLINK("http://evil")' });
  });

  it('guards an actor e-mail that a spreadsheet would take for a formula', async () => {
    // An address may start with - or + (valid e-mail syntax): the cell is prefixed with ' like the rest.
    const actor = await buildUser(
      t.db,
      t.config,
      { id: w.orgId },
      'member',
      `-2+3-${randomUUID().slice(0, 8)}@example.test`,
    );
    await sql(
      t,
      w.orgId,
      `INSERT INTO audit_log (organization_id, actor_user_id, action, entity_type, entity_id, after)
       VALUES ($1, $2, 'update', 'controls', $3, '{}')`,
      [w.orgId, actor.id, entity],
    );
    const response = await call(t, w.owner, 'GET', `/api/audit/export?actor_user_id=${actor.id}`);
    const [, row] = parse(response.body) as string[][];
    expect(row![3]).toBe(`'${actor.email}`);
  });

  it('is for admins and owners only', async () => {
    for (const role of ['member', 'viewer'] as const) {
      const response = await call(t, w[role], 'GET', '/api/audit/export');
      expect(response.statusCode).toBe(403);
    }
    expect((await call(t, w.admin, 'GET', '/api/audit/export')).statusCode).toBe(200);
  });

  it("never holds another organisation's rows", async () => {
    const response = await call(t, other.owner, 'GET', `/api/audit/export?entity_id=${entity}`);
    expect(response.statusCode).toBe(200);
    expect(parse(response.body)).toHaveLength(1); // the header only
    const all = await call(t, other.owner, 'GET', '/api/audit/export');
    expect(all.body).not.toContain(entity);
    expect(all.body).not.toContain(w.admin.email);
  });

  it('refuses unknown parameters and paging parameters', async () => {
    for (const query of ['limit=5', 'before=3', `organization_id=${w.orgId}`, 'entity_type=DROP TABLE']) {
      const response = await call(t, w.admin, 'GET', `/api/audit/export?${query}`);
      expect(response.statusCode, query).toBe(400);
    }
  });
});
