// A table of bad inputs on every controls/providers route: each is a 400 in the one error shape,
// changes nothing, and nothing a client sends produces a 5xx.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { bearer } from '../helpers/factories.ts';
import { buildTenant, call, control, link, provider, type Tenant } from './world.ts';

let t: TestApp;
let a: Tenant;
let ids: { control: string; provider: string; other: string; link: string };
beforeAll(async () => {
  t = await createTestApp();
  a = await buildTenant(t);
  const p = await provider(t, a);
  const other = await provider(t, a);
  ids = {
    control: (await control(t, a, { name: 'Untouchable' })).id,
    provider: p.id,
    other: other.id,
    link: (await link(t, a, p.id, other.id, 1)).id,
  };
});
afterAll(() => t.close());

const huge = 'x'.repeat(10_000);
/** {"a":{"a":…1…}} nested `depth` levels, built without recursion. */
const nested = (depth: number) => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value as Record<string, unknown>;
};
const validControl = { name: 'Valid', control_type: 'physical', functional_range: 'narrow' };
const validLink = () => ({
  from_provider_id: ids.provider,
  to_provider_id: ids.other,
  relationship_type: 'supplies',
  path_weight: 1,
});

type Case = [
  label: string,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: () => string,
  body?: () => unknown,
];

