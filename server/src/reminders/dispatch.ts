// Owns sending: each process, every REMINDER_DELIVERY_INTERVAL_SECONDS (tests: app.deliverReminders()),
// asks which organisations have digests or webhook deliveries due (reminder_work_due), and for
// each one claims its due rows in a short tenant transaction — FOR UPDATE SKIP LOCKED, moving
// next_attempt_at one lease ahead — then sends outside any transaction and records the
// outcome. A row claimed by one process is invisible to the others until its lease ends, so
// several processes never send the same digest or delivery twice; a process that dies mid-send
// leaves the row to be retried after the lease. A failed attempt is retried after
// base · 2^(attempts − 1) seconds, up to WEBHOOK_MAX_ATTEMPTS (digests use the same schedule).
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import { boundedQuery } from '../db/overload.ts';
import { type Tx, tenantTransaction } from '../db/tenant.ts';
import type { Logger } from '../ops/logger.ts';
import { type AttemptOutcome, postWebhook } from './deliver.ts';
import { type DigestItem, type Mailer, renderDigest } from './mail.ts';
import type { ReminderMetrics } from './metrics.ts';

/** Longer than the slowest batch: 20 deliveries × the webhook timeout, plus the e-mails. */
const LEASE_SECONDS = 600;
const BATCH = 20;
const ORGANIZATIONS_PER_ROUND = 500;
/**
 * Organisations served at once. One organisation's claimed deliveries are sent all at once (at
 * most BATCH): receivers that never answer cost their tenant one timeout a round and hold one of
 * these slots, not every other tenant's turn (one by one, 20 silent receivers held a round, and
 * every organisation behind them, 20 timeouts long).
 */
const ORGANIZATIONS_AT_ONCE = 4;

export type DispatchResult = { organizations: number; emails: number; deliveries: number };

export type Dispatcher = {
  runOnce(options?: { only?: string[] }): Promise<DispatchResult>;
  start(): void;
  stop(): Promise<void>;
};

type ClaimedDigest = {
  id: string;
  attempts: number;
  email: string;
  organization_name: string;
  items: DigestItem[];
};
type ClaimedDelivery = {
  id: string;
  attempts: number;
  event: string;
  url: string;
  secret: string;
  payload: unknown;
  created_at: Date;
};

