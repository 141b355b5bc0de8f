// Owns the risk score: a transparent points model a safety manager can recompute by hand
// (docs/risk-model.md walks through it). No I/O; the server's predictions/service.ts gathers the inputs.
//
// failure_probability = clamp(0, 1, sum of the points below), rounded to 2 decimals:
//   base        0.02
//   age         0.30 × min(2, days since touched ÷ quadrant frequency_days)   (never touched → ratio 2)
//   distance    0.04 × min(5, provider distance)                           (unreachable → 5)
//   incidents   0.12 × min(3, incident reports in the last 90 days)
//   defects     0.03 × min(5, maintenance requests + work orders in the last 90 days)
//   issues      0.06 × min(4, interactions with issues found in the last 90 days)
//   range       0.05 when the functional range is wide
// Every weight is positive and every cap is a min(), so the score never falls when a control
// gets older, more distant, or gathers more incidents, defects or issues (others held fixed).
import { addDays, isoDate } from './attention.ts';
import type { Quadrant } from './quadrant.ts';

export const RISK_MODEL_VERSION = 'points-v1';
/** Traces and interactions older than this many days no longer count. */
export const RISK_WINDOW_DAYS = 90;
/** The score at which a control is predicted to fail. */
export const FAILURE_THRESHOLD = 0.5;

export const WEIGHTS = {
  base: 0.02,
  age: 0.3,
  ageRatioCap: 2,
  distance: 0.04,
  distanceCap: 5,
  incident: 0.12,
  incidentCap: 3,
  defect: 0.03,
  defectCap: 5,
  issue: 0.06,
  issueCap: 4,
  wideRange: 0.05,
} as const;

export type RiskInput = {
  /** Whole days since last touched; null when never touched. */
  daysSinceTouched: number | null;
  quadrant: Quadrant;
  /** frequency_days of the organisation's strategy for the control's quadrant. */
  frequencyDays: number;
  /** Cheapest path weight to the provider; null when unreachable. */
  providerDistance: number | null;
  functionalRange: 'narrow' | 'wide';
  /** Organizational traces of type incident_report recorded in the last 90 days. */
  incidents90: number;
  /** maintenance_request and work_order traces in the last 90 days. */
  defectTraces90: number;
  /** Every trace in the last 90 days (reported, not scored beyond the two kinds above). */
  traces90: number;
  /** Interactions with issues_found in the last 90 days. */
  issuesFound90: number;
  /** All interactions in the last 90 days (evidence for the confidence). */
  interactions90: number;
};

export type RiskTerm = { term: string; rule: string; input: number | string | null; points: number };

export type RiskResult = {
  failure_probability: number;
  predicted_failure_date: string | null;
  confidence_score: number;
  model_version: string;
  explanation: {
    model_version: string;
    terms: RiskTerm[];
    sum: number;
    failure_probability: number;
    predicted_failure_date: { value: string | null; rule: string };
    confidence: { value: number; rule: string; parts: Record<string, number> };
  };
};

const round = (value: number, places: number) => {
  const factor = 10 ** places;
  return Math.round(value * factor) / factor;
};

/** The age ratio: how many verification intervals have passed (capped). */
export function ageRatio(daysSinceTouched: number | null, frequencyDays: number): number {
  if (daysSinceTouched === null) return WEIGHTS.ageRatioCap;
  return Math.min(WEIGHTS.ageRatioCap, Math.max(0, daysSinceTouched) / Math.max(1, frequencyDays));
}