const cases: Case[] = [
  // controls: create
  [
    'control: name missing',
    'POST',
    () => '/api/controls',
    () => ({ control_type: 'physical', functional_range: 'narrow' }),
  ],
  ['control: name empty', 'POST', () => '/api/controls', () => ({ ...validControl, name: '' })],
  ['control: name only spaces', 'POST', () => '/api/controls', () => ({ ...validControl, name: '   ' })],
  ['control: name huge', 'POST', () => '/api/controls', () => ({ ...validControl, name: huge })],
  ['control: name a number', 'POST', () => '/api/controls', () => ({ ...validControl, name: 42 })],
  ['control: name with NUL', 'POST', () => '/api/controls', () => ({ ...validControl, name: 'a\u0000b' })],
  [
    'control: description huge',
    'POST',
    () => '/api/controls',
    () => ({ ...validControl, description: huge }),
  ],
  [
    'control: bad control_type',
    'POST',
    () => '/api/controls',
    () => ({ ...validControl, control_type: 'magical' }),
  ],
  [
    'control: bad functional_range',
    'POST',
    () => '/api/controls',
    () => ({ ...validControl, functional_range: 'WIDE' }),
  ],
  [
    'control: provider not a uuid',
    'POST',
    () => '/api/controls',
    () => ({ ...validControl, primary_provider_id: 'p-1' }),
  ],
  ['control: id not a uuid', 'POST', () => '/api/controls', () => ({ ...validControl, id: '123' })],
  ['control: unknown field', 'POST', () => '/api/controls', () => ({ ...validControl, colour: 'red' })],
  [
    'control: current_quadrant is not writable',
    'POST',
    () => '/api/controls',
    () => ({ ...validControl, current_quadrant: 'self' }),
  ],
  [
    'control: provider_distance is not writable',
    'POST',
    () => '/api/controls',
    () => ({ ...validControl, provider_distance: 0 }),
  ],
  [
    'control: refresher flag a string',
    'POST',
    () => '/api/controls',
    () => ({ ...validControl, requires_refresher_training: 'yes' }),
  ],
  ['control: body an array', 'POST', () => '/api/controls', () => [validControl]],
  ['control: body null', 'POST', () => '/api/controls', () => null],
  ['control: patch empty', 'PATCH', () => `/api/controls/${ids.control}`, () => ({})],
  [
    'control: patch unknown field',
    'PATCH',
    () => `/api/controls/${ids.control}`,
    () => ({ last_touched_at: new Date().toISOString() }),
  ],
  ['control: patch name null', 'PATCH', () => `/api/controls/${ids.control}`, () => ({ name: null })],
  ['control: id param not a uuid (GET)', 'GET', () => '/api/controls/not-a-uuid'],
  ['control: id param not a uuid (PATCH)', 'PATCH', () => '/api/controls/123', () => ({ name: 'x' })],
  ['control: id param not a uuid (DELETE)', 'DELETE', () => "/api/controls/1'%20OR%201=1"],
  // list query
  ['list: limit 0', 'GET', () => '/api/controls?limit=0'],
  ['list: limit huge', 'GET', () => '/api/controls?limit=100000'],
  ['list: limit not a number', 'GET', () => '/api/controls?limit=ten'],
  ['list: negative offset', 'GET', () => '/api/controls?offset=-1'],
  ['list: bad quadrant', 'GET', () => '/api/controls?quadrant=remote'],
  ['list: two quadrants', 'GET', () => '/api/controls?quadrant=self&quadrant=service'],
  ['list: bad sort', 'GET', () => '/api/controls?sort=name;DROP TABLE controls'],
  ['list: bad provider_id', 'GET', () => '/api/controls?provider_id=abc'],
  ['list: unknown parameter', 'GET', () => '/api/controls?organization_id=x'],
  ['list: q huge', 'GET', () => `/api/controls?q=${'y'.repeat(500)}`],
  ['list: q with NUL', 'GET', () => '/api/controls?q=a%00b'],
  ['list: bad cursor', 'GET', () => '/api/controls?cursor=%E2%98%83'],
  ['list: attention not boolean', 'GET', () => '/api/controls?attention=maybe'],
  // interactions
  ['touch: missing type', 'POST', () => `/api/controls/${ids.control}/interactions`, () => ({})],
  [
    'touch: bad type',
    'POST',
    () => `/api/controls/${ids.control}/interactions`,
    () => ({ interaction_type: 'poke' }),
  ],
  [
    'touch: negative duration',
    'POST',
    () => `/api/controls/${ids.control}/interactions`,
    () => ({ interaction_type: 'use', duration_minutes: -5 }),
  ],
  [
    'touch: fractional duration',
    'POST',
    () => `/api/controls/${ids.control}/interactions`,
    () => ({ interaction_type: 'use', duration_minutes: 1.5 }),
  ],
  [
    'touch: duration a string',
    'POST',
    () => `/api/controls/${ids.control}/interactions`,
    () => ({ interaction_type: 'use', duration_minutes: '10' }),
  ],
  [
    'touch: huge duration',
    'POST',
    () => `/api/controls/${ids.control}/interactions`,
    () => ({ interaction_type: 'use', duration_minutes: 1e12 }),
  ],
  [
    'touch: notes huge',
    'POST',
    () => `/api/controls/${ids.control}/interactions`,
    () => ({ interaction_type: 'use', notes: huge }),
  ],
  [
    'touch: bad occurred_at',
    'POST',
    () => `/api/controls/${ids.control}/interactions`,
    () => ({ interaction_type: 'use', occurred_at: 'yesterday' }),
  ],
  [
    'touch: bad id',
    'POST',
    () => `/api/controls/${ids.control}/interactions`,
    () => ({ interaction_type: 'use', id: 'abc' }),
  ],
  [
    'touch: user_id smuggled',
    'POST',
    () => `/api/controls/${ids.control}/interactions`,
    () => ({ interaction_type: 'use', user_id: randomUUID() }),
  ],
  [
    'touch: quadrant smuggled',
    'POST',
    () => `/api/controls/${ids.control}/interactions`,
    () => ({ interaction_type: 'use', quadrant_after: 'self' }),
  ],
  ['history: bad limit', 'GET', () => `/api/controls/${ids.control}/interactions?limit=-1`],
  ['history: unknown parameter', 'GET', () => `/api/controls/${ids.control}/classifications?sort=x`],
  // providers
  ['provider: missing type', 'POST', () => '/api/providers', () => ({ name: 'P' })],
  ['provider: bad type', 'POST', () => '/api/providers', () => ({ name: 'P', provider_type: 'alien' })],
  [
    'provider: contact_info an array',
    'POST',
    () => '/api/providers',
    () => ({ name: 'P', provider_type: 'vendor', contact_info: [1] }),
  ],
  [
    'provider: contact_info a string',
    'POST',
    () => '/api/providers',
    () => ({ name: 'P', provider_type: 'vendor', contact_info: 'call me' }),
  ],
  [
    'provider: contact_info with NUL',
    'POST',
    () => '/api/providers',
    () => ({ name: 'P', provider_type: 'vendor', contact_info: { phone: '\u0000' } }),
  ],
  [
    'provider: contact_info huge',
    'POST',
    () => '/api/providers',
    () => ({ name: 'P', provider_type: 'vendor', contact_info: { notes: huge.repeat(2) } }),
  ],
  [
    'provider: contact_info nested 1,000 deep',
    'POST',
    () => '/api/providers',
    () => ({ name: 'P', provider_type: 'vendor', contact_info: nested(1_000) }),
  ],
  [
    'provider: patch contact_info nested 20 deep',
    'PATCH',
    () => `/api/providers/${ids.provider}`,
    () => ({ contact_info: nested(20) }),
  ],
  [
    'provider: self flag a string',
    'POST',
    () => '/api/providers',
    () => ({ name: 'P', provider_type: 'user', is_user_themselves: 'true' }),
  ],
  ['provider: patch empty', 'PATCH', () => `/api/providers/${ids.provider}`, () => ({})],
  ['provider: bad id param', 'GET', () => '/api/providers/xyz'],
  ['providers: bad type filter', 'GET', () => '/api/providers?provider_type=x'],
  // links
  ['link: negative weight', 'POST', () => '/api/provider-links', () => ({ ...validLink(), path_weight: -1 })],
  ['link: zero weight', 'POST', () => '/api/provider-links', () => ({ ...validLink(), path_weight: 0 })],
  [
    'link: weight too big',
    'POST',
    () => '/api/provider-links',
    () => ({ ...validLink(), path_weight: 1001 }),
  ],
  [
    'link: weight a string',
    'POST',
    () => '/api/provider-links',
    () => ({ ...validLink(), path_weight: '1' }),
  ],
  [
    'link: to itself',
    'POST',
    () => '/api/provider-links',
    () => ({ ...validLink(), to_provider_id: ids.provider }),
  ],
  [
    'link: bad relationship',
    'POST',
    () => '/api/provider-links',
    () => ({ ...validLink(), relationship_type: 'loves' }),
  ],
  [
    'link: from not a uuid',
    'POST',
    () => '/api/provider-links',
    () => ({ ...validLink(), from_provider_id: 'a' }),
  ],
  [
    'link: patch negative weight',
    'PATCH',
    () => `/api/provider-links/${ids.link}`,
    () => ({ path_weight: -0.5 }),
  ],
  [
    'link: patch endpoints (not changeable)',
    'PATCH',
    () => `/api/provider-links/${ids.link}`,
    () => ({ from_provider_id: ids.other }),
  ],
  ['links: bad provider filter', 'GET', () => '/api/provider-links?provider_id=1'],
];

