// Owns the attention service: gathers what the attention rules (attention.ts in
// @sertantai/core) read for a set of controls — last touch, last audit (Strange), competency
// dates (Specialist), SLA performance (Service) — in one statement inside the caller's tenant
// transaction, and answers the reasons per control. Each input is fetched only for the quadrant
// whose rule reads it.

import {
  type AttentionReason,
  attentionReasons,
  type CompetencyDates,
  type Quadrant,
  type SlaPerformance,
  strategyRules,
} from '@sertantai/core';
import type { Tx } from '../db/tenant.ts';

type InputRow = {
  id: string;
  current_quadrant: Quadrant;
  last_touched_at: Date | null;
  last_audit_at: Date | null;
  competencies: CompetencyDates[] | null;
  slas: SlaPerformance[] | null;
  /** The organisation's strategies, the same on every row (one uncorrelated sub-select). */
  strategies: Array<{ quadrant: Quadrant; frequency_days: number; notification_days_before: number }> | null;
};

/**
 * The attention reasons of the given controls (every control of the organisation when ids are
 * omitted). An empty list means nothing needs doing; ids not visible here are absent.
 */
export async function attentionForIds(
  tx: Tx,
  controlIds: readonly string[] | undefined,
  now: Date,
): Promise<Map<string, AttentionReason[]>> {
  const result = new Map<string, AttentionReason[]>();
  if (controlIds !== undefined && controlIds.length === 0) return result;
  // One round trip: the strategies ride along with the inputs instead of a query of their own.
  const { rows } = await tx.query<InputRow>(
    `SELECT c.id, c.current_quadrant, c.last_touched_at,
            (SELECT json_agg(json_build_object('quadrant', v.quadrant, 'frequency_days', v.frequency_days,
                                               'notification_days_before', v.notification_days_before))
               FROM verification_strategies v) AS strategies,
            CASE WHEN c.current_quadrant = 'strange' THEN
              (SELECT max(i.occurred_at) FROM control_interactions i
                WHERE i.control_id = c.id AND i.interaction_type IN ('inspect', 'test') AND i.occurred_at <= $1)
            END AS last_audit_at,
            CASE WHEN c.current_quadrant = 'specialist' THEN
              (SELECT json_agg(json_build_object('next_refresher_due', r.next_refresher_due,
                                                 'certification_expires', r.certification_expires))
                 FROM competency_records r WHERE r.control_id = c.id)
            END AS competencies,
            CASE WHEN c.current_quadrant = 'service' THEN
              (SELECT json_agg(json_build_object('service_name', s.service_name,
                                                 'uptime_percentage', s.uptime_percentage,
                                                 'performance_current', s.performance_current,
                                                 'start_date', s.start_date, 'end_date', s.end_date))
                 FROM service_level_agreements s WHERE s.control_id = c.id)
            END AS slas
       FROM controls c
      ${controlIds === undefined ? '' : 'WHERE c.id = ANY($2::uuid[])'}`,
    // Two fixed texts rather than "$2 IS NULL OR …", whose generic plan scans every control.
    controlIds === undefined ? [now] : [now, controlIds],
  );
  const rules = strategyRules(rows[0]?.strategies ?? []);
  for (const row of rows) {
    result.set(
      row.id,
      attentionReasons(
        {
          quadrant: row.current_quadrant,
          lastTouchedAt: row.last_touched_at,
          lastAuditAt: row.last_audit_at,
          competencies: row.competencies ?? [],
          slas: row.slas ?? [],
        },
        rules,
        now,
      ),
    );
  }
  return result;
}
