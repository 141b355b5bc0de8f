// Owns writing the default verification strategies (DEFAULT_STRATEGIES in @sertantai/core) for a
// new organisation. Registration calls it inside the organisation's first transaction; the seed
// and the admin command reuse it.
import { DEFAULT_NOTIFICATION_DAYS_BEFORE, DEFAULT_STRATEGIES } from '@sertantai/core';
import type { Tx } from '../db/tenant.ts';

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
