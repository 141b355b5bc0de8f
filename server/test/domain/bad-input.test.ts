// Hostile and malformed input on every domain route: always a 4xx in the one error shape, never
// a 5xx, and nothing written.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { buildWorld, insertControl, insertProvider, sql, type World } from './world.ts';

let t: TestApp;
let w: World;
let control: string;
let provider: string;
beforeAll(async () => {
  t = await createTestApp();
  w = await buildWorld(t);
  control = await insertControl(t, w.orgId);
  provider = await insertProvider(t, w.orgId);
});
afterAll(() => t.close());

const nul = 'a\u0000b';
const cases = (): Array<[method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown]> => [
  ['GET', '/api/traces?limit=0'],
  ['GET', '/api/traces?limit=99999999999999999999'],
  ['GET', '/api/traces?offset=-1'],
  ['GET', `/api/traces?control_id=${nul}`],
  ['GET', '/api/traces/%00'],
  ['POST', '/api/traces', { trace_type: 'work_order', recorded_at: '2026-02-30T00:00:00Z' }],
  ['POST', '/api/traces', { trace_type: 'work_order', related_incident_id: 12 }],
  ['POST', '/api/traces', [1, 2, 3]],
  ['POST', '/api/traces', 'null'],
  ['GET', '/api/competencies?within_days=-5&expiring=true'],
  [
    'POST',
    '/api/competencies',
    { user_id: randomUUID(), control_id: randomUUID(), competency_level: 'expert' },
  ],
  [
    'POST',
    '/api/competencies',
    { user_id: w.member.id, control_id: control, competency_level: 'expert', certified_by: nul },
  ],
  [
    'POST',
    '/api/competencies',
    {
      user_id: w.member.id,
      control_id: control,
      competency_level: 'expert',
      last_training_date: '0000-01-01',
    },
  ],
  ['PATCH', `/api/competencies/${randomUUID()}`, { training_hours: 1 }],
  [
    'POST',
    '/api/slas',
    {
      control_id: control,
      provider_id: provider,
      service_name: nul,
      uptime_percentage: 99,
      start_date: '2026-01-01',
    },
  ],
  [
    'POST',
    '/api/slas',
    {
      control_id: control,
      provider_id: provider,
      service_name: 'x',
      uptime_percentage: '99',
      start_date: '2026-01-01',
    },
  ],
  [
    'POST',
    '/api/slas',
    {
      control_id: control,
      provider_id: provider,
      service_name: 'x',
      uptime_percentage: 99,
      start_date: '99999-01-01',
    },
  ],
  ['PATCH', `/api/slas/${randomUUID()}`, { breaches_count: 1 }],
  ['PATCH', '/api/verification-strategies/00000000-0000-0000-0000-000000000000', { frequency_days: 5 }],
  ['PATCH', '/api/verification-strategies/x', { frequency_days: 5 }],
  ['GET', '/api/predictions?limit=-1'],
  ['POST', '/api/predictions/recompute', { control_ids: ['nope'] }],
  ['POST', '/api/predictions/recompute', { control_ids: [] }],
  ['GET', '/api/audit?before=-1'],
  ['GET', '/api/audit?before=1e400'],
  ['GET', `/api/audit?entity_type=${encodeURIComponent(nul)}`],
  ['GET', `/api/audit?entity_type=${'a'.repeat(100)}`],
  ['GET', '/api/controls/export?format=csv&format=json'],
  ['GET', '/api/trends/quadrants?days=1e400'],
  ['GET', '/api/trends/quadrants?days=-1'],
  ['GET', `/api/trends/quadrants?days=${nul}`],
  ['POST', '/api/providers/import', { name: 'not CSV' }],
  ['POST', '/api/provider-links/import', { from_provider: 'not CSV' }],
  ['POST', '/api/providers/import?progress=maybe', { name: 'x' }],
  ['POST', '/api/provider-links/import?dry_run=yes', { name: 'x' }],
];

describe('bad input on the domain routes', () => {
  it('answers every case with a 4xx in the error shape, never a 5xx, and writes nothing', async () => {
    const before = await sql<{ n: number }>(t, w.orgId, 'SELECT count(*)::int AS n FROM audit_log');
    for (const [method, url, body] of cases()) {
      const response = await t.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${w.owner.token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      const label = `${method} ${url} ${JSON.stringify(body) ?? ''}`.slice(0, 160);
      expect(response.statusCode, label).toBeGreaterThanOrEqual(400);
      expect(response.statusCode, label).toBeLessThan(500);
      expect(Object.keys(response.json()).sort(), label).toEqual(['code', 'details', 'error']);
    }
    const after = await sql<{ n: number }>(t, w.orgId, 'SELECT count(*)::int AS n FROM audit_log');
    expect(after).toEqual(before);
  });

  it('survives hostile CSV on every import, with or without progress: binary garbage, a lone quote, ten thousand and one rows, a huge cell', async () => {
    const files = [
      Buffer.from([0xff, 0xfe, 0x00, 0x41, 0x0a, 0x80, 0x81]).toString('latin1'),
      '"',
      `name,control_type,functional_range\n${'A,physical,narrow\n'.repeat(10_001)}`,
      `name,control_type,functional_range\n${'x'.repeat(300)},physical,narrow\n`,
      'name;control_type;functional_range\nA;physical;narrow\n',
    ];
    const urls = [
      '/api/controls/import',
      '/api/controls/import?progress=true',
      '/api/providers/import',
      '/api/provider-links/import?progress=true',
    ];
    for (const url of urls) {
      for (const payload of files) {
        const response = await t.app.inject({
          method: 'POST',
          url,
          headers: { authorization: `Bearer ${w.owner.token}`, 'content-type': 'text/csv' },
          payload,
        });
        expect(response.statusCode, `${url} ${payload.slice(0, 40)}`).toBe(400);
        expect(response.json().details.errors.length).toBeGreaterThan(0);
      }
    }
    const [row] = await sql<{ n: number }>(
      t,
      w.orgId,
      `SELECT (SELECT count(*) FROM controls)::int + (SELECT count(*) FROM control_providers)::int
              + (SELECT count(*) FROM provider_networks)::int AS n`,
    );
    expect(row!.n).toBe(2); // the control and the provider made before
  });
});
