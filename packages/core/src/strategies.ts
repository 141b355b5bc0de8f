// Owns the default verification strategies: the one per quadrant every new organisation starts
// with (registration inserts them), and the rules the attention and risk rules fall back to for
// a quadrant an organisation has no strategy for (one created before defaults existed, or a
// browser that has not loaded the organisation's strategies yet).
import type { StrategyRules } from './attention.ts';
import { isQuadrant, type Quadrant } from './quadrant.ts';

/** The verification methods (verification_strategies.method; migration 002 checks the same). */
export const STRATEGY_METHODS = [
  'user_reporting',
  'toolbox_talk',
  'sla_monitoring',
  'proactive_sampling',
] as const;
export type StrategyMethod = (typeof STRATEGY_METHODS)[number];

export const DEFAULT_STRATEGIES: readonly {
  quadrant: Quadrant;
  method: StrategyMethod;
  frequency_days: number;
}[] = [
  { quadrant: 'self', method: 'user_reporting', frequency_days: 30 },
  { quadrant: 'specialist', method: 'toolbox_talk', frequency_days: 90 },
  { quadrant: 'service', method: 'sla_monitoring', frequency_days: 7 },
  { quadrant: 'strange', method: 'proactive_sampling', frequency_days: 180 },
];

export const DEFAULT_NOTIFICATION_DAYS_BEFORE = 7;

export const DEFAULT_RULES: Readonly<StrategyRules> = Object.fromEntries(
  DEFAULT_STRATEGIES.map((s) => [
    s.quadrant,
    { frequency_days: s.frequency_days, notification_days_before: DEFAULT_NOTIFICATION_DAYS_BEFORE },
  ]),
) as StrategyRules;

/** A stored strategy as the database or the API hands it over (numbers may arrive as text). */
export type StrategyRuleRow = {
  quadrant: string;
  frequency_days: number | string;
  notification_days_before?: number | string | null;
};

/** The rules from an organisation's strategies, with the default for any quadrant that has none. */
export function strategyRules(rows: Iterable<StrategyRuleRow>): StrategyRules {
  // A copy of each default rule (not structuredClone: this runs for every API read with attention).
  const rules = {} as StrategyRules;
  for (const quadrant of Object.keys(DEFAULT_RULES) as Quadrant[])
    rules[quadrant] = { ...DEFAULT_RULES[quadrant] };
  for (const row of rows) {
    if (!isQuadrant(row.quadrant)) continue;
    rules[row.quadrant] = {
      frequency_days: Number(row.frequency_days),
      notification_days_before: Number(row.notification_days_before ?? DEFAULT_NOTIFICATION_DAYS_BEFORE),
    };
  }
  return rules;
}
