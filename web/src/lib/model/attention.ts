// The attention list on the client: the "overdue" rule is computed locally from the live
// controls (so it reacts at once, also offline); the rules that need server-only data
// (refreshers, SLAs, audits) come from GET /api/controls?attention=true and are merged in.
import { type Control, overdueReason, type StrategyRules } from '@sertantai/core';

export type Reason = { code: string; message: string };

/** What the attention rules read of a control (the dashboard's narrow rows have just these). */
export type AttentionRow = Pick<
  Control,
  'id' | 'name' | 'current_quadrant' | 'last_touched_at' | 'failure_probability'
>;

/** The overdue rule of @sertantai/core for one synced control row. */
export function controlOverdue(
  control: Pick<Control, 'current_quadrant' | 'last_touched_at'>,
  rules: StrategyRules,
  now: Date,
): Reason | undefined {
  const rule = rules[control.current_quadrant];
  if (!rule) return undefined;
  const touched = control.last_touched_at ? new Date(control.last_touched_at) : null;
  return overdueReason(control.current_quadrant, touched, rule, now);
}

export type AttentionItem<T extends AttentionRow = Control> = { control: T; reasons: Reason[] };

/** Most urgent first: most reasons, then riskiest, then by name. */
function urgency<T extends AttentionRow>(a: AttentionItem<T>, b: AttentionItem<T>): number {
  return (
    b.reasons.length - a.reasons.length ||
    Number(b.control.failure_probability ?? 0) - Number(a.control.failure_probability ?? 0) ||
    a.control.name.localeCompare(b.control.name)
  );
}

// The overdue rule's answer per row object, for one (rules, now): a live write changes one row,
// so the next list reads 49,999 answers here instead of parsing as many dates.
let overdueSeen: { rules: StrategyRules; now: number; answers: WeakMap<object, Reason | null> } | undefined;

function overdueOf(control: AttentionRow, rules: StrategyRules, now: Date): Reason | undefined {
  if (overdueSeen?.rules !== rules || overdueSeen.now !== now.getTime()) {
    overdueSeen = { rules, now: now.getTime(), answers: new WeakMap() };
  }
  const known = overdueSeen.answers.get(control);
  if (known !== undefined) return known ?? undefined;
  const answer = controlOverdue(control, rules, now);
  overdueSeen.answers.set(control, answer ?? null);
  return answer;
}

function attentionItems<T extends AttentionRow>(
  controls: readonly T[],
  rules: StrategyRules,
  server: ReadonlyMap<string, Reason[]>,
  now: Date,
): AttentionItem<T>[] {
  const items: AttentionItem<T>[] = [];
  for (const control of controls) {
    const reasons: Reason[] = [];
    const overdue = overdueOf(control, rules, now);
    if (overdue) reasons.push(overdue);
    for (const reason of server.get(control.id) ?? []) if (reason.code !== 'overdue') reasons.push(reason);
    if (reasons.length > 0) items.push({ control, reasons });
  }
  return items;
}

/**
 * Each control's reasons by id, for a screen that shows them beside its own rows (the register):
 * the same reasons as attentionList without ranking them (its comparison by name is most of its
 * cost for a page of 200).
 */
export function attentionById<T extends AttentionRow>(
  controls: readonly T[],
  rules: StrategyRules,
  server: ReadonlyMap<string, Reason[]>,
  now: Date,
): Map<string, Reason[]> {
  return new Map(attentionItems(controls, rules, server, now).map((item) => [item.control.id, item.reasons]));
}

/** Local overdue + the server's other reasons; most urgent (most reasons, riskiest) first. */
export function attentionList<T extends AttentionRow>(
  controls: readonly T[],
  rules: StrategyRules,
  server: ReadonlyMap<string, Reason[]>,
  now: Date,
): AttentionItem<T>[] {
  return attentionItems(controls, rules, server, now).sort(urgency);
}

/**
 * How many controls need attention and the `limit` most urgent, in attentionList's order,
 * without sorting them all: a sorted window of `limit` that most items leave after one
 * comparison (sorting 50,000 overdue controls by name took over half a second per change).
 */
export function attentionTop<T extends AttentionRow>(
  controls: readonly T[],
  rules: StrategyRules,
  server: ReadonlyMap<string, Reason[]>,
  now: Date,
  limit: number,
): { count: number; top: AttentionItem<T>[] } {
  const items = attentionItems(controls, rules, server, now);
  const top: AttentionItem<T>[] = [];
  for (const item of items) {
    if (top.length === limit && urgency(item, top[limit - 1]!) >= 0) continue;
    let low = 0;
    let high = top.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (urgency(item, top[mid]!) < 0) high = mid;
      else low = mid + 1;
    }
    top.splice(low, 0, item);
    if (top.length > limit) top.pop();
  }
  return { count: items.length, top };
}
