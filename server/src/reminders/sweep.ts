// Owns what the time sweep does for reminders, inside each organisation's sweep transaction:
// new reminders for controls coming due or overdue (reminders/due.ts), a notification for each
// recipient, a webhook delivery per configured webhook, and — when e-mail is configured — each
// person's digest for the day. Every insert is keyed (UNIQUE) and ON CONFLICT DO NOTHING, so a
// second sweep, in this process or another, adds nothing.
//
// Recipients: the control's owner (owned_by_user), or the admins and owners when it has none;
// an overdue control whose quadrant's strategy has escalation_enabled goes to the admins and
// owners as well.

import { isoDate, QUADRANTS, type Quadrant, strategyRules } from '@sertantai/core';
import type { Tx } from '../db/tenant.ts';
import { type Due, dueReminder, isEscalated, type ReminderKind, type ReminderRule } from './due.ts';

/** Digests gather unread notifications of at most this many days (a backlog stays in the inbox). */
const DIGEST_LOOKBACK_DAYS = 7;
/** Reminders per webhook delivery: a long list is sent in several deliveries. */
const REMINDERS_PER_DELIVERY = 200;

const CURRENT_ORG = `NULLIF(current_setting('app.current_org_id', true), '')::uuid`;

export type SweepReminders = {
  /** New reminders by kind (the reminder_notifications_created_total counts notifications). */
  notifications: Record<ReminderKind, number>;
  reminders: number;
  deliveries: number;
  /** Notifications put into a digest by this sweep. */
  digested: number;
};

type Candidate = {
  id: string;
  name: string;
  current_quadrant: Quadrant;
  owned_by_user: string | null;
  last_touched_at: Date | null;
  created_at: Date;
};

type NewReminder = {
  id: string;
  control_id: string;
  kind: ReminderKind;
  due_on: string;
  quadrant: Quadrant;
  escalated: boolean;
};

export async function sweepReminders(tx: Tx, now: Date, options: { mail: boolean }): Promise<SweepReminders> {
  const rules = await loadReminderRules(tx);
  const minLeadDays = Math.max(
    0,
    Math.min(...Object.values(rules).map((r) => r.frequency_days - r.notification_days_before)),
  );
  const { rows: candidates } = await tx.query<Candidate>(
    `SELECT id, name, current_quadrant, owned_by_user, last_touched_at, created_at FROM controls
      WHERE last_touched_at IS NULL OR last_touched_at <= $1::timestamptz - make_interval(days => $2)`,
    [now, minLeadDays],
  );
  const due: Array<{ control: Candidate; due: Due; escalated: boolean }> = [];
  for (const control of candidates) {
    const rule = rules[control.current_quadrant];
    const reminder = dueReminder(control, rule, now);
    if (reminder) due.push({ control, due: reminder, escalated: isEscalated(reminder.kind, rule) });
  }
  const result: SweepReminders = {
    notifications: { due_soon: 0, overdue: 0 },
    reminders: 0,
    deliveries: 0,
    digested: 0,
  };
  if (due.length > 0) {
    const { rows: created } = await tx.query<NewReminder>(
      `INSERT INTO reminders (organization_id, control_id, kind, due_on, quadrant, escalated, created_at)
       SELECT ${CURRENT_ORG}, r.control_id, r.kind, r.due_on, r.quadrant, r.escalated, $6
         FROM unnest($1::uuid[], $2::text[], $3::date[], $4::text[], $5::boolean[])
              AS r (control_id, kind, due_on, quadrant, escalated)
       ON CONFLICT (control_id, kind, due_on) DO NOTHING
       RETURNING id, control_id, kind, to_char(due_on, 'YYYY-MM-DD') AS due_on, quadrant, escalated`,
      [
        due.map((d) => d.control.id),
        due.map((d) => d.due.kind),
        due.map((d) => d.due.due_on),
        due.map((d) => d.control.current_quadrant),
        due.map((d) => d.escalated),
        now,
      ],
    );
    result.reminders = created.length;
    if (created.length > 0) {
      const controls = new Map(due.map((d) => [d.control.id, d.control]));
      result.notifications = await notifyRecipients(tx, created, controls, now);
      result.deliveries = await queueWebhookDeliveries(tx, created, controls, now);
    }
  }
  if (options.mail) result.digested = await queueDigests(tx, now);
  // Only when there is something to send: most sweeps find nothing new, and write nothing here.
  if (result.deliveries > 0 || result.digested > 0) await tx.query('SELECT reminder_work_refresh()');
  return result;
}

async function loadReminderRules(tx: Tx): Promise<Record<Quadrant, ReminderRule>> {
  const { rows } = await tx.query<{
    quadrant: Quadrant;
    frequency_days: number;
    notification_days_before: number;
    escalation_enabled: boolean;
  }>(
    `SELECT quadrant, frequency_days, notification_days_before, escalation_enabled FROM verification_strategies`,
  );
  const base = strategyRules(rows);
  const escalation = new Map(rows.map((row) => [row.quadrant, row.escalation_enabled]));
  return Object.fromEntries(
    QUADRANTS.map((quadrant) => [
      quadrant,
      { ...base[quadrant], escalation_enabled: escalation.get(quadrant) ?? false },
    ]),
  ) as Record<Quadrant, ReminderRule>;
}

