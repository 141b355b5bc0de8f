// Writes one row into every tenant table for an organisation, as the runtime role, and
// returns the row ids by table. The RLS tests use two such graphs to attack one from the other.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Database } from '../../src/db/database.ts';
import { tenantTransaction } from '../../src/db/tenant.ts';

export const TENANT_TABLES = [
  'users',
  'sessions',
  'refresh_tokens',
  'invitations',
  'control_providers',
  'provider_networks',
  'controls',
  'control_interactions',
  'quadrant_classifications',
  'organizational_traces',
  'competency_records',
  'service_level_agreements',
  'verification_strategies',
  'risk_predictions',
  'audit_log',
  'reminders',
  'email_digests',
  'notifications',
  'webhooks',
  'webhook_deliveries',
] as const;

export type TenantTable = (typeof TENANT_TABLES)[number] | 'organizations';
export type TenantGraph = { orgId: string; ids: Record<TenantTable, string> };

export async function buildTenantGraph(db: Database): Promise<TenantGraph> {
  const orgId = randomUUID();
  const ids = {} as Record<TenantTable, string>;
  await tenantTransaction(db.appPool, { orgId }, async (tx) => {
    const insert = async (table: TenantTable, sql: string, values: unknown[]) => {
      const { rows } = await tx.query(sql, values);
      ids[table] = String(rows[0].id);
      return ids[table];
    };
    await insert(
      'organizations',
      `INSERT INTO organizations (id, name, slug) VALUES ($1, 'Graph org', $2) RETURNING id`,
      [orgId, `graph-${orgId.slice(0, 13)}`],
    );
    const user = await insert(
      'users',
      `INSERT INTO users (organization_id, email, role) VALUES ($1, $2, 'owner') RETURNING id`,
      [orgId, `graph-${orgId}@example.test`],
    );
    const session = await insert(
      'sessions',
      `INSERT INTO sessions (organization_id, user_id, expires_at) VALUES ($1, $2, now() + interval '1 day') RETURNING id`,
      [orgId, user],
    );
    await insert(
      'refresh_tokens',
      `INSERT INTO refresh_tokens (organization_id, session_id, token_hash) VALUES ($1, $2, $3) RETURNING id`,
      [orgId, session, randomBytes(32)],
    );
    await insert(
      'invitations',
      `INSERT INTO invitations (organization_id, user_id, token_hash, expires_at) VALUES ($1, $2, $3, now() + interval '1 day') RETURNING id`,
      [orgId, user, randomBytes(32)],
    );
    const self = await insert(
      'control_providers',
      `INSERT INTO control_providers (organization_id, name, provider_type, is_user_themselves) VALUES ($1, 'Self', 'user', true) RETURNING id`,
      [orgId],
    );
    const vendor = (
      await tx.query(
        `INSERT INTO control_providers (organization_id, name, provider_type) VALUES ($1, 'Vendor', 'vendor') RETURNING id`,
        [orgId],
      )
    ).rows[0].id;
    await insert(
      'provider_networks',
      `INSERT INTO provider_networks (organization_id, from_provider_id, to_provider_id, relationship_type, path_weight)
       VALUES ($1, $2, $3, 'supplies', 1.5) RETURNING id`,
      [orgId, self, vendor],
    );
    const control = await insert(
      'controls',
      `INSERT INTO controls (organization_id, name, control_type, functional_range, primary_provider_id)
       VALUES ($1, 'Gas detector', 'physical', 'narrow', $2) RETURNING id`,
      [orgId, vendor],
    );
    await insert(
      'control_interactions',
      `INSERT INTO control_interactions (organization_id, control_id, user_id, interaction_type) VALUES ($1, $2, $3, 'inspect') RETURNING id`,
      [orgId, control, user],
    );
    await insert(
      'quadrant_classifications',
      `INSERT INTO quadrant_classifications (organization_id, control_id, quadrant, reason) VALUES ($1, $2, 'strange', 'created') RETURNING id`,
      [orgId, control],
    );
    await insert(
      'organizational_traces',
      `INSERT INTO organizational_traces (organization_id, control_id, trace_type) VALUES ($1, $2, 'work_order') RETURNING id`,
      [orgId, control],
    );
    await insert(
      'competency_records',
      `INSERT INTO competency_records (organization_id, user_id, control_id, competency_level) VALUES ($1, $2, $3, 'competent') RETURNING id`,
      [orgId, user, control],
    );
    await insert(
      'service_level_agreements',
      `INSERT INTO service_level_agreements (organization_id, control_id, provider_id, service_name, uptime_percentage, start_date)
       VALUES ($1, $2, $3, 'Calibration', 99.5, current_date) RETURNING id`,
      [orgId, control, vendor],
    );
    await insert(
      'verification_strategies',
      `INSERT INTO verification_strategies (organization_id, quadrant, method, frequency_days) VALUES ($1, 'self', 'user_reporting', 30) RETURNING id`,
      [orgId],
    );
    await insert(
      'risk_predictions',
      `INSERT INTO risk_predictions (organization_id, control_id, quadrant, functional_range, failure_probability, confidence_score, model_version)
       VALUES ($1, $2, 'strange', 'narrow', 0.4, 0.5, 'test') RETURNING id`,
      [orgId, control],
    );
    await insert('audit_log', `SELECT id FROM audit_log WHERE organization_id = $1 LIMIT 1`, [orgId]);
    const reminder = await insert(
      'reminders',
      `INSERT INTO reminders (organization_id, control_id, kind, due_on, quadrant) VALUES ($1, $2, 'overdue', current_date, 'strange') RETURNING id`,
      [orgId, control],
    );
    const digest = await insert(
      'email_digests',
      `INSERT INTO email_digests (organization_id, user_id, digest_day, next_attempt_at) VALUES ($1, $2, current_date, now()) RETURNING id`,
      [orgId, user],
    );
    await insert(
      'notifications',
      `INSERT INTO notifications (organization_id, reminder_id, user_id, digest_id) VALUES ($1, $2, $3, $4) RETURNING id`,
      [orgId, reminder, user, digest],
    );
    const webhook = await insert(
      'webhooks',
      `INSERT INTO webhooks (organization_id, url, secret) VALUES ($1, 'https://example.test/hook', $2) RETURNING id`,
      [orgId, randomBytes(32).toString('hex')],
    );
    await insert(
      'webhook_deliveries',
      `INSERT INTO webhook_deliveries (organization_id, webhook_id, event, payload, next_attempt_at) VALUES ($1, $2, 'reminders.created', '{}', now()) RETURNING id`,
      [orgId, webhook],
    );
  });
  return { orgId, ids };
}
