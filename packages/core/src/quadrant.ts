// Owns the 2x2 rule: where a control sits given how long since it was touched and how far its
// provider is. Pure: no I/O, no clock — callers pass `now`. Shared by the API, the sweep and the
// web app.

export const QUADRANTS = ['self', 'specialist', 'service', 'strange'] as const;
export type Quadrant = (typeof QUADRANTS)[number];

export type Thresholds = {
  /** Touched less than this many days ago counts as Recent (organizations.recent_threshold_days). */
  recentDays: number;
  /** A distance below this counts as Close (organizations.close_threshold_distance). */
  closeDistance: number;
};

export const DEFAULT_THRESHOLDS: Thresholds = { recentDays: 30, closeDistance: 2.0 };

const DAY_MS = 86_400_000;

/** Days (fractional) from `touchedAt` to `now`; null when never touched. Never negative. */
export function daysSince(touchedAt: Date | null, now: Date): number | null {
  if (touchedAt === null) return null;
  return Math.max(0, (now.getTime() - touchedAt.getTime()) / DAY_MS);
}

/** Recent when touched under the threshold; never touched counts as Distant. */
export function isRecent(daysSinceTouched: number | null, thresholds: Thresholds): boolean {
  return (
    daysSinceTouched !== null && Number.isFinite(daysSinceTouched) && daysSinceTouched < thresholds.recentDays
  );
}

/** Close when the distance is under the threshold; unreachable (null) counts as Remote. */
export function isClose(distance: number | null, thresholds: Thresholds): boolean {
  return distance !== null && Number.isFinite(distance) && distance < thresholds.closeDistance;
}

/**
 * | | Close | Remote |
 * |---|---|---|
 * | Recent | self | service |
 * | Distant | specialist | strange |
 */
export function quadrantOf(
  daysSinceTouched: number | null,
  distance: number | null,
  thresholds: Thresholds = DEFAULT_THRESHOLDS,
): Quadrant {
  const recent = isRecent(daysSinceTouched, thresholds);
  const close = isClose(distance, thresholds);
  if (recent) return close ? 'self' : 'service';
  return close ? 'specialist' : 'strange';
}

/** The instant a control touched at `touchedAt` stops being Recent (null: never touched). */
export function recentUntil(touchedAt: Date | null, thresholds: Thresholds): Date | null {
  return touchedAt === null ? null : new Date(touchedAt.getTime() + thresholds.recentDays * DAY_MS);
}

export function isQuadrant(value: unknown): value is Quadrant {
  return typeof value === 'string' && (QUADRANTS as readonly string[]).includes(value);
}