export function scoreTerms(input: RiskInput): RiskTerm[] {
  const ratio = ageRatio(input.daysSinceTouched, input.frequencyDays);
  const distance =
    input.providerDistance === null
      ? WEIGHTS.distanceCap
      : Math.min(WEIGHTS.distanceCap, input.providerDistance);
  const capped = (count: number, cap: number) => Math.min(cap, Math.max(0, count));
  return [
    { term: 'base', rule: '0.02 for every control', input: null, points: WEIGHTS.base },
    {
      term: 'age',
      rule: `0.30 × min(2, days since touched ÷ ${input.frequencyDays} days (${input.quadrant} frequency)); never touched counts as 2`,
      input: input.daysSinceTouched,
      points: round(WEIGHTS.age * ratio, 4),
    },
    {
      term: 'distance',
      rule: '0.04 × min(5, provider distance); unreachable counts as 5',
      input: input.providerDistance,
      points: round(WEIGHTS.distance * distance, 4),
    },
    {
      term: 'incidents',
      rule: '0.12 × min(3, incident reports in the last 90 days)',
      input: input.incidents90,
      points: round(WEIGHTS.incident * capped(input.incidents90, WEIGHTS.incidentCap), 4),
    },
    {
      term: 'defects',
      rule: '0.03 × min(5, maintenance requests and work orders in the last 90 days)',
      input: input.defectTraces90,
      points: round(WEIGHTS.defect * capped(input.defectTraces90, WEIGHTS.defectCap), 4),
    },
    {
      term: 'issues',
      rule: '0.06 × min(4, interactions with issues found in the last 90 days)',
      input: input.issuesFound90,
      points: round(WEIGHTS.issue * capped(input.issuesFound90, WEIGHTS.issueCap), 4),
    },
    {
      term: 'range',
      rule: '0.05 when the functional range is wide',
      input: input.functionalRange,
      points: input.functionalRange === 'wide' ? WEIGHTS.wideRange : 0,
    },
  ];
}

/**
 * The date the score reaches FAILURE_THRESHOLD if nothing but time changes: only the age term
 * grows, by 0.30 per frequency interval, until its cap. Today when already at or above the
 * threshold; null when ageing alone can never get there.
 */
export function predictFailureDate(input: RiskInput, sum: number, now: Date): string | null {
  if (sum >= FAILURE_THRESHOLD) return isoDate(now);
  const ratio = ageRatio(input.daysSinceTouched, input.frequencyDays);
  const needed = FAILURE_THRESHOLD - sum;
  const headroom = WEIGHTS.age * (WEIGHTS.ageRatioCap - ratio);
  if (needed > headroom + 1e-9) return null;
  const extraDays = Math.ceil((needed / WEIGHTS.age) * Math.max(1, input.frequencyDays) - 1e-9);
  return isoDate(addDays(now, extraDays));
}

export function confidence(input: RiskInput): { value: number; parts: Record<string, number> } {
  const parts = {
    base: 0.4,
    touched: input.daysSinceTouched === null ? 0 : 0.2,
    distance_known: input.providerDistance === null ? 0 : 0.2,
    recent_interactions: round(Math.min(0.2, 0.05 * Math.max(0, input.interactions90)), 2),
  };
  const value = round(
    Math.min(
      1,
      Object.values(parts).reduce((a, b) => a + b, 0),
    ),
    2,
  );
  return { value, parts };
}

export function scoreRisk(input: RiskInput, now: Date): RiskResult {
  const terms = scoreTerms(input);
  const sum = round(
    terms.reduce((total, term) => total + term.points, 0),
    4,
  );
  const failure_probability = round(Math.min(1, Math.max(0, sum)), 2);
  const predicted_failure_date = predictFailureDate(input, sum, now);
  const conf = confidence(input);
  return {
    failure_probability,
    predicted_failure_date,
    confidence_score: conf.value,
    model_version: RISK_MODEL_VERSION,
    explanation: {
      model_version: RISK_MODEL_VERSION,
      terms,
      sum,
      failure_probability,
      predicted_failure_date: {
        value: predicted_failure_date,
        rule:
          'the day the score reaches 0.5 if only time passes (the age term grows 0.30 per frequency ' +
          'interval up to its cap); today when already ≥ 0.5; none when ageing alone cannot reach it',
      },
      confidence: {
        value: conf.value,
        rule: '0.4 + 0.2 if ever touched + 0.2 if the provider is reachable + 0.05 per interaction in the last 90 days (up to 0.2)',
        parts: conf.parts,
      },
    },
  };
}
