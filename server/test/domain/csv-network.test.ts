// CSV import of providers and provider links (beside the controls import): dry run, every
// problem listed by line, all-or-nothing, reclassification after links, roles and isolation;
// and streamed progress for a long import.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import type { TestUser } from '../helpers/factories.ts';
import { buildWorld, insertControl, insertProvider, sql, type World } from './world.ts';

const NOW = new Date('2026-06-01T12:00:00Z');
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ clock: new ManualClock(NOW) });
});
afterAll(() => t.close());

const post = (user: TestUser, what: string, payload: string, query = '') =>
  t.app.inject({
    method: 'POST',
    url: `/api/${what}/import${query}`,
    headers: { authorization: `Bearer ${user.token}`, 'content-type': 'text/csv' },
    payload,
  });
const count = async (world: World, table: string) =>
  (await sql<{ n: number }>(t, world.orgId, `SELECT count(*)::int AS n FROM ${table}`))[0]!.n;

describe('providers import', () => {
  it('dry-runs, then imports every provider', async () => {
    const w = await buildWorld(t);
    const file =
      'name,provider_type,is_user_themselves\nOur crew,internal,yes\nAcme,vendor,\n"Smith, J.",contractor,false\n';
    const dry = await post(w.admin, 'providers', file, '?dry_run=true');
    expect(dry.statusCode).toBe(200);
    expect(dry.json()).toEqual({ dry_run: true, would_import: 3 });
    expect(await count(w, 'control_providers')).toBe(0);
    const done = await post(w.admin, 'providers', file);
    expect(done.statusCode).toBe(201);
    expect(done.json()).toMatchObject({ imported: 3 });
    const rows = await sql(
      t,
      w.orgId,
      'SELECT name, provider_type, is_user_themselves FROM control_providers ORDER BY name',
    );
    expect(rows).toEqual([
      { name: 'Acme', provider_type: 'vendor', is_user_themselves: false },
      { name: 'Our crew', provider_type: 'internal', is_user_themselves: true },
      { name: 'Smith, J.', provider_type: 'contractor', is_user_themselves: false },
    ]);
  });

  it('lists every problem (more than three), dry run or not, and writes nothing', async () => {
    const w = await buildWorld(t);
    await insertProvider(t, w.orgId, { name: 'Acme' });
    const file = [
      'name,provider_type,is_user_themselves',
      'ACME,vendor,', // 2: taken (case-insensitive)
      'Alpha,robot,', // 3: bad type
      'Beta,vendor,maybe', // 4: bad flag
      ',internal,', // 5: empty name
      'Gamma,vendor,',
      'gamma,vendor,', // 7: twice in the file
      'Delta,vendor', // 8: a field short
    ].join('\n');
    const expected = [
      { line: 2, problem: 'A provider named "ACME" already exists.' },
      { line: 3, problem: 'provider_type must be one of internal, contractor, vendor, user' },
      { line: 4, problem: 'is_user_themselves must be true or false' },
      { line: 5, problem: 'name must not be empty' },
      { line: 7, problem: '"gamma" is already on line 6 of this file.' },
      { line: 8, problem: 'Expected 3 fields, found 2.' },
    ];
    for (const query of ['?dry_run=true', '', '?progress=true']) {
      const response = await post(w.admin, 'providers', file, query);
      expect(response.statusCode, query).toBe(400);
      expect(response.json().code).toBe('VALIDATION_ERROR');
      // Shape problems first (one pass over the file), then the names against the organisation.
      const errors = response.json().details.errors as Array<{ line: number }>;
      expect(
        [...errors].sort((a, b) => a.line - b.line),
        query,
      ).toEqual(expected.filter((e) => e.line !== 2 && e.line !== 7));
    }
    // Once the shapes are right, the names are checked: both kinds of clash, each on its line.
    const names = await post(
      w.admin,
      'providers',
      'name,provider_type\nACME,vendor\nGamma,vendor\ngamma,vendor\n',
    );
    expect(names.statusCode).toBe(400);
    expect(names.json().details.errors).toEqual([
      { line: 2, problem: 'A provider named "ACME" already exists.' },
      { line: 4, problem: '"gamma" is already on line 3 of this file.' },
    ]);
    expect(await count(w, 'control_providers')).toBe(1);
  });

  it('is for admins and owners, and only ever writes into the caller’s organisation', async () => {
    const w = await buildWorld(t);
    const other = await buildWorld(t);
    for (const role of ['viewer', 'member'] as const)
      expect((await post(w[role], 'providers', 'name,provider_type\nX,vendor\n')).statusCode).toBe(403);
    // Names of another organisation do not clash.
    await insertProvider(t, other.orgId, { name: 'Shared name' });
    expect((await post(w.owner, 'providers', 'name,provider_type\nShared name,vendor\n')).statusCode).toBe(
      201,
    );
    expect(await count(w, 'control_providers')).toBe(1);
    expect(await count(other, 'control_providers')).toBe(1);
    const json = await t.app.inject({
      method: 'POST',
      url: '/api/providers/import',
      headers: { authorization: `Bearer ${w.admin.token}`, 'content-type': 'application/json' },
      payload: '{"name":"x"}',
    });
    expect(json.statusCode).toBe(415);
  });
});

