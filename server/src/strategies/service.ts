// Owns the verification strategies: per organisation and quadrant, how a control is verified
// and how often. The attention rules and the risk score read them through loadStrategyRules; an
// organisation missing a quadrant (created before defaults existed) falls back to the default.

import { QUADRANTS, type Quadrant, type StrategyRules, strategyRules } from '@sertantai/core';
import { sweepOrganization } from '../classification/service.ts';
import type { Tx } from '../db/tenant.ts';
import type { EventPublisher } from '../events/bus.ts';
import type { StrategyFacts } from '../events/domain-events.ts';
import { notFound } from '../http/errors.ts';
import type { StrategyPatch } from './schema.ts';

export type StrategyRow = {
  id: string;
  organization_id: string;
  quadrant: Quadrant;
  method: string;
  frequency_days: number;
  notification_days_before: number;
  escalation_enabled: boolean;
  created_at: Date;
  updated_at: Date;
};

export async function loadStrategyRules(tx: Tx): Promise<StrategyRules> {
  const { rows } = await tx.query<StrategyRow>(
    `SELECT quadrant, frequency_days, notification_days_before FROM verification_strategies`,
  );
  return strategyRules(rows);
}

export async function listStrategies(tx: Tx): Promise<StrategyRow[]> {
  const { rows } = await tx.query<StrategyRow>(
    `SELECT * FROM verification_strategies ORDER BY array_position($1::text[], quadrant)`,
    [QUADRANTS],
  );
  return rows;
}

export async function getStrategy(tx: Tx, id: string): Promise<StrategyRow> {
  const { rows } = await tx.query<StrategyRow>(`SELECT * FROM verification_strategies WHERE id = $1`, [id]);
  if (!rows[0]) throw notFound('Verification strategy');
  return rows[0];
}

/**
 * Edits one strategy and publishes strategy.changed (a new frequency re-scores the risk of that
 * quadrant's controls: the predictions feature listens). The Self frequency is also the
 * Recent/Distant threshold (migration 040), so changing it reclassifies the organisation's
 * controls at once rather than at the next sweep.
 */
export async function updateStrategy(
  tx: Tx,
  id: string,
  patch: StrategyPatch,
  now: Date,
  events: EventPublisher,
): Promise<StrategyRow> {
  const before = await getStrategy(tx, id);
  const { rows } = await tx.query<StrategyRow>(
    `UPDATE verification_strategies SET
        method = COALESCE($2, method),
        frequency_days = COALESCE($3, frequency_days),
        notification_days_before = COALESCE($4, notification_days_before),
        escalation_enabled = COALESCE($5, escalation_enabled)
      WHERE id = $1 RETURNING *`,
    [
      id,
      patch.method ?? null,
      patch.frequency_days ?? null,
      patch.notification_days_before ?? null,
      patch.escalation_enabled ?? null,
    ],
  );
  const after = rows[0]!;
  await events.publish(tx, 'strategy.changed', {
    quadrant: after.quadrant,
    before: strategyFacts(before),
    after: strategyFacts(after),
    now,
  });
  if (after.quadrant === 'self' && after.frequency_days !== before.frequency_days) {
    await sweepOrganization(tx, now, events);
  }
  return after;
}

function strategyFacts(row: StrategyRow): StrategyFacts {
  return {
    method: row.method,
    frequency_days: row.frequency_days,
    notification_days_before: row.notification_days_before,
    escalation_enabled: row.escalation_enabled,
  };
}
