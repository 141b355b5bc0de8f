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
  type StrategyRuleRow,
  strategyRules,
} from '@sertantai/core';
import type { Tx } from '../db/tenant.ts';

/** What attentionInputs adds to a row of controls (prefixed, so no column of controls is shadowed). */
type AttentionInputs = {
  id: string;
  current_quadrant: Quadrant;
  last_touched_at: Date | null;
  _attention_last_audit_at: Date | null;
  _attention_competencies: CompetencyDates[] | null;
  _attention_slas: SlaPerformance[] | null;
  /**
   * The organisation's strategies, the same on every row (one uncorrelated sub-select), as
   * plain text 'quadrant frequency notice,…' (strategiesOf) rather than JSON: the driver would
   * otherwise JSON.parse the same array once per row of a page, and only the first is read.
   */
  _attention_strategies: string | null;
};

/** The input columns, in the order attentionInputs selects them (last of a row's columns). */
export const INPUT_COLUMNS = [
  '_attention_strategies',
  '_attention_last_audit_at',
  '_attention_competencies',
  '_attention_slas',
] as const;

/**
 * The attention rules' inputs for the control aliased `c`, as select-list columns, so a read
 * fetches its rows and their attention in ONE statement. `now` is the placeholder of the
 * evaluation time (e.g. '$2'). Sub-selects in the select list run only for the rows returned
 * (after ORDER BY … LIMIT), and each only for the quadrant whose rule reads it.
 */
export function attentionInputs(now: string): string {
  return `(SELECT string_agg(v.quadrant || ' ' || v.frequency_days || ' ' || v.notification_days_before, ',')
             FROM verification_strategies v) AS _attention_strategies,
          CASE WHEN c.current_quadrant = 'strange' THEN
            (SELECT max(i.occurred_at) FROM control_interactions i
              WHERE i.control_id = c.id AND i.interaction_type IN ('inspect', 'test') AND i.occurred_at <= ${now})
          END AS _attention_last_audit_at,
          CASE WHEN c.current_quadrant = 'specialist' THEN
            (SELECT json_agg(json_build_object('next_refresher_due', r.next_refresher_due,
                                               'certification_expires', r.certification_expires))
               FROM competency_records r WHERE r.control_id = c.id)
          END AS _attention_competencies,
          CASE WHEN c.current_quadrant = 'service' THEN
            (SELECT json_agg(json_build_object('service_name', s.service_name,
                                               'uptime_percentage', s.uptime_percentage,
                                               'performance_current', s.performance_current,
                                               'start_date', s.start_date, 'end_date', s.end_date))
               FROM service_level_agreements s WHERE s.control_id = c.id)
          END AS _attention_slas`;
}

/**
 * Answers the attention reasons of rows read with attentionInputs, per id, and removes the
 * input columns from the rows (they are not part of any answer).
 */
export function attentionOfRows(
  rows: readonly Record<string, unknown>[],
  now: Date,
): Map<string, AttentionReason[]> {
  const result = new Map<string, AttentionReason[]>();
  const first = rows[0] as AttentionInputs | undefined;
  const rules = strategyRules(strategiesOf(first?._attention_strategies ?? null));
  for (const raw of rows) {
    const row = raw as AttentionInputs;
    result.set(
      row.id,
      attentionReasons(
        {
          quadrant: row.current_quadrant,
          lastTouchedAt: row.last_touched_at,
          lastAuditAt: row._attention_last_audit_at,
          competencies: row._attention_competencies ?? [],
          slas: row._attention_slas ?? [],
        },
        rules,
        now,
      ),
    );
    // Last column first: removing an object's last-added properties keeps V8's fast layout of
    // the row; any other order turns it into a slow dictionary, which every later read of the
    // row (the response serializer's) pays for.
    for (let i = INPUT_COLUMNS.length - 1; i >= 0; i--) delete raw[INPUT_COLUMNS[i]!];
  }
  return result;
}

/** The strategy rows from attentionInputs' text: 'quadrant frequency_days notification_days_before,…'. */
export function strategiesOf(text: string | null): StrategyRuleRow[] {
  if (!text) return [];
  return text.split(',').map((strategy) => {
    const [quadrant = '', frequency_days = '', notification_days_before = ''] = strategy.split(' ');
    return { quadrant, frequency_days, notification_days_before };
  });
}

/**
 * The attention reasons of the given controls (every control of the organisation when ids are
 * omitted). An empty list means nothing needs doing; ids not visible here are absent.
 */
export async function attentionForIds(
  tx: Tx,
  controlIds: readonly string[] | undefined,
  now: Date,
): Promise<Map<string, AttentionReason[]>> {
  if (controlIds !== undefined && controlIds.length === 0) return new Map();
  const { rows } = await tx.query(
    `SELECT c.id, c.current_quadrant, c.last_touched_at, ${attentionInputs('$1')}
       FROM controls c
      ${controlIds === undefined ? '' : 'WHERE c.id = ANY($2::uuid[])'}`,
    // Two fixed texts rather than "$2 IS NULL OR …", whose generic plan scans every control.
    controlIds === undefined ? [now] : [now, controlIds],
  );
  return attentionOfRows(rows, now);
}
