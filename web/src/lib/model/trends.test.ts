import type { Classification } from '@sertantai/core';
import { describe, expect, it } from 'vitest';
import { movementsPerDay, trendSummary } from './trends';

const row = (
  classified_at: string,
  quadrant: Classification['quadrant'],
  previous: Classification['quadrant'] | null,
) =>
  ({
    id: classified_at,
    classified_at,
    quadrant,
    previous_quadrant: previous,
    reason: 'touch',
  }) as Classification;

describe('movementsPerDay', () => {
  it('counts each change of quadrant on its UTC day, by the quadrant moved into', () => {
    const now = Date.parse('2026-03-05T10:00:00Z');
    const days = movementsPerDay(
      [
        row('2026-03-01T23:59:59Z', 'self', null), // a first placement counts, as on the movement page
        row('2026-03-02T00:00:00Z', 'specialist', 'self'),
        row('2026-03-05T09:00:00Z', 'self', 'specialist'),
        row('2026-03-05T09:30:00Z', 'self', 'self'), // not a move
        row('2026-02-20T00:00:00Z', 'strange', 'self'), // before the period
      ],
      5,
      now,
    );
    expect(days.map((d) => [d.day, d.self, d.specialist, d.service, d.strange])).toEqual([
      ['2026-03-01', 1, 0, 0, 0],
      ['2026-03-02', 0, 1, 0, 0],
      ['2026-03-03', 0, 0, 0, 0],
      ['2026-03-04', 0, 0, 0, 0],
      ['2026-03-05', 1, 0, 0, 0],
    ]);
  });
});

describe('trendSummary', () => {
  it('says where each line starts and ends', () => {
    expect(
      trendSummary([
        { day: '2026-03-01', self: 0, specialist: 2, service: 0, strange: 1 },
        { day: '2026-03-02', self: 1, specialist: 1, service: 0, strange: 1 },
      ]),
    ).toBe('From 2026-03-01 to 2026-03-02: Self 0 → 1, Specialist 2 → 1, Service 0 → 0, Strange 1 → 1.');
    expect(trendSummary([])).toBe('No history yet.');
  });
});
