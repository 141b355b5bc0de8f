import type { Control } from '@sertantai/core';
import { describe, expect, it } from 'vitest';
import { axisPosition, markerPath, nextPoint, placeControl, quadrantCounts, riskBand } from './matrix';
import { movements } from './movement';

const NOW = Date.parse('2026-11-28T12:00:00Z');
const T = { recentDays: 30, closeDistance: 2 };
const daysAgo = (d: number) => new Date(NOW - d * 86_400_000).toISOString();

function control(partial: Partial<Control>): Control {
  return {
    id: partial.id ?? 'c',
    organization_id: 'o',
    name: 'C',
    description: null,
    control_type: 'physical',
    functional_range: 'narrow',
    primary_provider_id: null,
    owned_by_user: null,
    last_touched_at: null,
    last_touched_by_user_id: null,
    provider_distance: null,
    current_quadrant: 'strange',
    failure_probability: null,
    requires_refresher_training: false,
    created_at: daysAgo(100),
    updated_at: daysAgo(1),
    ...partial,
  };
}

describe('matrix placement', () => {
  it('puts the thresholds exactly in the middle of each axis', () => {
    expect(axisPosition(30, 30, 4)).toBe(0.5);
    expect(axisPosition(0, 30, 4)).toBe(0);
    expect(axisPosition(15, 30, 4)).toBe(0.25);
    expect(axisPosition(120, 30, 4)).toBe(1);
    expect(axisPosition(null, 30, 4)).toBe(1); // never touched / unreachable: far edge
    expect(axisPosition(1.99, 2, 3)).toBeLessThan(0.5);
  });

  it('places each quadrant in its own corner: time across, distance up', () => {
    const where = (c: Control) => {
      const p = placeControl(c, T, NOW);
      return `${p.x < 0.5 ? 'left' : 'right'}-${p.y < 0.5 ? 'bottom' : 'top'}`;
    };
    expect(where(control({ id: 'self', last_touched_at: daysAgo(2), provider_distance: 0 }))).toBe(
      'left-bottom',
    );
    expect(where(control({ id: 'spec', last_touched_at: daysAgo(45), provider_distance: 1 }))).toBe(
      'right-bottom',
    );
    expect(where(control({ id: 'serv', last_touched_at: daysAgo(3), provider_distance: 5 }))).toBe(
      'left-top',
    );
    expect(where(control({ id: 'str', last_touched_at: null, provider_distance: null }))).toBe('right-top');
  });

  it('keeps points inside the plot and moves a touched control to the left edge', () => {
    const p = placeControl(
      control({ id: 'x', last_touched_at: new Date(NOW).toISOString(), provider_distance: 0 }),
      T,
      NOW,
    );
    expect(p.x).toBeGreaterThan(0);
    expect(p.x).toBeLessThan(0.05);
    expect(p.y).toBeLessThan(0.05);
  });

  it('colours by failure probability, grey when not scored', () => {
    expect(riskBand(null)).toBe('unscored');
    expect(riskBand(0)).toBe('low');
    expect(riskBand(0.34)).toBe('low');
    expect(riskBand(0.35)).toBe('medium');
    expect(riskBand(0.7)).toBe('high');
    expect(riskBand(1)).toBe('high');
    // A different shape per band: colour is never the only cue.
    const shapes = (['low', 'medium', 'high'] as const).map((band) => markerPath(band, 0, 0));
    expect(new Set(shapes).size).toBe(3);
  });

  it('counts controls per quadrant', () => {
    const counts = quadrantCounts([
      control({ current_quadrant: 'self' }),
      control({ current_quadrant: 'self' }),
      control({ current_quadrant: 'strange' }),
    ]);
    expect(counts).toEqual({ self: 2, specialist: 0, service: 0, strange: 1 });
  });
});

describe('movement', () => {
  it('counts moves between quadrants within the period only', () => {
    const row = (
      days: number,
      from: Control['current_quadrant'] | null,
      to: Control['current_quadrant'],
    ) => ({
      id: `${days}${from}${to}`,
      organization_id: 'o',
      control_id: 'c',
      quadrant: to,
      previous_quadrant: from,
      time_since_touched_days: null,
      provider_distance: null,
      classified_at: daysAgo(days),
      reason: 'time_elapsed' as const,
    });
    const summary = movements(
      [
        row(1, 'self', 'specialist'),
        row(2, 'self', 'specialist'),
        row(3, 'specialist', 'self'),
        row(60, 'self', 'strange'),
      ],
      NOW - 30 * 86_400_000,
    );
    expect(summary.total).toBe(3);
    expect(summary.flows[0]).toEqual({ from: 'self', to: 'specialist', count: 2 });
  });
});

describe('keyboard walk through the matrix', () => {
  const points = [
    { id: 'a', x: 0.1, y: 0.1 },
    { id: 'b', x: 0.4, y: 0.12 },
    { id: 'c', x: 0.45, y: 0.9 },
    { id: 'd', x: 0.9, y: 0.5 },
  ];
  it('moves to the nearest point in the arrow direction, keeping to a line', () => {
    expect(nextPoint(points, 'a', 'right')).toBe('b');
    expect(nextPoint(points, 'b', 'right')).toBe('d');
    expect(nextPoint(points, 'b', 'up')).toBe('c');
    expect(nextPoint(points, 'c', 'down')).toBe('b');
    expect(nextPoint(points, 'd', 'down')).toBe('b');
    expect(nextPoint(points, 'd', 'left')).not.toBe('a');
  });
  it('stays put at an edge and starts at the first point from an unknown one', () => {
    expect(nextPoint(points, 'a', 'left')).toBeUndefined();
    expect(nextPoint(points, 'a', 'down')).toBeUndefined();
    expect(nextPoint(points, 'gone', 'right')).toBe('a');
  });
});
