// Nothing a client sends to GET /api/electric/sync produces a 5xx, and nothing widens a shape:
// random token soups and random text as where, params, columns and protocol parameters, sent
// with one organisation's token, are answered 200 (with only that organisation's rows), 400
// or 403.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYNC_PATH } from '../../src/sync/endpoint.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { bearer, buildOrganization, buildUser, insertRow, type TestUser } from '../helpers/factories.ts';

let t: TestApp;
let alice: TestUser;

beforeAll(async () => {
  // Hundreds of requests from one user in a few seconds: far past the request rate limits,
  // which are not what this test is about (test/limits/sync-request-limits.test.ts is).
  t = await createTestApp({
    env: { SYNC_REQUESTS_PER_USER_PER_MINUTE: '100000', SYNC_INITIAL_SYNCS_PER_USER_PER_MINUTE: '100000' },
  });
  const orgA = await buildOrganization(t.db);
  const orgB = await buildOrganization(t.db);
  alice = await buildUser(t.db, t.config, orgA);
  await buildUser(t.db, t.config, orgB);
  for (const [org, name] of [
    [orgA.id, 'Fuzz A'],
    [orgB.id, 'Fuzz B'],
  ] as const) {
    await insertRow(t.db, org, 'controls', {
      name,
      control_type: 'technical',
      functional_range: 'narrow',
      failure_probability: 0.5,
      last_touched_at: '2024-01-01T00:00:00Z',
    });
  }
});

afterAll(async () => {
  await t?.close();
});

const TOKENS = [
  'name',
  'id',
  'organization_id',
  'failure_probability',
  'last_touched_at',
  'requires_refresher_training',
  'password_hash',
  'controls.name',
  '"name"',
  'xmin',
  '=',
  '<>',
  '<',
  '>=',
  '!=',
  'AND',
  'OR',
  'NOT',
  '(',
  ')',
  "'x'",
  "'Fuzz%'",
  "'2024-01-01'",
  "'00000000-0000-0000-0000-000000000000'",
  '1',
  '0.5',
  '-1',
  '1e3',
  '$1',
  '$2',
  '$0',
  'NULL',
  'IS',
  'IN',
  'LIKE',
  'ILIKE',
  'BETWEEN',
  '::',
  'uuid',
  'text',
  'regclass',
  ',',
  ';',
  '--',
  '/*',
  '*/',
  'SELECT',
  'FROM',
  'users',
  'pg_sleep',
  '"',
  "'",
  'true',
  'false',
  "E'\\\\'",
  '.',
  '*',
  '||',
  'UNION',
  'current_setting',
  '[',
  ']',
  'ARRAY',
];

const where = fc.oneof(
  fc.constantFrom(
    '',
    'name LIKE $1',
    'failure_probability >= 0.5 OR true',
    'organization_id IS NOT NULL OR name = $1',
    "NOT (name = 'x') OR organization_id = '00000000-0000-0000-0000-000000000000'",
    "last_touched_at >= $1 OR last_touched_at < '2024-01-01'",
    'requires_refresher_training OR id IN ($1, $2)',
  ),
  fc.array(fc.constantFrom(...TOKENS), { minLength: 1, maxLength: 12 }).map((parts) => parts.join(' ')),
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
);
const param = fc.oneof(
  fc.constantFrom(
    'x',
    'Fuzz%',
    '0.5',
    '2024-01-01',
    '00000000-0000-0000-0000-000000000000',
    "' OR '1'='1",
    '',
  ),
  fc.string({ unit: 'binary', maxLength: 20 }),
);
const columns = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom(
    'id,name',
    'id,"name"',
    'name',
    'id,password_hash',
    'id,,name',
    '"id',
    'id, organization_id',
  ),
  fc.string({ maxLength: 20 }),
);
const table = fc.constantFrom(
  'controls',
  'controls',
  'controls',
  'users',
  'sessions',
  'public.controls',
  'pg_class',
  '',
);
const offset = fc.constantFrom('-1', '-1', '-1', '-1', 'now', '0_0', 'abc', '');

describe('the sync endpoint under random input', () => {
  it('answers 200 (own rows only), 400 or 403, never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        table,
        where,
        fc.array(param, { maxLength: 3 }),
        columns,
        offset,
        fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 2 }),
        async (tableName, whereText, params, columnList, offsetValue, extra) => {
          const query = new URLSearchParams({ table: tableName, offset: offsetValue, where: whereText });
          params.forEach((value, index) => {
            query.set(`params[${index + 1}]`, value);
          });
          if (columnList !== undefined) query.set('columns', columnList);
          for (const [key, value] of Object.entries(extra)) if (!query.has(key)) query.set(key, value);
          const response = await t.app.inject({
            method: 'GET',
            url: `${SYNC_PATH}?${query}`,
            headers: bearer(alice),
          });
          expect({ query: query.toString(), status: response.statusCode }).toEqual({
            query: query.toString(),
            status: expect.toSatisfy((s: number) => [200, 400, 403].includes(s)),
          });
          if (response.statusCode === 200 && offsetValue === '-1') {
            const messages = response.json() as { value?: Record<string, unknown> }[];
            for (const message of messages) {
              if (!message.value) continue;
              if ('organization_id' in message.value) expect(message.value.organization_id).toBe(alice.orgId);
              if ('name' in message.value && tableName.endsWith('controls'))
                expect(message.value.name).toBe('Fuzz A');
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
