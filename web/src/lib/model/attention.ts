// The attention list on the client: the "overdue" rule is computed locally from the live
// controls (so it reacts at once, also offline); the rules that need server-only data
// (refreshers, SLAs, audits) come from GET /api/controls?attention=true and are merged in.
import { isOverdue } from '@sertantai/core';
import type { Control, Quadrant } from '../data/types';

export type Reason = { code: string; message: string };
export type StrategyRules = Record<Quadrant, { frequency_days: number; notification_days_before: number }>;

export const DEFAULT_RULES: StrategyRules = {
  self: { frequency_days: 30, notification_days_before: 7 },
  specialist: { frequency_days: 90, notification_days_before: 7 },
  service: { frequency_days: 7, notification_days_before: 7 },
  strange: { frequency_days: 180, notification_days_before: 7 },
};

export function rulesFrom(
  rows: { quadrant: string; frequency_days: number; notification_days_before?: number }[],
) {
  const rules: StrategyRules = structuredClone(DEFAULT_RULES);
  for (const row of rows) {
    if (row.quadrant in rules) {
      rules[row.quadrant as Quadrant] = {
        frequency_days: Number(row.frequency_days),
        notification_days_before: Number(row.notification_days_before ?? 7),
      };
    }
  }
  return rules;
}

export function overdueReason(control: Control, rules: StrategyRules, now: Date): Reason | undefined {
  const rule = rules[control.current_quadrant];
  if (!rule) return undefined;
  const touched = control.last_touched_at ? new Date(control.last_touched_at) : null;
  if (!isOverdue(touched, rule.frequency_days, now)) return undefined;
  if (!touched)
    return {
      code: 'overdue',
      message: 'Never touched: nobody has used, inspected, maintained or tested it.',
    };
  const days = Math.floor((now.getTime() - touched.getTime()) / 86_400_000);
  return {
    code: 'overdue',
    message: `Not touched for ${days} days; ${control.current_quadrant} controls are due every ${rule.frequency_days} days.`,
  };
}

export type AttentionItem = { control: Control; reasons: Reason[] };

/** Local overdue + the server's other reasons; most urgent (most reasons, riskiest) first. */
export function attentionList(
  controls: readonly Control[],
  rules: StrategyRules,
  server: ReadonlyMap<string, Reason[]>,
  now: Date,
): AttentionItem[] {
  const items: AttentionItem[] = [];
  for (const control of controls) {
    const reasons: Reason[] = [];
    const overdue = overdueReason(control, rules, now);
    if (overdue) reasons.push(overdue);
    for (const reason of server.get(control.id) ?? []) if (reason.code !== 'overdue') reasons.push(reason);
    if (reasons.length > 0) items.push({ control, reasons });
  }
  return items.sort(
    (a, b) =>
      b.reasons.length - a.reasons.length ||
      Number(b.control.failure_probability ?? 0) - Number(a.control.failure_probability ?? 0) ||
      a.control.name.localeCompare(b.control.name),
  );
}
