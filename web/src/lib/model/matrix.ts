// View logic of the 2x2 matrix: where each control's point goes, its colour, the counts.
// Days since touched run across (Recent left, Distant right), provider distance runs up
// (Close bottom, Remote top). Each axis is piecewise linear with the organisation's threshold
// exactly in the middle, so the four quadrants are equal squares and the threshold lines are
// drawn at 50%. Values beyond the far end (and "never touched" / "unreachable") sit at the edge.
import type { Control, Quadrant } from '@sertantai/core';

export type Thresholds = { recentDays: number; closeDistance: number };

export const QUADRANT_LABELS: Record<Quadrant, string> = {
  self: 'Self',
  specialist: 'Specialist',
  service: 'Service',
  strange: 'Strange',
};

export const QUADRANT_HINTS: Record<Quadrant, string> = {
  self: 'Recent and close: your own kit, verified by your own reporting.',
  specialist: 'Distant but close: rarely used kit, kept safe by refresher training.',
  service: 'Recent but remote: services, verified by SLAs and provider reports.',
  strange: 'Distant and remote: nobody local really knows it. Sample and audit.',
};

const DAY_MS = 86_400_000;
/** The far end of each axis, as a multiple of its threshold. */
export const X_SPAN = 4;
export const Y_SPAN = 3;

export function daysSinceTouched(lastTouchedAt: string | null, now: number): number | null {
  if (!lastTouchedAt) return null;
  const t = Date.parse(lastTouchedAt);
  if (Number.isNaN(t)) return null;
  return Math.max(0, (now - t) / DAY_MS);
}

/** 0..1 along an axis whose threshold sits at 0.5 and far end at threshold × span. */
export function axisPosition(value: number | null, threshold: number, span: number): number {
  if (value === null || !Number.isFinite(value)) return 1;
  if (value <= 0) return 0;
  if (value < threshold) return (value / threshold) * 0.5;
  const far = threshold * span;
  if (value >= far) return 1;
  return 0.5 + ((value - threshold) / (far - threshold)) * 0.5;
}

/** A small deterministic offset (−1..1) from the id, so equal points do not hide each other. */
export function jitter(id: string, salt: number): number {
  let hash = 2166136261 ^ salt;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 16777619);
  }
  return (((hash >>> 0) % 2001) - 1000) / 1000;
}

export type RiskBand = 'low' | 'medium' | 'high' | 'unscored';

/**
 * Failure probability 0..1 → one of three bands, each drawn with a colour from Paul Tol's
 * high-contrast scheme (told apart with any colour vision, and in greyscale; the colours are in
 * Matrix.svelte's styles) and its own shape, so colour is never the only cue: low ● blue,
 * medium ◆ yellow, high ▲ red; not scored ○ hollow grey.
 */
export const RISK_BANDS: Record<RiskBand, { label: string }> = {
  low: { label: 'low (under 35%)' },
  medium: { label: 'medium (35–69%)' },
  high: { label: 'high (70% and over)' },
  unscored: { label: 'not scored' },
};

export function riskBand(probability: number | null): RiskBand {
  if (probability === null || !Number.isFinite(probability)) return 'unscored';
  if (probability < 0.35) return 'low';
  if (probability < 0.7) return 'medium';
  return 'high';
}

/** The SVG path of a band's marker centred on (x, y). */
export function markerPath(band: RiskBand, x: number, y: number): string {
  const r = 7;
  switch (band) {
    case 'medium':
      return `M${x} ${y - r - 1}L${x + r + 1} ${y}L${x} ${y + r + 1}L${x - r - 1} ${y}Z`;
    case 'high':
      return `M${x} ${y - r - 1}L${x + r + 1} ${y + r - 1}L${x - r - 1} ${y + r - 1}Z`;
    default:
      return `M${x - r} ${y}a${r} ${r} 0 1 0 ${2 * r} 0a${r} ${r} 0 1 0 ${-2 * r} 0Z`;
  }
}

export type Direction = 'left' | 'right' | 'up' | 'down';

/**
 * The point a keyboard user reaches from `fromId` with an arrow key: the nearest one lying in
 * that direction (x grows to the right, y upwards), sideways distance counting double so the
 * walk keeps to a line. Undefined when none lies that way.
 */
export function nextPoint(
  points: ReadonlyArray<{ id: string; x: number; y: number }>,
  fromId: string,
  direction: Direction,
): string | undefined {
  const from = points.find((p) => p.id === fromId);
  if (!from) return points[0]?.id;
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const p of points) {
    if (p.id === fromId) continue;
    const dx = p.x - from.x;
    const dy = p.y - from.y;
    const [along, across] =
      direction === 'right'
        ? [dx, dy]
        : direction === 'left'
          ? [-dx, dy]
          : direction === 'up'
            ? [dy, dx]
            : [-dy, dx];
    if (along <= 0) continue;
    const score = along + 2 * Math.abs(across);
    if (score < bestScore) {
      bestScore = score;
      best = p.id;
    }
  }
  return best;
}

export type MatrixPoint = {
  id: string;
  name: string;
  quadrant: Quadrant;
  /** 0..1 from the left. */
  x: number;
  /** 0..1 from the bottom. */
  y: number;
  band: RiskBand;
  days: number | null;
  distance: number | null;
  probability: number | null;
};

/** What the matrix reads of a control. */
export type PlacedControl = Pick<
  Control,
  'id' | 'name' | 'current_quadrant' | 'last_touched_at' | 'provider_distance' | 'failure_probability'
>;

export function placeControl(control: PlacedControl, thresholds: Thresholds, now: number): MatrixPoint {
  const days = daysSinceTouched(control.last_touched_at, now);
  const distance =
    control.provider_distance === null || control.provider_distance === undefined
      ? null
      : Number(control.provider_distance);
  const probability =
    control.failure_probability === null || control.failure_probability === undefined
      ? null
      : Number(control.failure_probability);
  const spread = 0.012;
  const clamp = (v: number) => Math.min(0.985, Math.max(0.015, v));
  return {
    id: control.id,
    name: control.name,
    quadrant: control.current_quadrant,
    x: clamp(axisPosition(days, thresholds.recentDays, X_SPAN) + jitter(control.id, 1) * spread),
    y: clamp(axisPosition(distance, thresholds.closeDistance, Y_SPAN) + jitter(control.id, 2) * spread),
    band: riskBand(probability),
    days,
    distance,
    probability,
  };
}

export function quadrantCounts(
  controls: readonly Pick<Control, 'current_quadrant'>[],
): Record<Quadrant, number> {
  const counts: Record<Quadrant, number> = { self: 0, specialist: 0, service: 0, strange: 0 };
  for (const control of controls)
    counts[control.current_quadrant] = (counts[control.current_quadrant] ?? 0) + 1;
  return counts;
}

/** Axis tick labels: the threshold in the middle and the far end. */
export function axisTicks(thresholds: Thresholds) {
  return {
    x: [
      { at: 0, label: '0 d' },
      { at: 0.5, label: `${thresholds.recentDays} d` },
      { at: 1, label: `≥ ${thresholds.recentDays * X_SPAN} d / never` },
    ],
    y: [
      { at: 0, label: '0' },
      { at: 0.5, label: `${thresholds.closeDistance}` },
      { at: 1, label: `≥ ${thresholds.closeDistance * Y_SPAN} / unreachable` },
    ],
  };
}