async function notifyRecipients(
  tx: Tx,
  created: NewReminder[],
  controls: Map<string, Candidate>,
  now: Date,
): Promise<Record<ReminderKind, number>> {
  const { rows: managers } = await tx.query<{ id: string }>(
    `SELECT id FROM users WHERE role IN ('owner', 'admin') ORDER BY id`,
  );
  const managerIds = managers.map((m) => m.id);
  const reminderIds: string[] = [];
  const userIds: string[] = [];
  for (const reminder of created) {
    const owner = controls.get(reminder.control_id)?.owned_by_user ?? null;
    const recipients = new Set(owner ? [owner] : managerIds);
    if (reminder.escalated) for (const id of managerIds) recipients.add(id);
    for (const userId of recipients) {
      reminderIds.push(reminder.id);
      userIds.push(userId);
    }
  }
  const { rows } = await tx.query<{ kind: ReminderKind; count: string }>(
    `WITH made AS (
       INSERT INTO notifications (organization_id, reminder_id, user_id, created_at)
       SELECT ${CURRENT_ORG}, n.reminder_id, n.user_id, $3
         FROM unnest($1::uuid[], $2::uuid[]) AS n (reminder_id, user_id)
       ON CONFLICT (reminder_id, user_id) DO NOTHING
       RETURNING reminder_id)
     SELECT r.kind, count(*) FROM made JOIN reminders r ON r.id = made.reminder_id GROUP BY r.kind`,
    [reminderIds, userIds, now],
  );
  const counts: Record<ReminderKind, number> = { due_soon: 0, overdue: 0 };
  for (const row of rows) counts[row.kind] = Number(row.count);
  return counts;
}

/** The body every webhook receives for new reminders (docs/api.md, "Webhooks"). */
export type RemindersPayload = {
  event: 'reminders.created';
  organization_id: string;
  created_at: string;
  reminders: Array<{
    id: string;
    control_id: string;
    control_name: string;
    kind: ReminderKind;
    due_on: string;
    quadrant: Quadrant;
    escalated: boolean;
  }>;
};

async function queueWebhookDeliveries(
  tx: Tx,
  created: NewReminder[],
  controls: Map<string, Candidate>,
  now: Date,
): Promise<number> {
  const { rows: hooks } = await tx.query<{ id: string; organization_id: string }>(
    `SELECT id, organization_id FROM webhooks ORDER BY created_at`,
  );
  if (hooks.length === 0) return 0;
  const items = created.map((r) => ({
    id: r.id,
    control_id: r.control_id,
    control_name: controls.get(r.control_id)?.name ?? '',
    kind: r.kind,
    due_on: r.due_on,
    quadrant: r.quadrant,
    escalated: r.escalated,
  }));
  let queued = 0;
  for (let start = 0; start < items.length; start += REMINDERS_PER_DELIVERY) {
    for (const hook of hooks) {
      const payload: RemindersPayload = {
        event: 'reminders.created',
        organization_id: hook.organization_id,
        created_at: now.toISOString(),
        reminders: items.slice(start, start + REMINDERS_PER_DELIVERY),
      };
      await tx.query(
        `INSERT INTO webhook_deliveries (organization_id, webhook_id, event, payload, next_attempt_at, created_at)
         VALUES ($1, $2, 'reminders.created', $3, $4, $4)`,
        [hook.organization_id, hook.id, JSON.stringify(payload), now],
      );
      queued += 1;
    }
  }
  return queued;
}

/**
 * Today's digest for everyone with unread notifications not yet in a digest. UNIQUE (user_id,
 * digest_day) makes it at most one per person per day: notifications that arrive after today's
 * digest wait for tomorrow's.
 */
async function queueDigests(tx: Tx, now: Date): Promise<number> {
  const { rowCount } = await tx.query(
    `WITH waiting AS (
       SELECT DISTINCT user_id FROM notifications
        WHERE digest_id IS NULL AND read_at IS NULL
          AND created_at > $1::timestamptz - make_interval(days => $3)),
     made AS (
       INSERT INTO email_digests (organization_id, user_id, digest_day, next_attempt_at, created_at)
       SELECT ${CURRENT_ORG}, user_id, $2::date, $1, $1 FROM waiting
       ON CONFLICT (user_id, digest_day) DO NOTHING
       RETURNING id, user_id)
     UPDATE notifications n SET digest_id = made.id FROM made
      WHERE n.user_id = made.user_id AND n.digest_id IS NULL AND n.read_at IS NULL
        AND n.created_at > $1::timestamptz - make_interval(days => $3)`,
    [now, isoDate(now), DIGEST_LOOKBACK_DAYS],
  );
  return rowCount ?? 0;
}