describe('provider links import', () => {
  it('links providers by name and reclassifies the controls once', async () => {
    const w = await buildWorld(t);
    const self = await insertProvider(t, w.orgId, { name: 'Our crew', is_user_themselves: true });
    const vendor = await insertProvider(t, w.orgId, { name: 'Vendor', provider_type: 'vendor' });
    await insertProvider(t, w.orgId, { name: 'Sub', provider_type: 'contractor' });
    const control = await insertControl(t, w.orgId, {
      quadrant: 'strange',
      provider_distance: null,
      primary_provider_id: vendor,
      last_touched_at: null,
    });
    const file =
      'from_provider,to_provider,relationship_type,path_weight\nour crew,Vendor,contracts,1.5\nVendor,Sub,subcontracts,2\n';
    const dry = await post(w.admin, 'provider-links', file, '?dry_run=true');
    expect(dry.json()).toEqual({ dry_run: true, would_import: 2 });
    expect(await count(w, 'provider_networks')).toBe(0);
    const done = await post(w.admin, 'provider-links', file);
    expect(done.statusCode, done.body).toBe(201);
    expect(done.json()).toMatchObject({ imported: 2 });
    const [moved] = await sql<Record<string, unknown>>(
      t,
      w.orgId,
      `SELECT c.current_quadrant, c.provider_distance,
              (SELECT reason FROM quadrant_classifications q WHERE q.control_id = c.id) AS reason
         FROM controls c WHERE c.id = $1`,
      [control],
    );
    // Distance 1.5 is Close (under the default 2): never touched and close is Specialist.
    expect(moved).toEqual({
      current_quadrant: 'specialist',
      provider_distance: 1.5,
      reason: 'network_change',
    });
    expect(self).toBeTruthy();
  });

  it('lists every problem by line and writes nothing', async () => {
    const w = await buildWorld(t);
    const a = await insertProvider(t, w.orgId, { name: 'A' });
    const b = await insertProvider(t, w.orgId, { name: 'B' });
    await insertProvider(t, w.orgId, { name: 'C' });
    const other = await buildWorld(t);
    await insertProvider(t, other.orgId, { name: 'Theirs' });
    await sql(
      t,
      w.orgId,
      `INSERT INTO provider_networks (organization_id, from_provider_id, to_provider_id, relationship_type, path_weight)
       VALUES ($1, $2, $3, 'contracts', 1)`,
      [w.orgId, a, b],
    );
    const file = [
      'from_provider,to_provider,relationship_type,path_weight',
      'A,B,contracts,2', // 2: already linked
      'A,Nobody,contracts,1', // 3: unknown provider
      'A,Theirs,contracts,1', // 4: another organisation's provider is unknown here
      'C,C,manages,1', // 5: itself
      'B,C,loves,1', // 6: bad type
      'B,C,manages,0', // 7: weight 0
      'B,C,manages,1e3', // 8: not a plain number
      'B,C,manages,1',
      'b,c,supports,3', // 10: twice
    ].join('\n');
    const shape = await post(w.admin, 'provider-links', file, '?dry_run=true');
    expect(shape.statusCode).toBe(400);
    expect(shape.json().details.errors).toEqual([
      {
        line: 6,
        problem:
          'relationship_type must be one of employs, contracts, supplies, subcontracts, manages, supports',
      },
      { line: 7, problem: 'path_weight must be over 0 and at most 1000' },
      { line: 8, problem: 'path_weight must be a number such as 1 or 2.5' },
    ]);
    const names = file
      .split('\n')
      .filter((_line, i) => ![5, 6, 7].includes(i))
      .join('\n');
    const response = await post(w.admin, 'provider-links', names);
    expect(response.statusCode).toBe(400);
    expect(response.json().details.errors).toEqual([
      { line: 2, problem: '"A" is already linked to "B".' },
      { line: 3, problem: 'No provider named "Nobody" in this organisation.' },
      { line: 4, problem: 'No provider named "Theirs" in this organisation.' },
      { line: 5, problem: 'A link must join two different providers.' },
      { line: 7, problem: 'The same link is already on line 6 of this file.' },
    ]);
    expect(await count(w, 'provider_networks')).toBe(1);
  });
});

describe('progress of a long import', () => {
  it('streams a line per batch, then the result; the rows are all written', async () => {
    const w = await buildWorld(t);
    const lines = ['name,control_type,functional_range'];
    for (let i = 0; i < 2500; i++) lines.push(`Control ${i},physical,narrow`);
    const response = await post(w.admin, 'controls', lines.join('\n'), '?progress=true');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const events = response.body
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(events.slice(0, -1)).toEqual([
      { done: 0, total: 2500 },
      { done: 1000, total: 2500 },
      { done: 2000, total: 2500 },
      { done: 2500, total: 2500 },
    ]);
    expect(events.at(-1)).toMatchObject({ imported: 2500, txid: expect.any(Number) });
    expect(await count(w, 'controls')).toBe(2500);
  });

  it('reports a failure while writing in the stream, and nothing is written', async () => {
    const w = await buildWorld(t);
    // Another transaction adds "Taken" and has not committed: the import's check cannot see it
    // and passes, then its insert waits on the unique name and fails once that commits.
    const other = await t.db.ownerPool.connect();
    try {
      await other.query('BEGIN');
      await other.query(
        `INSERT INTO control_providers (organization_id, name, provider_type) VALUES ($1, 'Taken', 'vendor')`,
        [w.orgId],
      );
      const pending = post(
        w.admin,
        'providers',
        'name,provider_type\nFresh,vendor\nTaken,vendor\n',
        '?progress=true',
      );
      for (let waited = 0; waited < 300; waited++) {
        const { rows } = await t.db.ownerPool.query(
          `SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO control_providers%'`,
        );
        if (rows.length > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await other.query('COMMIT');
      const response = await pending;
      expect(response.statusCode).toBe(200);
      const events = response.body
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(events[0]).toEqual({ done: 0, total: 2 });
      expect(events.at(-1)).toMatchObject({ code: 'CONFLICT' });
    } finally {
      other.release();
    }
    const names = await sql<{ name: string }>(t, w.orgId, 'SELECT name FROM control_providers');
    expect(names).toEqual([{ name: 'Taken' }]);
  });
});
