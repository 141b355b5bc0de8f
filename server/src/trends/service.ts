// Owns the quadrant counts over time, derived from the classification history (a row is
// written at creation and at every change of quadrant, classification/service.ts): no snapshot
// table, so there is nothing extra for the sweep to write and nothing to fall out of step.
// Each history row moves one control out of its previous quadrant (none at creation) and into
// its new one, so a day's counts are the sum of those moves up to the end of that (UTC) day: one
// pass over the history, not a scan per day, and independent of the order of rows written in the
// same instant. A deleted control's history is deleted with it, so past days count only the
// controls that still exist.

import type { Quadrant } from '@sertantai/core';
import type { Tx } from '../db/tenant.ts';

export const QUADRANTS = ['self', 'specialist', 'service', 'strange'] as const satisfies readonly Quadrant[];
const DAY_MS = 86_400_000;

export type QuadrantDay = { day: string } & Record<Quadrant, number>;

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The count of controls in each quadrant at the end of each of the `days` UTC days up to `now`'s. */
export async function quadrantCountsOverTime(tx: Tx, days: number, now: Date): Promise<QuadrantDay[]> {
  const lastDay = Date.parse(isoDay(now.getTime()));
  const firstDay = lastDay - (days - 1) * DAY_MS;
  const { rows } = await tx.query<{ day: string; quadrant: Quadrant; delta: number }>(
    `WITH changes AS (
       SELECT quadrant, (classified_at AT TIME ZONE 'UTC')::date AS day, 1 AS delta
         FROM quadrant_classifications WHERE classified_at <= $1
       UNION ALL
       SELECT previous_quadrant, (classified_at AT TIME ZONE 'UTC')::date, -1
         FROM quadrant_classifications WHERE classified_at <= $1 AND previous_quadrant IS NOT NULL
     )
     SELECT to_char(greatest(day, $2::date), 'YYYY-MM-DD') AS day, quadrant, sum(delta)::int AS delta
       FROM changes GROUP BY 1, 2`,
    [now, isoDay(firstDay)],
  );
  // Changes before the first day are folded into it (greatest), so it starts from the right base.
  const byDay = new Map<string, Partial<Record<Quadrant, number>>>();
  for (const row of rows) {
    const entry = byDay.get(row.day) ?? {};
    entry[row.quadrant] = row.delta;
    byDay.set(row.day, entry);
  }
  const running: Record<Quadrant, number> = { self: 0, specialist: 0, service: 0, strange: 0 };
  const series: QuadrantDay[] = [];
  for (let ms = firstDay; ms <= lastDay; ms += DAY_MS) {
    const day = isoDay(ms);
    const changes = byDay.get(day) ?? {};
    for (const quadrant of QUADRANTS) running[quadrant] += changes[quadrant] ?? 0;
    series.push({ day, ...running });
  }
  return series;
}
