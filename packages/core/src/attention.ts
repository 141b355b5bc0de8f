// Owns the attention rules: the pure answer to "does this control need someone to look at it,
// and why". No I/O; the server's strategies/attention.ts gathers the inputs.
//
// The four rules (docs/risk-model.md, "Attention"):
//   overdue        days since last touched > the quadrant's frequency_days (never touched → overdue)
//   refresher_due  Specialist: a competency record's next_refresher_due or certification_expires
//                  falls on or before today + notification_days_before (already past counts too)
//   sla_breached   Service: an SLA in force today has performance_current < uptime_percentage
//   audit_overdue  Strange: no inspect or test interaction within the Strange frequency_days.
//                  An "audit" is an interaction of type inspect or test; use and maintain are
//                  touches, not audits.

import type { Quadrant } from './quadrant.ts';

/** What the attention and risk rules read from an organisation's verification strategy. */
export type StrategyRule = { frequency_days: number; notification_days_before: number };
export type StrategyRules = Record<Quadrant, StrategyRule>;

export type AttentionCode = 'overdue' | 'refresher_due' | 'sla_breached' | 'audit_overdue';

export type AttentionReason = { code: AttentionCode; message: string };

export type CompetencyDates = {
  next_refresher_due: string | null; // 'YYYY-MM-DD'
  certification_expires: string | null;
};

export type SlaPerformance = {
  service_name: string;
  uptime_percentage: number;
  performance_current: number | null;
  start_date: string; // 'YYYY-MM-DD'
  end_date: string | null;
};

export type AttentionInput = {
  quadrant: Quadrant;
  lastTouchedAt: Date | null;
  /** The latest inspect or test interaction, or null when there has never been one. */
  lastAuditAt: Date | null;
  competencies: readonly CompetencyDates[];
  slas: readonly SlaPerformance[];
};

const DAY_MS = 86_400_000;

/** Whole and fractional days from `from` to `now` (never negative). */
export function daysBetween(from: Date, now: Date): number {
  return Math.max(0, (now.getTime() - from.getTime()) / DAY_MS);
}

/** The calendar date (UTC) of an instant, as 'YYYY-MM-DD', comparable as a string. */
export function isoDate(instant: Date): string {
  return instant.toISOString().slice(0, 10);
}

export function addDays(instant: Date, days: number): Date {
  return new Date(instant.getTime() + days * DAY_MS);
}

export function isOverdue(lastTouchedAt: Date | null, frequencyDays: number, now: Date): boolean {
  return lastTouchedAt === null || daysBetween(lastTouchedAt, now) > frequencyDays;
}

/** The earliest refresher or certification date of a record, or null when it has neither. */
export function competencyDueDate(record: CompetencyDates): string | null {
  const dates = [record.next_refresher_due, record.certification_expires].filter(
    (date): date is string => date !== null,
  );
  return dates.length === 0 ? null : dates.sort()[0]!;
}

/** Due on or before today + `withinDays` (so already past is due as well). */
export function isCompetencyDue(record: CompetencyDates, withinDays: number, now: Date): boolean {
  const due = competencyDueDate(record);
  return due !== null && due <= isoDate(addDays(now, withinDays));
}

export function isSlaInForce(sla: SlaPerformance, now: Date): boolean {
  const today = isoDate(now);
  return sla.start_date <= today && (sla.end_date === null || sla.end_date >= today);
}

export function isSlaBreached(
  sla: Pick<SlaPerformance, 'uptime_percentage' | 'performance_current'>,
): boolean {
  return sla.performance_current !== null && sla.performance_current < sla.uptime_percentage;
}

/** The overdue rule alone (the web app computes it locally, the server with the others). */
export function overdueReason(
  quadrant: Quadrant,
  lastTouchedAt: Date | null,
  rule: StrategyRule,
  now: Date,
): AttentionReason | undefined {
  if (!isOverdue(lastTouchedAt, rule.frequency_days, now)) return undefined;
  return {
    code: 'overdue',
    message:
      lastTouchedAt === null
        ? 'Never touched: nobody has used, inspected, maintained or tested it.'
        : `Not touched for ${Math.floor(daysBetween(lastTouchedAt, now))} days; ` +
          `${quadrant} controls are due every ${rule.frequency_days} days.`,
  };
}

export function attentionReasons(input: AttentionInput, rules: StrategyRules, now: Date): AttentionReason[] {
  const rule = rules[input.quadrant];
  const reasons: AttentionReason[] = [];
  const overdue = overdueReason(input.quadrant, input.lastTouchedAt, rule, now);
  if (overdue) reasons.push(overdue);
  if (input.quadrant === 'specialist') {
    const due = input.competencies.filter((record) =>
      isCompetencyDue(record, rule.notification_days_before, now),
    );
    if (due.length > 0) {
      const earliest = due.map(competencyDueDate).sort()[0];
      reasons.push({
        code: 'refresher_due',
        message: `${due.length} competency refresher${due.length === 1 ? '' : 's'} due by ${earliest}.`,
      });
    }
  }
  if (input.quadrant === 'service') {
    const breached = input.slas.filter((sla) => isSlaInForce(sla, now) && isSlaBreached(sla));
    for (const sla of breached) {
      reasons.push({
        code: 'sla_breached',
        message: `SLA "${sla.service_name}" is at ${sla.performance_current}% against ${sla.uptime_percentage}% agreed.`,
      });
    }
  }
  if (input.quadrant === 'strange' && isOverdue(input.lastAuditAt, rule.frequency_days, now)) {
    reasons.push({
      code: 'audit_overdue',
      message:
        input.lastAuditAt === null
          ? 'Never audited: no inspection or test has been recorded.'
          : `Last inspection or test ${Math.floor(daysBetween(input.lastAuditAt, now))} days ago; ` +
            `strange controls are audited every ${rule.frequency_days} days.`,
    });
  }
  return reasons;
}
