import { describe, expect, it } from 'vitest';
import { isoOfTimestamptz, parseTimestamptz, pgTimestamptz } from './timestamptz.ts';

/**
 * The same answer from both parsers: the same instant (pg answers ±Infinity, not a Date, for
 * ±infinity); and isoOfTimestamptz writes what toISOString writes of pg's Date, or declines.
 */
function expectSameAsPg(text: string) {
  const instant = (value: Date | number) => (value instanceof Date ? value.getTime() : value);
  const pgValue = pgTimestamptz(text);
  expect(instant(parseTimestamptz(text)), text).toEqual(instant(pgValue));
  const iso = isoOfTimestamptz(text);
  if (iso !== undefined) expect(iso, text).toBe((pgValue as Date).toISOString());
  return iso;
}

describe('parseTimestamptz', () => {
  it('reads a UTC session’s texts as pg does, with 0 to 6 fraction digits', () => {
    // A fixed pseudo-random walk over years 1000–9999 (no Math.random: the same cases every run).
    let seed = 7;
    const next = (modulo: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % modulo;
    };
    const pad = (value: number, width: number) => String(value).padStart(width, '0');
    for (let i = 0; i < 5_000; i++) {
      const digits = next(7);
      const fraction = digits === 0 ? '' : `.${pad(next(10 ** digits), digits)}`;
      const text =
        `${pad(1000 + next(9000), 4)}-${pad(1 + next(12), 2)}-${pad(1 + next(28), 2)} ` +
        `${pad(next(24), 2)}:${pad(next(60), 2)}:${pad(next(60), 2)}${fraction}+00`;
      expect(expectSameAsPg(text), text).toBeDefined();
    }
  });

  it('reads the usual shapes by position', () => {
    expect((parseTimestamptz('2026-11-30 22:34:26.952912+00') as Date).toISOString()).toBe(
      '2026-11-30T22:34:26.952Z',
    );
    expect((parseTimestamptz('2026-01-02 03:04:05+00') as Date).toISOString()).toBe(
      '2026-01-02T03:04:05.000Z',
    );
    expect((parseTimestamptz('2024-02-29 23:59:59.9+00') as Date).toISOString()).toBe(
      '2024-02-29T23:59:59.900Z',
    );
  });

  it('leaves every other text to pg: other offsets, BC, infinity, short and long years', () => {
    for (const text of [
      '2026-11-30 22:34:26.952912+05:30',
      '2026-11-30 22:34:26+01',
      '2026-11-30 22:34:26.5-08',
      '2026-11-30 22:34:26+00:00:30',
      '0099-01-01 00:00:00+00',
      '0001-01-01 00:00:00+00 BC',
      '12026-01-01 00:00:00+00',
      'infinity',
      '-infinity',
    ]) {
      expect(expectSameAsPg(text), text).toBeUndefined();
    }
  });
});