export function createDispatcher(deps: {
  db: Database;
  config: Config;
  clock: Clock;
  log: Logger;
  metrics: ReminderMetrics;
  mailer: Mailer | undefined;
}): Dispatcher {
  const { db, clock, log, metrics, mailer } = deps;
  const settings = deps.config.reminders;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<DispatchResult> | undefined;

  const retryAt = (attempts: number, now: Date) =>
    new Date(now.getTime() + settings.retryBaseSeconds * 1000 * 2 ** Math.max(0, attempts - 1));

  async function claim(
    tx: Tx,
    now: Date,
  ): Promise<{ digests: ClaimedDigest[]; deliveries: ClaimedDelivery[] }> {
    const leaseEnd = new Date(now.getTime() + LEASE_SECONDS * 1000);
    const digests = mailer
      ? (
          await tx.query<ClaimedDigest>(
            `WITH claimed AS (
               UPDATE email_digests SET attempts = attempts + 1, next_attempt_at = $2
                WHERE id IN (SELECT id FROM email_digests
                              WHERE status = 'pending' AND next_attempt_at <= $1
                              ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED)
                RETURNING id, user_id, attempts)
             SELECT c.id, c.attempts, u.email, o.name AS organization_name,
                    coalesce(json_agg(json_build_object('control_id', r.control_id, 'control_name', ct.name,
                      'kind', r.kind, 'due_on', to_char(r.due_on, 'YYYY-MM-DD'))
                      ORDER BY r.kind DESC, r.due_on, ct.name) FILTER (WHERE r.id IS NOT NULL), '[]') AS items
               FROM claimed c
               JOIN users u ON u.id = c.user_id
               CROSS JOIN organizations o
               LEFT JOIN notifications n ON n.digest_id = c.id
               LEFT JOIN reminders r ON r.id = n.reminder_id
               LEFT JOIN controls ct ON ct.id = r.control_id
              GROUP BY c.id, c.attempts, u.email, o.name`,
            [now, leaseEnd, BATCH],
          )
        ).rows
      : [];
    const { rows: deliveries } = await tx.query<ClaimedDelivery>(
      `WITH claimed AS (
         UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = $2
          WHERE id IN (SELECT id FROM webhook_deliveries
                        WHERE status = 'pending' AND next_attempt_at <= $1
                        ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED)
          RETURNING id, webhook_id, attempts, event, payload, created_at)
       SELECT c.id, c.attempts, c.event, c.payload, c.created_at, w.url, w.secret
         FROM claimed c JOIN webhooks w ON w.id = c.webhook_id`,
      [now, leaseEnd, BATCH],
    );
    await tx.query('SELECT reminder_work_refresh()');
    return { digests, deliveries };
  }

  async function sendDigest(digest: ClaimedDigest): Promise<string | null> {
    if (digest.items.length === 0) return null; // everything in it was read or removed: nothing to say
    const { subject, text } = renderDigest(digest.items, {
      organizationName: digest.organization_name,
      appOrigin: deps.config.publicOrigin,
    });
    try {
      await mailer!.send({ to: digest.email, subject, text });
      metrics.emails.inc({ outcome: 'sent' });
      return null;
    } catch (error) {
      metrics.emails.inc({ outcome: 'failed' });
      return (error as Error).message.slice(0, 1000);
    }
  }

  async function sendDelivery(delivery: ClaimedDelivery): Promise<AttemptOutcome> {
    const body = JSON.stringify({
      delivery_id: delivery.id,
      delivery_created_at: delivery.created_at.toISOString(),
      ...(delivery.payload as object),
    });
    return postWebhook({
      url: delivery.url,
      secret: delivery.secret,
      body,
      deliveryId: delivery.id,
      event: delivery.event,
      allowPrivate: settings.webhookAllowPrivateAddresses,
      timeoutMs: settings.webhookTimeoutMs,
    });
  }

  async function dispatchOrganization(orgId: string): Promise<{ emails: number; deliveries: number }> {
    const context = { orgId, requestId: 'reminder-dispatch' };
    const now = clock.now();
    const claimed = await tenantTransaction(db.appPool, context, (tx) => claim(tx, now));
    const digestErrors = new Map<string, string | null>();
    const outcomes = new Map<string, AttemptOutcome>();
    const sendDigests = async () => {
      for (const digest of claimed.digests) digestErrors.set(digest.id, await sendDigest(digest));
    };
    const sendDeliveries = claimed.deliveries.map(async (delivery) => {
      const outcome = await sendDelivery(delivery);
      const retrying = outcome.outcome === 'failed' && delivery.attempts < settings.webhookMaxAttempts;
      metrics.webhookDeliveries.inc({ outcome: retrying ? 'retrying' : outcome.outcome });
      outcomes.set(delivery.id, outcome);
    });
    await Promise.all([sendDigests(), ...sendDeliveries]);
    if (claimed.digests.length === 0 && claimed.deliveries.length === 0) return { emails: 0, deliveries: 0 };
    const done = clock.now();
    await tenantTransaction(db.appPool, context, async (tx) => {
      for (const digest of claimed.digests) {
        const error = digestErrors.get(digest.id) ?? null;
        const gaveUp = error !== null && digest.attempts >= settings.webhookMaxAttempts;
        await tx.query(
          `UPDATE email_digests SET status = $2, last_error = $3, sent_at = CASE WHEN $2 = 'sent' THEN $4::timestamptz END,
                  next_attempt_at = $5 WHERE id = $1`,
          [
            digest.id,
            error === null ? 'sent' : gaveUp ? 'failed' : 'pending',
            error,
            done,
            retryAt(digest.attempts, done),
          ],
        );
      }
      for (const delivery of claimed.deliveries) {
        const outcome = outcomes.get(delivery.id)!;
        const status =
          outcome.outcome === 'delivered'
            ? 'delivered'
            : outcome.outcome === 'failed' && delivery.attempts < settings.webhookMaxAttempts
              ? 'pending'
              : 'failed';
        await tx.query(
          `UPDATE webhook_deliveries SET status = $2, last_status_code = $3, last_error = $4,
                  delivered_at = CASE WHEN $2 = 'delivered' THEN $5::timestamptz END, next_attempt_at = $6
            WHERE id = $1`,
          [
            delivery.id,
            status,
            outcome.status,
            outcome.outcome === 'delivered' ? null : outcome.error.slice(0, 1000),
            done,
            retryAt(delivery.attempts, done),
          ],
        );
      }
      await tx.query('SELECT reminder_work_refresh()');
    });
    return {
      emails: claimed.digests.filter((d) => digestErrors.get(d.id) === null && d.items.length > 0).length,
      deliveries: [...outcomes.values()].filter((o) => o.outcome === 'delivered').length,
    };
  }

  async function dispatch(only: string[] | undefined): Promise<DispatchResult> {
    const { rows } = await boundedQuery<{ id: string }>(
      db.appPool,
      'SELECT reminder_work_due AS id FROM reminder_work_due($1, $2)',
      [clock.now(), ORGANIZATIONS_PER_ROUND],
    );
    const result: DispatchResult = { organizations: 0, emails: 0, deliveries: 0 };
    const queue = rows.map((row) => row.id).filter((id) => !only || only.includes(id));
    const worker = async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        try {
          const sent = await dispatchOrganization(id);
          result.organizations += 1;
          result.emails += sent.emails;
          result.deliveries += sent.deliveries;
        } catch (error) {
          // One organisation's failure must not stop the others; its rows are retried after the lease.
          log.error({ err: error, orgId: id }, 'reminder dispatch failed for an organisation');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(ORGANIZATIONS_AT_ONCE, queue.length) }, worker));
    return result;
  }

  async function runOnce(options: { only?: string[] } = {}): Promise<DispatchResult> {
    while (running) await running.catch(() => {});
    const round = dispatch(options.only).finally(() => {
      if (running === round) running = undefined;
    });
    running = round;
    return round;
  }

  return {
    runOnce,
    start() {
      timer = setInterval(() => {
        runOnce().catch((error) => log.error({ err: error }, 'reminder dispatch failed'));
      }, settings.deliveryIntervalSeconds * 1000);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running?.catch(() => {});
      mailer?.close();
    },
  };
}
