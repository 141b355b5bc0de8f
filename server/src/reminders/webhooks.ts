// Owns an organisation's webhooks (admins and owners): the list, adding one (its URL checked by
// the SSRF guard before anything is stored; a fresh secret returned once), removing one, and the
// delivery log. At most MAX_WEBHOOKS per organisation, so one tenant cannot fan the server out.
import { randomBytes } from 'node:crypto';
import { LOCK_NAMESPACE } from '../db/advisory-locks.ts';
import type { Tx } from '../db/tenant.ts';
import { conflict, notFound, validationError } from '../http/errors.ts';
import { AddressRefused, checkWebhookUrl } from './address-policy.ts';
import type { Delivery, Webhook, WebhookCreate } from './schema.ts';

export const MAX_WEBHOOKS = 10;
/** Advisory lock namespace (first int4) for adding an organisation's webhooks. */
const COLUMNS = 'id, url, description, created_by_user_id, created_at';

/** Checks the URL (DNS included) before the transaction opens: no connection waits on a resolver. */
export async function checkedWebhookUrl(url: string, allowPrivate: boolean): Promise<string> {
  try {
    return (await checkWebhookUrl(url, allowPrivate)).toString();
  } catch (error) {
    if (error instanceof AddressRefused) {
      throw validationError(`The webhook URL ${error.message}.`, { errors: { url: [error.message] } });
    }
    throw error;
  }
}

export async function listWebhooks(tx: Tx): Promise<Webhook[]> {
  const { rows } = await tx.query<Webhook>(`SELECT ${COLUMNS} FROM webhooks ORDER BY created_at, id`);
  return rows;
}

export async function createWebhook(
  tx: Tx,
  input: WebhookCreate & { url: string },
  userId: string,
): Promise<{ webhook: Webhook; secret: string }> {
  // Concurrent adds of one organisation queue here, so each counts the ones before it (without
  // the lock, 25 parallel requests all counted 9 and stored 14).
  await tx.query(`SELECT pg_advisory_xact_lock($1, hashtext(current_setting('app.current_org_id', true)))`, [
    LOCK_NAMESPACE.webhooks,
  ]);
  const { rows: count } = await tx.query<{ n: string }>('SELECT count(*) AS n FROM webhooks');
  if (Number(count[0]!.n) >= MAX_WEBHOOKS) {
    throw conflict(`An organisation can have at most ${MAX_WEBHOOKS} webhooks; remove one first.`);
  }
  const secret = `whsec_${randomBytes(32).toString('base64url')}`;
  const { rows } = await tx.query<Webhook>(
    `INSERT INTO webhooks (organization_id, url, description, secret, created_by_user_id)
     VALUES (NULLIF(current_setting('app.current_org_id', true), '')::uuid, $1, $2, $3, $4)
     RETURNING ${COLUMNS}`,
    [input.url, input.description || null, secret, userId],
  );
  return { webhook: rows[0]!, secret };
}

export async function deleteWebhook(tx: Tx, id: string): Promise<void> {
  const { rowCount } = await tx.query('DELETE FROM webhooks WHERE id = $1', [id]);
  if (rowCount === 0) throw notFound('Webhook');
  await tx.query('SELECT reminder_work_refresh()');
}

export async function listDeliveries(
  tx: Tx,
  query: { webhook_id?: string | undefined; status?: Delivery['status'] | undefined; limit: number },
): Promise<Delivery[]> {
  const { rows } = await tx.query<Delivery>(
    `SELECT d.id, d.webhook_id, w.url, d.event, d.status, d.attempts,
            jsonb_array_length(d.payload -> 'reminders') AS reminders, d.last_status_code, d.last_error,
            CASE WHEN d.status = 'pending' THEN d.next_attempt_at END AS next_attempt_at,
            d.delivered_at, d.created_at
       FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
      WHERE ($1::uuid IS NULL OR d.webhook_id = $1) AND ($2::text IS NULL OR d.status = $2)
      ORDER BY d.created_at DESC, d.id LIMIT $3`,
    [query.webhook_id ?? null, query.status ?? null, query.limit],
  );
  return rows;
}
