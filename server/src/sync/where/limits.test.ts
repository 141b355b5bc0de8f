// The resource limits of a where: each refusal names its limit (WhereError.limit), the field
// at fault and, in words, the value found and the limit; wheres under the limits pass.
import { beforeAll, describe, expect, it } from 'vitest';
import { COLUMNS } from './columns.fixture.ts';
import { defaultWhereLimits, loadWhereParser, parseWhere, WhereError } from './index.ts';

beforeAll(async () => {
  await loadWhereParser();
});

function refusal(run: () => unknown): WhereError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(WhereError);
    return error as WhereError;
  }
  throw new Error('expected a WhereError');
}

const limits = { maxLikePatternLength: 20, maxParamsBytes: 100, maxCost: 300 };

describe('where limits', () => {
  it('refuses a LIKE pattern longer than the limit, constant or parameter', () => {
    for (const run of [
      () => parseWhere(`t LIKE '%${'a'.repeat(20)}%'`, COLUMNS, {}, limits),
      () => parseWhere('t ILIKE $1', COLUMNS, { '1': `%${'a'.repeat(20)}%` }, limits),
    ]) {
      const error = refusal(run);
      expect(error.limit).toBe('pattern_too_long');
      expect(error.field).toBe('where');
      expect(error.message).toBe(
        'the LIKE pattern for t is 22 characters long; patterns are limited to 20 characters',
      );
    }
    expect(() => parseWhere(`t LIKE '%${'a'.repeat(18)}%'`, COLUMNS, {}, limits)).not.toThrow();
  });

  it('refuses params over the byte limit in total (UTF-8 bytes)', () => {
    const error = refusal(() =>
      parseWhere('t = $1 OR t = $2', COLUMNS, { '1': 'a'.repeat(60), '2': 'é'.repeat(25) }, limits),
    );
    expect(error.limit).toBe('params_too_large');
    expect(error.field).toBe('params');
    expect(error.message).toBe("params hold 110 bytes in total; a shape's params are limited to 100 bytes");
    expect(() => parseWhere('t = $1', COLUMNS, { '1': 'a'.repeat(100) }, limits)).not.toThrow();
  });

  it('refuses a where whose estimated cost is over the budget', () => {
    // The attack shape: six LIKEs over one column, ORed.
    const where = Array.from({ length: 6 }, (_, i) => `t LIKE $${i + 1}`).join(' OR ');
    const params = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [String(i + 1), '%ab%']));
    const error = refusal(() => parseWhere(where, COLUMNS, params, limits));
    expect(error.limit).toBe('where_too_costly');
    expect(error.message).toMatch(
      /^where is too costly to evaluate on every change: its estimated cost is 624 and the limit is 300 /,
    );
    expect(() => parseWhere('t LIKE $1 OR t LIKE $2', COLUMNS, params, limits)).not.toThrow();
    // A segment with `_` costs a pass per 32 characters: ⌈40 / 32⌉ = 2 passes.
    const wildcard = `%${'a_'.repeat(20)}%`;
    expect(
      refusal(() =>
        parseWhere(
          't LIKE $1',
          COLUMNS,
          { '1': wildcard },
          { ...limits, maxLikePatternLength: 100, maxCost: 241 },
        ),
      ).limit,
    ).toBe('where_too_costly');
    expect(() =>
      parseWhere(
        't LIKE $1',
        COLUMNS,
        { '1': wildcard },
        { ...limits, maxLikePatternLength: 100, maxCost: 242 },
      ),
    ).not.toThrow();
    // IN counts its values; other conditions 1 each.
    expect(() => parseWhere(`n IN (${'1,'.repeat(299)}1)`, COLUMNS, {}, limits)).not.toThrow();
    expect(refusal(() => parseWhere(`n IN (${'1,'.repeat(300)}1)`, COLUMNS, {}, limits)).limit).toBe(
      'where_too_costly',
    );
  });

  it('refuses the issue attack by default (pattern of 2,502 characters)', () => {
    const params = { '1': `%${'a'.repeat(2500)}b%` };
    const error = refusal(() => parseWhere('t LIKE $1 OR t LIKE $1', COLUMNS, params));
    expect(error.limit).toBe('pattern_too_long');
    expect(error.message).toContain(`limited to ${defaultWhereLimits.maxLikePatternLength} characters`);
  });

  it('leaves other refusals without a limit', () => {
    expect(refusal(() => parseWhere('t = pg_sleep(1)', COLUMNS)).limit).toBeUndefined();
  });
});