describe('bad input → 400 with the error shape, nothing changes', () => {
  it.each(cases)('%s', async (_label, method, url, body) => {
    const before = await call(t, a.users.viewer, 'GET', `/api/controls/${ids.control}`);
    const res = await call(t, a.users.owner, method, url(), body ? body() : undefined);
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body).toEqual({
      error: expect.any(String),
      code: 'VALIDATION_ERROR',
      details: expect.any(Object),
    });
    const after = await call(t, a.users.viewer, 'GET', `/api/controls/${ids.control}`);
    expect(after.body.data).toEqual(before.body.data);
  });

  it('non-JSON bodies: malformed JSON, empty JSON, wrong content type', async () => {
    const shots = [
      { payload: '{"name": "x",', type: 'application/json', status: 400 },
      { payload: '', type: 'application/json', status: 400 },
      { payload: 'name=x', type: 'application/x-www-form-urlencoded', status: 415 },
      { payload: 'plain', type: 'text/plain', status: 400 }, // Fastify parses text/plain; the schema refuses a string
    ];
    for (const url of [
      '/api/controls',
      `/api/controls/${ids.control}/interactions`,
      '/api/providers',
      '/api/provider-links',
    ]) {
      for (const shot of shots) {
        const res = await t.app.inject({
          method: 'POST',
          url,
          headers: { ...bearer(a.users.owner), 'content-type': shot.type },
          payload: shot.payload,
        });
        expect(res.statusCode, `${url} ${shot.type}`).toBe(shot.status);
        expect(res.json()).toMatchObject({
          code: expect.any(String),
          error: expect.any(String),
          details: {},
        });
      }
    }
  });

  it('very deep JSON (100,000 levels, under the size limit) is a 400, not a crash', async () => {
    const depth = 100_000;
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/providers',
      headers: { ...bearer(a.users.owner), 'content-type': 'application/json' },
      payload: `{"name":"Deep","provider_type":"vendor","contact_info":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('VALIDATION_ERROR');
  });

  it('a body over the size limit is refused (413), not a crash', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/controls',
      headers: { ...bearer(a.users.owner), 'content-type': 'application/json' },
      payload: JSON.stringify({ ...validControl, description: 'z'.repeat(2_000_000) }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('random garbage never produces a 5xx', async () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const values = [
      null,
      true,
      -1,
      0,
      1e308,
      '',
      ' ',
      '\u0000',
      'é',
      '💥',
      [],
      {},
      randomUUID(),
      '2026-13-45T99:99:99Z',
      'x'.repeat(300),
    ];
    const fields = [
      'name',
      'control_type',
      'functional_range',
      'primary_provider_id',
      'interaction_type',
      'path_weight',
      'provider_type',
      'id',
      'occurred_at',
      'contact_info',
    ];
    const urls = [
      '/api/controls',
      `/api/controls/${ids.control}`,
      `/api/controls/${ids.control}/interactions`,
      '/api/providers',
      '/api/provider-links',
      `/api/provider-links/${ids.link}`,
    ];
    for (let i = 0; i < 150; i++) {
      const body: Record<string, unknown> = {};
      for (const field of fields)
        if (random() < 0.5) body[field] = values[Math.floor(random() * values.length)];
      const url = urls[Math.floor(random() * urls.length)]!;
      const method = url.endsWith('s') ? 'POST' : 'PATCH';
      const res = await call(t, a.users.owner, method, url, body);
      expect(res.status, `${method} ${url} ${JSON.stringify(body)}`).toBeLessThan(500);
    }
  });
});
