// CSV export and import of the register: round trip, all-or-nothing validation, roles, isolation.
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import type { TestUser } from '../helpers/factories.ts';
import { buildWorld, call, daysBefore, insertControl, insertProvider, sql, type World } from './world.ts';

const NOW = new Date('2026-06-01T12:00:00Z');
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ clock: new ManualClock(NOW) });
});
afterAll(() => t.close());

const importCsv = (user: TestUser, payload: string, contentType = 'text/csv', query = '') =>
  t.app.inject({
    method: 'POST',
    url: `/api/controls/import${query}`,
    headers: { authorization: `Bearer ${user.token}`, 'content-type': contentType },
    payload,
  });
const exportCsv = (user: TestUser, query = '?format=csv') =>
  call(t, user, 'GET', `/api/controls/export${query}`);
const records = (csv: string) => parse(csv, { columns: true, bom: true }) as Array<Record<string, string>>;
const countControls = async (world: World) =>
  (await sql<{ n: number }>(t, world.orgId, 'SELECT count(*)::int AS n FROM controls'))[0]!.n;

describe('CSV export', () => {
  it('exports the register with provider names, quadrant, last touch, distance and attention', async () => {
    const w = await buildWorld(t);
    const other = await buildWorld(t);
    const provider = await insertProvider(t, w.orgId, { name: 'Acme Safety' });
    await insertControl(t, w.orgId, {
      name: 'Gas detector',
      quadrant: 'specialist',
      last_touched_at: daysBefore(NOW, 100),
      provider_distance: 1.5,
      primary_provider_id: provider,
    });
    await insertControl(t, w.orgId, { name: 'Boots', quadrant: 'self', last_touched_at: daysBefore(NOW, 1) });
    await insertControl(t, other.orgId, { name: 'Not ours' });
    for (const role of ['viewer', 'member', 'admin', 'owner'] as const) {
      const response = await exportCsv(w[role]);
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/csv/);
      expect(response.headers['content-disposition']).toMatch(
        /attachment; filename="controls-2026-06-01.csv"/,
      );
    }
    const rows = records((await exportCsv(w.viewer)).body);
    expect(rows.map((row) => row.name)).toEqual(['Boots', 'Gas detector']);
    expect(rows[1]).toMatchObject({
      provider: 'Acme Safety',
      quadrant: 'specialist',
      last_touched_at: daysBefore(NOW, 100).toISOString(),
      provider_distance: '1.5',
      attention: 'overdue',
    });
    expect(rows[0]).toMatchObject({ provider: '', quadrant: 'self', attention: '' });
  });

  it('defaults to CSV, refuses other formats, and does not clash with /api/controls/:id', async () => {
    const w = await buildWorld(t);
    const id = await insertControl(t, w.orgId, { name: 'Guard rail' });
    expect((await exportCsv(w.viewer, '')).statusCode).toBe(200);
    expect((await exportCsv(w.viewer, '?format=xlsx')).statusCode).toBe(400);
    const one = await call(t, w.viewer, 'GET', `/api/controls/${id}`);
    expect(one.statusCode).toBe(200);
    expect(one.json().data.name).toBe('Guard rail');
    expect((await t.app.inject({ method: 'GET', url: '/api/controls/export' })).statusCode).toBe(401);
  });

  it('neutralises spreadsheet formulas in cells', async () => {
    const w = await buildWorld(t);
    await insertControl(t, w.orgId, { name: '=HYPERLINK("http://evil.test")' });
    const [row] = records((await exportCsv(w.viewer)).body);
    expect(row!.name).toBe(`'=HYPERLINK("http://evil.test")`);
  });
});

