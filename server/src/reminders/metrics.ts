// Owns the reminders' Prometheus counters, registered on the app's registry. Labels are fixed
// sets (kind, outcome): never a tenant, user or URL.
import client from 'prom-client';
import type { Metrics } from '../ops/metrics.ts';

export type ReminderMetrics = ReturnType<typeof createReminderMetrics>;

export function createReminderMetrics(metrics: Metrics) {
  const registers = [metrics.registry];
  const counters = {
    notifications: new client.Counter({
      name: 'reminder_notifications_created_total',
      help: 'In-app notifications created by the sweep, by kind (due_soon, overdue)',
      labelNames: ['kind'] as const,
      registers,
    }),
    emails: new client.Counter({
      name: 'reminder_emails_total',
      help: 'Digest e-mails handed to the SMTP server (sent) or refused by it or unreachable (failed), by outcome',
      labelNames: ['outcome'] as const,
      registers,
    }),
    webhookDeliveries: new client.Counter({
      name: 'webhook_delivery_attempts_total',
      help:
        'Webhook attempts by outcome: delivered (2xx), retrying (failed, another attempt is scheduled), ' +
        'failed (failed, no attempts left), blocked (the URL resolves to a refused address)',
      labelNames: ['outcome'] as const,
      registers,
    }),
  };
  // Alerts watch increase(); each series starts at 0 so its first occurrence is an increase.
  for (const kind of ['due_soon', 'overdue']) counters.notifications.inc({ kind }, 0);
  for (const outcome of ['sent', 'failed']) counters.emails.inc({ outcome }, 0);
  for (const outcome of ['delivered', 'retrying', 'failed', 'blocked'])
    counters.webhookDeliveries.inc({ outcome }, 0);
  return counters;
}
