// A table of bad inputs on the controls routes (create, update, list, interactions, history):
// each is a 400 in the one error shape and changes nothing. Providers and links are in
// bad-input-providers.test.ts; raw bodies and random garbage in bad-input.test.ts.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, it } from 'vitest';
import {
  type BadInputWorld,
  buildBadInputWorld,
  type Case,
  expectRefused,
  huge,
  validControl,
} from './bad-input-world.ts';

let world: BadInputWorld;
let ids: BadInputWorld['ids'];
beforeAll(async () => {
  world = await buildBadInputWorld();
  ids = world.ids;
});
afterAll(() => world.t.close());

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
];

describe('bad input → 400 with the error shape, nothing changes', () => {
  it.each(cases)('%s', async (_label, method, url, body) => {
    await expectRefused(world, method, url(), body ? body() : undefined);
  });
});
