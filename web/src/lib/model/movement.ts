// Movement: how controls moved between quadrants over a period, from the classification history.
import type { Classification, Quadrant } from '@sertantai/core';

export type Flow = { from: Quadrant | null; to: Quadrant; count: number };

export function movements(
  history: readonly Classification[],
  sinceMs: number,
  untilMs = Number.POSITIVE_INFINITY,
) {
  const flows = new Map<string, Flow>();
  const reasons = new Map<string, number>();
  let total = 0;
  for (const row of history) {
    const t = Date.parse(row.classified_at);
    if (Number.isNaN(t) || t < sinceMs || t > untilMs) continue;
    if (row.previous_quadrant === row.quadrant) continue;
    total++;
    const key = `${row.previous_quadrant ?? 'new'}→${row.quadrant}`;
    const flow = flows.get(key) ?? { from: row.previous_quadrant, to: row.quadrant, count: 0 };
    flow.count++;
    flows.set(key, flow);
    reasons.set(row.reason, (reasons.get(row.reason) ?? 0) + 1);
  }
  return {
    total,
    flows: [...flows.values()].sort((a, b) => b.count - a.count),
    reasons: [...reasons.entries()].sort((a, b) => b[1] - a[1]),
  };
}
