// evaluate() against PostgreSQL itself, property-style: on the rendered SQL for random clauses
// over random rows (NULLs, edge values, mixed time zones, non-ASCII text), in a database
// session whose TimeZone is not UTC. What the parser refuses and how it renders: parse.test.ts.
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { COLUMNS } from './columns.fixture.ts';
import { defaultWhereLimits, loadWhereParser, parseWhere } from './index.ts';

const UNLIMITED_PATTERNS = { ...defaultWhereLimits, maxLikePatternLength: 100_000, maxCost: 100_000 };

const POOLS = {
  t: [
    '',
    'a',
    'A',
    'ab',
    'abc',
    'ABC',
    'aBc',
    'a%b',
    'a_b',
    'b',
    'z',
    'Z',
    'é',
    'É',
    'ée',
    '\uff21',
    '😀',
    'a\\b',
    ' a',
    'a ',
  ],
  n: ['-5', '0', '1', '2', '7', '2147483647', '-2147483648'],
  x: [
    '0',
    '-1.5',
    '2.50',
    '2.5',
    '1000',
    '0.000001',
    'NaN',
    'Infinity',
    '-Infinity',
    '12345678901234567890.123',
  ],
  b: ['true', 'false'],
  u: [
    '00000000-0000-0000-0000-000000000000',
    '123e4567-e89b-12d3-a456-426614174000',
    'ffffffff-ffff-ffff-ffff-ffffffffffff',
    '7f000000-0000-4000-8000-000000000001',
  ],
  ts: [
    '2024-01-01 00:00:00+00',
    '2024-01-01 01:00:00+01',
    '2024-06-30 12:34:56.123456+05:30',
    '2024-06-30 07:04:56.123457+00',
    '1999-12-31 23:59:59.999999+00',
    'infinity',
    '-infinity',
  ],
  d: ['2024-01-01', '2024-02-29', '1999-12-31', '2000-01-01', 'infinity', '-infinity'],
};

/** Literals as a client would write them, per column type (some in non-canonical forms). */
const LITERALS: Record<string, string[]> = {
  t: [...POOLS.t.map(sqlString), "'x'' OR 1=1'"],
  n: ['-5', '0', '1', '2', '3', '2.5', '-1.5', "'7'", '1e3', '2147483647', '99999999999'],
  x: [
    '0',
    '-1.5',
    '2.5',
    '2.50',
    '1000',
    '1e3',
    '0.000001',
    "'NaN'",
    "'Infinity'",
    "'-Infinity'",
    '12345678901234567890.123',
  ],
  b: ['true', 'false', "'t'", "'no'"],
  u: [...POOLS.u.map(sqlString), "'{123E4567E89B12D3A456426614174000}'"],
  ts: [
    "'2024-01-01'",
    "'2024-01-01T00:00:00Z'",
    "'2024-01-01 01:00:00+01:00'",
    "'2024-06-30T07:04:56.123456Z'",
    "'2024-06-30 12:34:56.123457+0530'",
    "'1999-12-31T23:59:59.999999'",
    "'infinity'",
    "'-infinity'",
  ],
  d: ["'2024-01-01'", "'2024-02-29'", "'1999-12-31'", "'infinity'", "'-infinity'"],
};

const LIKE_PATTERNS = [
  'a%',
  '%b',
  '_',
  '%',
  '',
  'A%',
  '%B%',
  'a\\%b',
  'a\\_b',
  'a_b',
  '%é%',
  '%É',
  '😀',
  '_%_',
  '%\\\\%',
  'abc',
];

function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

const TYPED = ['t', 'n', 'x', 'b', 'u', 'ts', 'd'] as const;

const column = fc.constantFrom(...TYPED);
const cmpOp = fc.constantFrom('=', '<>', '!=', '<', '<=', '>', '>=');
const literalFor = (c: string) =>
  fc.oneof(
    { weight: 9, arbitrary: fc.constantFrom(...LITERALS[c]!) },
    { weight: 1, arbitrary: fc.constant('NULL') },
  );

