// Owns the reminder rule, pure: is a control coming due or overdue, and on which day is it due.
// No I/O; the sweep (reminders/sweep.ts) gathers the inputs.
//
//   due on    the calendar day (UTC) of last touched + F days, F = the frequency_days of the
//             strategy of the control's current quadrant; never touched → the day it was created
//   overdue   the attention rule (isOverdue in @sertantai/core): more than F days since last
//             touched, or never touched
//   due_soon  not overdue, and now is within N days of the due moment, N = notification_days_before
//             (N = 0: no advance notice)
// The due day is part of a reminder's identity, so a control reminded about once is reminded
// again only after a new touch gives it a new due day.
import { addDays, isOverdue, isoDate } from '@sertantai/core';

export type ReminderKind = 'due_soon' | 'overdue';

export type ReminderRule = {
  frequency_days: number;
  notification_days_before: number;
  escalation_enabled: boolean;
};

export type DueInput = { last_touched_at: Date | null; created_at: Date };

export type Due = { kind: ReminderKind; due_on: string };

export function dueReminder(control: DueInput, rule: ReminderRule, now: Date): Due | null {
  if (control.last_touched_at === null) return { kind: 'overdue', due_on: isoDate(control.created_at) };
  const dueAt = addDays(control.last_touched_at, rule.frequency_days);
  if (isOverdue(control.last_touched_at, rule.frequency_days, now)) {
    return { kind: 'overdue', due_on: isoDate(dueAt) };
  }
  if (rule.notification_days_before > 0 && now >= addDays(dueAt, -rule.notification_days_before)) {
    return { kind: 'due_soon', due_on: isoDate(dueAt) };
  }
  return null;
}

/** Overdue reminders go to admins and owners too when the quadrant's strategy escalates. */
export function isEscalated(kind: ReminderKind, rule: ReminderRule): boolean {
  return kind === 'overdue' && rule.escalation_enabled;
}
