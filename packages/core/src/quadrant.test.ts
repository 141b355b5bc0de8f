import { describe, expect, it } from 'vitest';
import {
  DEFAULT_THRESHOLDS,
  daysSince,
  isClose,
  isQuadrant,
  isRecent,
  QUADRANTS,
  quadrantOf,
  recentUntil,
} from './quadrant.ts';

const now = new Date('2026-01-31T12:00:00Z');
const daysAgo = (days: number) => new Date(now.getTime() - days * 86_400_000);

describe('quadrantOf', () => {
  it.each([
    // days since touched, distance, expected
    [0, 0, 'self'],
    [29.99, 1.99, 'self'],
    [0, 2, 'service'],
    [29.99, 2, 'service'],
    [0, null, 'service'],
    [30, 0, 'specialist'],
    [31, 1, 'specialist'],
    [null, 0, 'specialist'],
    [null, 1.999, 'specialist'],
    [30, 2, 'strange'],
    [null, null, 'strange'],
    [400, 1000, 'strange'],
    [30, null, 'strange'],
  ] as const)('days %s, distance %s → %s', (days, distance, expected) => {
    expect(quadrantOf(days, distance, DEFAULT_THRESHOLDS)).toBe(expected);
  });

  it('uses the organisation thresholds, not the defaults', () => {
    const strict = { recentDays: 7, closeDistance: 0.5 };
    expect(quadrantOf(10, 1, DEFAULT_THRESHOLDS)).toBe('self');
    expect(quadrantOf(10, 1, strict)).toBe('strange');
    expect(quadrantOf(6.9, 0.4, strict)).toBe('self');
    expect(quadrantOf(7, 0.4, strict)).toBe('specialist');
    expect(quadrantOf(6, 0.5, strict)).toBe('service');
  });

  it('treats non-finite inputs as distant/remote rather than close', () => {
    expect(quadrantOf(Number.NaN, Number.NaN)).toBe('strange');
    expect(quadrantOf(Number.POSITIVE_INFINITY, 0)).toBe('specialist');
    expect(quadrantOf(0, Number.POSITIVE_INFINITY)).toBe('service');
  });

  it('covers every combination of recent × close with exactly one quadrant each', () => {
    const seen = new Set<string>();
    for (const days of [0, 45, null])
      for (const distance of [0, 5, null]) seen.add(quadrantOf(days, distance));
    expect([...seen].sort()).toEqual([...QUADRANTS].sort());
  });
});

describe('time and distance categories', () => {
  it('days since touched are fractional, null when never touched, never negative', () => {
    expect(daysSince(null, now)).toBeNull();
    expect(daysSince(daysAgo(1.5), now)).toBeCloseTo(1.5, 9);
    expect(daysSince(new Date(now.getTime() + 86_400_000), now)).toBe(0);
  });

  it('a Self control untouched for 31 days becomes Specialist; at exactly the threshold it is Distant', () => {
    const touched = daysAgo(0);
    const later = (days: number) => new Date(touched.getTime() + days * 86_400_000);
    expect(quadrantOf(daysSince(touched, later(29.999)), 0)).toBe('self');
    expect(quadrantOf(daysSince(touched, later(30)), 0)).toBe('specialist');
    expect(quadrantOf(daysSince(touched, later(31)), 0)).toBe('specialist');
  });

  it('isRecent / isClose follow the strict "under" rule', () => {
    expect(isRecent(29.9, DEFAULT_THRESHOLDS)).toBe(true);
    expect(isRecent(30, DEFAULT_THRESHOLDS)).toBe(false);
    expect(isRecent(null, DEFAULT_THRESHOLDS)).toBe(false);
    expect(isClose(1.99, DEFAULT_THRESHOLDS)).toBe(true);
    expect(isClose(2, DEFAULT_THRESHOLDS)).toBe(false);
    expect(isClose(null, DEFAULT_THRESHOLDS)).toBe(false);
  });

  it('recentUntil is when the time category flips', () => {
    expect(recentUntil(null, DEFAULT_THRESHOLDS)).toBeNull();
    const touched = daysAgo(10);
    expect(recentUntil(touched, DEFAULT_THRESHOLDS)!.getTime()).toBe(touched.getTime() + 30 * 86_400_000);
  });

  it('isQuadrant accepts only the four names', () => {
    for (const q of QUADRANTS) expect(isQuadrant(q)).toBe(true);
    for (const bad of ['Self', '', 'remote', null, 3, undefined]) expect(isQuadrant(bad)).toBe(false);
  });
});
