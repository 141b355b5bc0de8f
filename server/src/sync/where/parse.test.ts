// The where parser on its own (no database): what it refuses, how it renders, and the
// canonical values and LIKE matching it relies on. Agreement with PostgreSQL: evaluate.test.ts.
import { beforeAll, describe, expect, it } from 'vitest';
import { COLUMNS } from './columns.fixture.ts';
import { canonicalValue, likeMatch, loadWhereParser, parseWhere, WhereError } from './index.ts';

beforeAll(async () => {
  await loadWhereParser();
});

describe('refusals', () => {
  const refused = [
    'true) OR (true',
    '1=1; DROP TABLE controls',
    "t = 'x'; SELECT 1",
    "t = 'x' -- comment",
    "t = 'x' /* comment */",
    't = (SELECT t FROM w LIMIT 1)',
    'EXISTS (SELECT 1)',
    'pg_sleep(1) IS NULL',
    't = pg_sleep(1)::text',
    "t::regclass = 'w'",
    "'w'::regclass IS NULL",
    '$1::regclass = t',
    't::text = $1',
    'w.t = $1',
    'public.w.t = $1',
    'xmin = 1',
    'ctid IS NULL',
    'password_hash IS NULL',
    '"T" = $1',
    "t = 'a' UNION SELECT 1",
    "t = 'a' ORDER BY 1",
    "t = 'a' LIMIT 1",
    "t = 'a' GROUP BY t",
    'n BETWEEN 1 AND 2',
    "t SIMILAR TO 'a'",
    "t ~ 'a'",
    "t || 'a' = 'ab'",
    'n + 1 = 2',
    '-n = 1',
    'n = ANY($1)',
    't = \'a\' COLLATE "C"',
    "t IS DISTINCT FROM 'a'",
    'b IS TRUE',
    'CASE WHEN b THEN true END',
    'COALESCE(b, true)',
    'ARRAY[1] IS NULL',
    'ROW(1, 2) IS NULL',
    "current_user = 'postgres'",
    'n = 1 AND',
    '',
    '1 = 1',
    '$1 = $2',
    't = 1',
    "n = 'abc'",
    "u = 'not-a-uuid'",
    "d = '2023-02-29'",
    "ts = 'now'",
    "ts = 'yesterday'",
    "b = 'maybe'",
    "j = '{}'",
    "t LIKE 'a\\'",
    "t LIKE 'a' ESCAPE '!'",
    't = $3',
    "t = E'\\x00'",
    'n = 1::numeric(3,1)',
    "n = '1'::text",
    "t = 'a'::varchar(3)",
    't IN (SELECT t FROM w)',
    "t = 'a' FOR UPDATE",
    "t = 'a' INTO x",
    'n',
    "t = b'101'",
  ];
  it.each(refused)('refuses %s', (where) => {
    expect(() => parseWhere(where, COLUMNS, { '1': 'a', '2': 'b' })).toThrow(WhereError);
  });

  it('refuses a where longer than the limit, and deep nesting', () => {
    expect(() => parseWhere(`t = '${'a'.repeat(5000)}'`, COLUMNS)).toThrow(WhereError);
    expect(() => parseWhere(`${'NOT ('.repeat(40)}b${')'.repeat(40)}`, COLUMNS)).toThrow(WhereError);
  });

  it('names the parameter at fault', () => {
    try {
      parseWhere('u = $1', COLUMNS, { '1': "x' OR '1'='1" });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(WhereError);
      expect((error as WhereError).field).toBe('params');
    }
  });
});

describe('rendering', () => {
  it('never carries client text into SQL: values become typed bind parameters', () => {
    const { sql, values } = parseWhere(
      "t = 'x'' OR 1=1 --' AND n IN (1, 2.5) AND u = $1 AND ts >= '2024-01-01' AND t LIKE $2",
      COLUMNS,
      { '1': '123E4567-E89B-12D3-A456-426614174000', '2': "%'; DROP TABLE w; --" },
    ).renderSql(1);
    expect(sql).toBe(
      '(("t" = $2::text) AND ("n" IN ($3::int8, $4::numeric)) AND ("u" = $5::uuid) AND ("ts" >= $6::timestamptz) AND ("t" COLLATE "C" LIKE $7::text))',
    );
    expect(values).toEqual([
      "x' OR 1=1 --",
      '1',
      '2.5',
      '123e4567-e89b-12d3-a456-426614174000',
      '2024-01-01T00:00:00.000000+00:00',
      "%'; DROP TABLE w; --",
    ]);
  });

  it('renders for Electric without COLLATE, NULL as a typed literal', () => {
    const clause = parseWhere("t < 'b' OR t = NULL", COLUMNS);
    expect(clause.renderSql(0, { collate: false })).toEqual({
      sql: '(("t" < $1::text) OR ("t" = NULL::text))',
      values: ['b'],
    });
    expect(clause.columns).toEqual(['t']);
  });

  it('accepts casts of values to the compared column type only', () => {
    expect(
      parseWhere("n = $1::int AND ts > '2024-01-01'::timestamptz", COLUMNS, { '1': '3' }).renderSql(0).sql,
    ).toBe('(("n" = $1::int8) AND ("ts" > $2::timestamptz))');
    expect(() => parseWhere("n = '1'::uuid", COLUMNS)).toThrow(WhereError);
  });
});

describe('values', () => {
  it('canonicalises input forms', () => {
    expect(canonicalValue('numeric', ' 1e3 ')).toBe('1000');
    expect(canonicalValue('numeric', '-0.50')).toBe('-0.50');
    expect(canonicalValue('numeric', '.5')).toBe('0.5');
    expect(canonicalValue('uuid', '{123E4567-E89B-12D3-A456-426614174000}')).toBe(
      '123e4567-e89b-12d3-a456-426614174000',
    );
    expect(canonicalValue('bool', 'YES')).toBe('t');
    expect(canonicalValue('timestamptz', '2024-01-01T05:30:00+05:30')).toBe(
      '2024-01-01T00:00:00.000000+00:00',
    );
    expect(canonicalValue('timestamptz', '0001-01-01T00:00:00+05:00')).toEqual({ error: 'out of range' });
    expect(canonicalValue('timestamptz', '9999-12-31T23:00:00-05:00')).toEqual({ error: 'out of range' });
    expect(canonicalValue('text', 'a\u0000')).toEqual({ error: expect.any(String) });
    expect(canonicalValue('text', '\ud800')).toEqual({ error: expect.any(String) });
  });

  it('matches LIKE without backtracking blow-up', () => {
    expect(likeMatch('a'.repeat(5000), `${'%a'.repeat(50)}b`)).toBe(false);
    expect(likeMatch('😀x', '_x')).toBe(true);
    expect(likeMatch('a%b', 'a\\%b')).toBe(true);
    expect(likeMatch('axb', 'a\\%b')).toBe(false);
  });
});
