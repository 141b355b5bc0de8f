// Owns the default verification strategies every new organisation starts with, one per
// quadrant. Registration calls it inside the organisation's first transaction; the seed reuses it.
import type { Tx } from '../db/tenant.ts';

export const DEFAULT_STRATEGIES = [
  { quadrant: 'self', method: 'user_reporting', frequency_days: 30 },
  { quadrant: 'specialist', method: 'toolbox_talk', frequency_days: 90 },
  { quadrant: 'service', method: 'sla_monitoring', frequency_days: 7 },
  { quadrant: 'strange', method: 'proactive_sampling', frequency_days: 180 },
] as const;

export const DEFAULT_NOTIFICATION_DAYS_BEFORE = 7;

/** Inserts the four default strategies (idempotent: an existing quadrant is left alone). */
export async function insertDefaultStrategies(tx: Tx, orgId: string): Promise<void> {
  await tx.query(
    `INSERT INTO verification_strategies (organization_id, quadrant, method, frequency_days, notification_days_before)
     SELECT $1, s.quadrant, s.method, s.frequency_days, $5
     FROM unnest($2::text[], $3::text[], $4::int[]) AS s (quadrant, method, frequency_days)
     ON CONFLICT (organization_id, quadrant) DO NOTHING`,
    [
      orgId,
      DEFAULT_STRATEGIES.map((s) => s.quadrant),
      DEFAULT_STRATEGIES.map((s) => s.method),
      DEFAULT_STRATEGIES.map((s) => s.frequency_days),
      DEFAULT_NOTIFICATION_DAYS_BEFORE,
    ],
  );
}
