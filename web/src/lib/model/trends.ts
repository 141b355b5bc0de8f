// Trends: the shapes the charts draw and the sentences that say the same for screen readers.
import { type Classification, QUADRANTS, type Quadrant } from '@sertantai/core';
import { QUADRANT_LABELS } from './matrix';

export type QuadrantDay = { day: string } & Record<Quadrant, number>;

/** "From 2026-03-01 to 2026-03-05: Self 0 → 2, …" — the first and last day of each line. */
export function trendSummary(series: readonly QuadrantDay[]): string {
  const first = series[0];
  const last = series[series.length - 1];
  if (!first || !last) return 'No history yet.';
  const changes = QUADRANTS.map((q) => `${QUADRANT_LABELS[q]} ${first[q]} → ${last[q]}`).join(', ');
  return `From ${first.day} to ${last.day}: ${changes}.`;
}

export type MovementDay = { day: string; date: Date } & Record<Quadrant, number>;

/**
 * Moves per UTC day over the last `days` days (today included), by the quadrant moved into:
 * the same rows the movement page's totals count (`movements`: every change of quadrant, a new
 * control's first placement included).
 */
export function movementsPerDay(
  history: readonly Classification[],
  days: number,
  now: number,
): MovementDay[] {
  const DAY = 86_400_000;
  const today = Math.floor(now / DAY) * DAY;
  const first = today - (days - 1) * DAY;
  const out: MovementDay[] = [];
  for (let t = first; t <= today; t += DAY) {
    out.push({
      day: new Date(t).toISOString().slice(0, 10),
      date: new Date(t),
      self: 0,
      specialist: 0,
      service: 0,
      strange: 0,
    });
  }
  for (const row of history) {
    if (row.previous_quadrant === row.quadrant) continue;
    const t = Date.parse(row.classified_at);
    if (Number.isNaN(t) || t < first || t >= today + DAY) continue;
    out[Math.floor((t - first) / DAY)]![row.quadrant]++;
  }
  return out;
}
