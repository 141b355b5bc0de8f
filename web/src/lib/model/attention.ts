// The attention list on the client: the "overdue" rule is computed locally from the live
// controls (so it reacts at once, also offline); the rules that need server-only data
// (refreshers, SLAs, audits) come from GET /api/controls?attention=true and are merged in.
import { type Control, overdueReason, type StrategyRules } from '@sertantai/core';

export type Reason = { code: string; message: string };

/** The overdue rule of @sertantai/core for one synced control row. */
export function controlOverdue(control: Control, rules: StrategyRules, now: Date): Reason | undefined {
  const rule = rules[control.current_quadrant];
  if (!rule) return undefined;
  const touched = control.last_touched_at ? new Date(control.last_touched_at) : null;
  return overdueReason(control.current_quadrant, touched, rule, now);
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
    const overdue = controlOverdue(control, rules, now);
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