describe('CSV import', () => {
  it('imports a good file, classifying every control like one created by hand', async () => {
    const w = await buildWorld(t);
    const self = await insertProvider(t, w.orgId, { name: 'Our team', is_user_themselves: true });
    await insertProvider(t, w.orgId, { name: 'Vendor Co', provider_type: 'vendor' });
    const file = [
      'name,control_type,functional_range,description,provider',
      'Harness,physical,narrow,,our team',
      'Permit to work,procedural,wide,"Signed, dated, and filed",',
      'SCADA interlock,technical,narrow,"Line one\nline two",Vendor Co',
    ].join('\r\n');
    const response = await importCsv(w.admin, file);
    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({ imported: 3 });
    expect(typeof response.json().txid).toBe('number');
    const rows = await sql<Record<string, unknown>>(
      t,
      w.orgId,
      `SELECT c.name, c.description, c.primary_provider_id, c.current_quadrant, c.provider_distance,
              (SELECT count(*)::int FROM quadrant_classifications q WHERE q.control_id = c.id AND q.reason = 'created') AS created,
              (SELECT count(*)::int FROM risk_predictions r WHERE r.control_id = c.id) AS predictions
         FROM controls c ORDER BY c.name`,
    );
    expect(rows).toEqual([
      {
        name: 'Harness',
        description: null,
        primary_provider_id: self,
        current_quadrant: 'specialist', // close (a self provider) and never touched
        provider_distance: 0,
        created: 1,
        predictions: 1,
      },
      expect.objectContaining({
        name: 'Permit to work',
        description: 'Signed, dated, and filed',
        current_quadrant: 'strange',
      }),
      expect.objectContaining({
        name: 'SCADA interlock',
        description: 'Line one\nline two',
        current_quadrant: 'strange',
      }),
    ]);
  });

  it('gives an imported control exactly what POST /api/controls gives the same control', async () => {
    const w = await buildWorld(t);
    const self = await insertProvider(t, w.orgId, { name: 'Ourselves', is_user_themselves: true });
    const vendor = await insertProvider(t, w.orgId, { name: 'Far vendor', provider_type: 'vendor' });
    await sql(
      t,
      w.orgId,
      `INSERT INTO provider_networks (organization_id, from_provider_id, to_provider_id, relationship_type, path_weight)
       VALUES ($1, $2, $3, 'contracts', 1.5)`,
      [w.orgId, self, vendor],
    );
    const posted = await call(t, w.admin, 'POST', '/api/controls', {
      name: 'Posted',
      control_type: 'technical',
      functional_range: 'wide',
      primary_provider_id: vendor,
    });
    expect(posted.statusCode).toBe(201);
    expect(
      (
        await importCsv(
          w.admin,
          'name,control_type,functional_range,provider\nImported,technical,wide,Far vendor\n',
        )
      ).statusCode,
    ).toBe(201);
    const rows = await sql<Record<string, unknown>>(
      t,
      w.orgId,
      `SELECT c.current_quadrant, c.provider_distance, c.failure_probability, c.primary_provider_id,
              q.quadrant, q.previous_quadrant, q.reason, q.provider_distance AS classified_distance
         FROM controls c JOIN quadrant_classifications q ON q.control_id = c.id ORDER BY c.name`,
    );
    expect(rows).toHaveLength(2);
    expect(rows[0]).toEqual(rows[1]);
    expect(rows[0]).toMatchObject({
      current_quadrant: 'specialist',
      provider_distance: 1.5,
      reason: 'created',
    });
  });

  it('round-trips: an exported register imports into another organisation unchanged', async () => {
    const a = await buildWorld(t);
    const b = await buildWorld(t);
    for (const world of [a, b]) await insertProvider(t, world.orgId, { name: 'Acme Safety' });
    const lines = [
      'name,control_type,functional_range,description,provider',
      'Boots,physical,narrow,"Steel toe, size 9",Acme Safety',
      '"Quote ""this"" control",procedural,wide,,',
      '=SUM(A1:A9),technical,narrow,-starts with a minus,',
      'Zürich gauge ✓,technical,wide,"multi\nline",acme safety',
    ];
    expect((await importCsv(a.admin, lines.join('\n'))).statusCode).toBe(201);
    const exported = (await exportCsv(a.viewer)).body;
    const reimport = await importCsv(b.admin, exported);
    expect(reimport.statusCode, reimport.body).toBe(201);
    expect(reimport.json().imported).toBe(4);
    const pick = (csv: string) =>
      records(csv).map(({ name, description, control_type, functional_range, provider, quadrant }) => ({
        name,
        description,
        control_type,
        functional_range,
        provider,
        quadrant,
      }));
    const fromA = pick(exported);
    expect(pick((await exportCsv(b.viewer)).body)).toEqual(fromA);
    expect(fromA.map((row) => row.name)).toContain(`'=SUM(A1:A9)`);
    const stored = await sql<{ name: string }>(t, b.orgId, `SELECT name FROM controls WHERE name LIKE '=%'`);
    expect(stored).toEqual([{ name: '=SUM(A1:A9)' }]);
  });

  it('rejects a bad file listing every problem by line, and writes nothing', async () => {
    const w = await buildWorld(t);
    await insertProvider(t, w.orgId, { name: 'Known' });
    await insertControl(t, w.orgId, { name: 'Existing' });
    const file = [
      'name,control_type,functional_range,description,provider',
      'Fine,physical,narrow,,Known',
      ',physical,narrow,,',
      'Wrong type,chemical,narrow,,',
      'Wrong range,physical,sideways,,',
      'Too few,physical',
      'Ghost provider,physical,narrow,,Nobody',
    ].join('\n');
    const response = await importCsv(w.admin, file);
    expect(response.statusCode).toBe(400);
    const body = response.json();
    expect(body.code).toBe('VALIDATION_ERROR');
    expect(body.details.errors).toEqual([
      { line: 3, problem: expect.stringContaining('name') },
      { line: 4, problem: expect.stringContaining('control_type') },
      { line: 5, problem: expect.stringContaining('functional_range') },
      { line: 6, problem: expect.stringContaining('fields') },
    ]);
    expect(await countControls(w)).toBe(1);

    // Shape problems come first; provider names are checked once the shape is right.
    const unknownProvider = await importCsv(
      w.admin,
      'name,control_type,functional_range,provider\nA,physical,narrow,Nobody\n',
    );
    expect(unknownProvider.statusCode).toBe(400);
    expect(unknownProvider.json().details.errors).toEqual([
      { line: 2, problem: 'No provider named "Nobody" in this organisation.' },
    ]);
    expect(await countControls(w)).toBe(1);
  });

  it('rejects broken headers, empty files and broken CSV with 400', async () => {
    const w = await buildWorld(t);
    const cases: Array<[string, RegExp]> = [
      ['', /empty/],
      ['name,control_type\nA,physical\n', /functional_range/],
      ['name,control_type,functional_range,colour\nA,physical,narrow,red\n', /Unknown column "colour"/],
      ['name,name,control_type,functional_range\nA,B,physical,narrow\n', /appears twice/],
      ['name,control_type,functional_range\n', /no controls/],
      ['name,control_type,functional_range\n"A,physical,narrow\n', /not valid CSV/],
      ['name,control_type,functional_range\nA\u0000,physical,narrow\n', /NUL/],
    ];
    for (const [file, problem] of cases) {
      const response = await importCsv(w.admin, file);
      expect(response.statusCode, JSON.stringify(file)).toBe(400);
      expect(response.json().details.errors[0].problem).toMatch(problem);
    }
    expect(await countControls(w)).toBe(0);
  });

  it('refuses a header of 100,000 columns as one problem, before checking them', async () => {
    // Checking them took seconds of the event loop (duplicates in quadratic time) and answered
    // a problem per column: an admin of any organisation could stall the process.
    const w = await buildWorld(t);
    const header = Array.from({ length: 100_000 }, (_, i) => `c${i}`).join(',');
    const response = await importCsv(w.admin, `${header}\n1\n`, 'text/csv', '?dry_run=true');
    expect(response.statusCode).toBe(400);
    expect(response.json().details.errors).toEqual([
      { line: 1, problem: 'The header has 100000 columns; an import has at most 64.' },
    ]);
  });

  it('accepts only text/csv bodies', async () => {
    const w = await buildWorld(t);
    const json = await t.app.inject({
      method: 'POST',
      url: '/api/controls/import',
      headers: { authorization: `Bearer ${w.admin.token}` },
      payload: { name: 'A', control_type: 'physical', functional_range: 'narrow' },
    });
    expect(json.statusCode).toBe(415);
    const xml = await importCsv(w.admin, '<controls/>', 'application/xml');
    expect(xml.statusCode).toBe(415);
    const charset = await importCsv(
      w.admin,
      'name,control_type,functional_range\nA,physical,narrow\n',
      'text/csv; charset=utf-8',
    );
    expect(charset.statusCode).toBe(201);
  });

  it('lets only admins and owners import, into their own organisation', async () => {
    const w = await buildWorld(t);
    const other = await buildWorld(t);
    await insertProvider(t, other.orgId, { name: 'Their provider' });
    const file = 'name,control_type,functional_range\nA,physical,narrow\n';
    for (const role of ['viewer', 'member'] as const)
      expect((await importCsv(w[role], file)).statusCode).toBe(403);
    expect((await importCsv(w.owner, file)).statusCode).toBe(201);
    expect(await countControls(w)).toBe(1);
    expect(await countControls(other)).toBe(0);
    // Another organisation's provider name is unknown here.
    const theirs = await importCsv(
      w.admin,
      'name,control_type,functional_range,provider\nB,physical,narrow,Their provider\n',
    );
    expect(theirs.statusCode).toBe(400);
  });

  it('a dry run checks the whole file, lists every problem, and writes nothing', async () => {
    const w = await buildWorld(t);
    await insertProvider(t, w.orgId, { name: 'Acme Safety' });
    const good =
      'name,control_type,functional_range,provider\nA,physical,narrow,Acme Safety\nB,technical,wide,\n';
    const checked = await importCsv(w.admin, good, 'text/csv', '?dry_run=true');
    expect(checked.statusCode).toBe(200);
    expect(checked.json()).toEqual({ dry_run: true, would_import: 2 });
    expect(await countControls(w)).toBe(0);

    const bad = `name,control_type,functional_range,provider\n${Array.from(
      { length: 7 },
      (_, i) => `Bad ${i},rocket,narrow,Nobody`,
    ).join('\n')}\n`;
    const refused = await importCsv(w.admin, bad, 'text/csv', '?dry_run=true');
    expect(refused.statusCode).toBe(400);
    expect(refused.json().details.errors).toHaveLength(7);
    expect(await countControls(w)).toBe(0);
    const badQuery = await importCsv(w.admin, good, 'text/csv', '?dry_run=maybe');
    expect(badQuery.statusCode).toBe(400);
    expect((await importCsv(w.member, good, 'text/csv', '?dry_run=true')).statusCode).toBe(403);
  });
});
