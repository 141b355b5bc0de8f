// A table of bad inputs on the providers and provider-links routes: each is a 400 in the one
// error shape and changes nothing. Controls are in bad-input-controls.test.ts.
import { afterAll, beforeAll, describe, it } from 'vitest';
import {
  type BadInputWorld,
  buildBadInputWorld,
  type Case,
  expectRefused,
  huge,
  nested,
} from './bad-input-world.ts';

let world: BadInputWorld;
let ids: BadInputWorld['ids'];
beforeAll(async () => {
  world = await buildBadInputWorld();
  ids = world.ids;
});
afterAll(() => world.t.close());

const validLink = () => ({
  from_provider_id: ids.provider,
  to_provider_id: ids.other,
  relationship_type: 'supplies',
  path_weight: 1,
});

const cases: Case[] = [
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
    await expectRefused(world, method, url(), body ? body() : undefined);
  });
});