const leaf: fc.Arbitrary<string> = fc.oneof(
  column.chain((c) =>
    fc
      .tuple(cmpOp, literalFor(c), fc.boolean())
      .map(([op, lit, flip]) => (flip ? `${lit} ${op} ${c}` : `${c} ${op} ${lit}`)),
  ),
  column.chain((c) =>
    fc
      .tuple(fc.boolean(), fc.array(literalFor(c), { minLength: 1, maxLength: 4 }))
      .map(([not, items]) => `${c} ${not ? 'NOT IN' : 'IN'} (${items.join(', ')})`),
  ),
  fc
    .tuple(fc.constantFrom('t', 'n', 'x', 'b', 'u', 'ts', 'd', 'j'), fc.boolean())
    .map(([c, not]) => `${c} IS ${not ? 'NOT ' : ''}NULL`),
  fc
    .tuple(
      fc.constantFrom('LIKE', 'NOT LIKE', 'ILIKE', 'NOT ILIKE'),
      fc.constantFrom(...LIKE_PATTERNS),
      fc.constantFrom('t', 't2'),
    )
    .map(([op, pattern, c]) => `${c} ${op} ${sqlString(pattern)}`),
  fc.constantFrom('b', 'NOT b', 'n < x', 'n >= x', 't = t2', 't < t2', 'true', 'false'),
);

const predicate: fc.Arbitrary<string> = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.tuple(tie('node'), fc.constantFrom('AND', 'OR'), tie('node')).map(([a, op, b]) => `(${a} ${op} ${b})`),
    tie('node').map((a) => `NOT (${a})`),
  ),
})).node as fc.Arbitrary<string>;

type TextRow = Record<string, string | null>;
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { freq: 5 });
const rowArb = fc.record({
  t: maybe(fc.constantFrom(...POOLS.t)),
  t2: maybe(fc.constantFrom(...POOLS.t)),
  n: maybe(fc.constantFrom(...POOLS.n)),
  x: maybe(fc.constantFrom(...POOLS.x)),
  b: maybe(fc.constantFrom(...POOLS.b)),
  u: maybe(fc.constantFrom(...POOLS.u)),
  ts: maybe(fc.constantFrom(...POOLS.ts)),
  d: maybe(fc.constantFrom(...POOLS.d)),
  j: maybe(fc.constantFrom('{}', '{"a": 1}')),
});

let client: pg.Client;
let rows: TextRow[] = [];
let likeRows: TextRow[] = [];

/** Long, repetitive texts: where a naive matcher backtracks and a greedy one could go wrong. */
const ADVERSARIAL_TEXTS = [
  '',
  'a'.repeat(300),
  `${'a'.repeat(300)}b`,
  `b${'a'.repeat(300)}`,
  'ab'.repeat(150),
  'aab'.repeat(100),
  `${'a'.repeat(150)}B${'a'.repeat(150)}`,
  `${'Aa'.repeat(100)}%_\\`,
  `${'é'.repeat(50)}😀${'a'.repeat(50)}`,
];

/** Pattern pieces that stress the matcher: long runs, `_` runs, repeats, escapes, case. */
const adversarialPattern = fc
  .array(
    fc.oneof(
      fc.constantFrom('%', '_', 'a', 'b', 'B', 'ab', 'aab', 'é', '😀', '\\%', '\\_', '\\\\'),
      fc.integer({ min: 1, max: 200 }).map((n) => 'a'.repeat(n)),
      fc.integer({ min: 1, max: 40 }).map((n) => '_'.repeat(n)),
      fc.integer({ min: 1, max: 60 }).map((n) => 'ab'.repeat(n)),
    ),
    { maxLength: 6 },
  )
  .map((parts) => parts.join(''));

