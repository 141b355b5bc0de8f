// Requests no schema can describe: malformed, empty or non-JSON bodies, JSON nested 100,000
// deep, bodies over the size limit, and random garbage on every write route. None may produce a
// 5xx. The per-field tables are in bad-input-controls.test.ts and bad-input-providers.test.ts.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.ts';
import { bearer } from '../helpers/factories.ts';
import { type BadInputWorld, buildBadInputWorld, validControl } from './bad-input-world.ts';
import { call, type Tenant } from './world.ts';

let t: TestApp;
let a: Tenant;
let ids: BadInputWorld['ids'];
beforeAll(async () => {
  ({ t, a, ids } = await buildBadInputWorld());
});
afterAll(() => t.close());

describe('bad input → 400 with the error shape, nothing changes', () => {
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