beforeAll(async () => {
  await loadWhereParser();
  client = new pg.Client({
    connectionString: inject('databaseUrl'),
    types: { getTypeParser: () => (value: string) => value },
  });
  await client.connect();
  // A session zone that is not UTC: row text then carries +05:30 offsets, literals must not drift.
  await client.query(`SET TimeZone = 'Asia/Kolkata'; SET DateStyle = 'ISO, YMD'`);
  await client.query(`CREATE TEMP TABLE w (id serial PRIMARY KEY, t text, t2 text, n int4, x numeric, b boolean,
    u uuid, ts timestamptz, d date, j jsonb)`);
  const generated = fc.sample(rowArb, { numRuns: 60, seed: 42 });
  generated.push({ t: null, t2: null, n: null, x: null, b: null, u: null, ts: null, d: null, j: null });
  for (const row of generated) {
    await client.query(
      'INSERT INTO w (t, t2, n, x, b, u, ts, d, j) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
      [row.t, row.t2, row.n, row.x, row.b, row.u, row.ts, row.d, row.j],
    );
  }
  rows = (await client.query('SELECT * FROM w ORDER BY id')).rows;
  await client.query('CREATE TEMP TABLE lk (id serial PRIMARY KEY, t text)');
  for (const text of ADVERSARIAL_TEXTS) await client.query('INSERT INTO lk (t) VALUES ($1)', [text]);
  likeRows = (await client.query('SELECT * FROM lk ORDER BY id')).rows;
});

afterAll(async () => {
  await client?.end();
});

async function compareWithPostgres(where: string, params: Record<string, string> = {}) {
  const clause = parseWhere(where, COLUMNS, params);
  const { sql, values } = clause.renderSql(0);
  const result = await client.query(`SELECT id, (${sql}) IS TRUE AS r FROM w ORDER BY id`, values);
  const expected = result.rows.map((r) => r.r === 't');
  const actual = rows.map((row) => clause.evaluate(row));
  expect({ where, sql, actual }).toEqual({ where, sql, actual: expected });
}

describe('evaluate() agrees with PostgreSQL', () => {
  it('on random clauses over random rows (property)', async () => {
    await fc.assert(
      fc.asyncProperty(predicate, async (where) => {
        await compareWithPostgres(where);
      }),
      { numRuns: 400 },
    );
  });

  it('on parameters, which are typed by the column they meet', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...(['t', 'n', 'x', 'u', 'ts', 'd'] as const)),
        cmpOp,
        fc.nat(),
        async (c, op, pick) => {
          const pool =
            c === 'ts' ? ['2024-01-01T00:00:00Z', '2024-06-30 07:04:56.123456+00', '2000-01-01'] : POOLS[c];
          const value = pool[pick % pool.length]!;
          await compareWithPostgres(`${c} ${op} $1 OR ${c} IN ($2, $1)`, { '1': value, '2': pool[0]! });
        },
      ),
      { numRuns: 150 },
    );
  });

  it('on adversarial LIKE and ILIKE patterns over long repetitive texts (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        adversarialPattern,
        fc.constantFrom('LIKE', 'NOT LIKE', 'ILIKE', 'NOT ILIKE'),
        async (pattern, op) => {
          const clause = parseWhere(`t ${op} $1`, COLUMNS, { '1': pattern }, UNLIMITED_PATTERNS);
          const { sql, values } = clause.renderSql(0);
          const result = await client.query(`SELECT (${sql}) IS TRUE AS r FROM lk ORDER BY id`, values);
          const expected = result.rows.map((r) => r.r === 't');
          const actual = likeRows.map((row) => clause.evaluate(row));
          expect({ pattern, op, actual }).toEqual({ pattern, op, actual: expected });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('on fixed cases that are easy to get wrong', async () => {
    for (const where of [
      "t < '\uff21'", // UTF-16 order differs from code point order here
      "t > '😀'",
      "t ILIKE 'É%'", // only ASCII letters fold under COLLATE "C"
      "t ILIKE 'abc'",
      "x = 'NaN'",
      "x > 'Infinity'",
      'x = 2.500',
      "ts = '2024-01-01 01:00:00+01'",
      "ts > '2024-06-30T07:04:56.123456Z'",
      "d > '-infinity' AND d < 'infinity'",
      'n NOT IN (1, NULL)',
      'n IN (1, NULL)',
      'NOT (b)',
      "u = '{123E4567E89B12D3A456426614174000}'",
      "t LIKE '%\\\\%'",
    ]) {
      await compareWithPostgres(where);
    }
  });
});
