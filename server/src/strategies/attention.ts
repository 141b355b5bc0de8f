// Owns the attention service: gathers what the attention rules (model/attention.ts) read for a
// set of controls — last touch, last audit, competency dates, SLA performance — in four queries
// inside the caller's tenant transaction, and answers the reasons per control.
import type { Tx } from '../db/tenant.ts';
import {
  type AttentionReason,
  attentionReasons,
  type CompetencyDates,
  type Quadrant,
  type SlaPerformance,
} from '../model/attention.ts';
import { loadStrategyRules } from './service.ts';

/** The columns of a control the rules need (a controls list row already has them). */
export type AttentionControl = { id: string; current_quadrant: Quadrant; last_touched_at: Date | null };

const group = <T extends { control_id: string }>(rows: T[]) => {
  const byControl = new Map<string, T[]>();
  for (const row of rows) {
    const list = byControl.get(row.control_id);
    if (list) list.push(row);
    else byControl.set(row.control_id, [row]);
  }
  return byControl;
};

/** The attention reasons of each given control (an empty list: nothing needs doing). */
export async function attentionFor(
  tx: Tx,
  controls: readonly AttentionControl[],
  now: Date,
): Promise<Map<string, AttentionReason[]>> {
  const result = new Map<string, AttentionReason[]>();
  if (controls.length === 0) return result;
  const ids = (quadrant?: Quadrant) =>
    controls.filter((c) => quadrant === undefined || c.current_quadrant === quadrant).map((c) => c.id);
  // One query at a time: a pg client runs them in sequence anyway.
  const rules = await loadStrategyRules(tx);
  const audits = await tx.query<{ control_id: string; last_audit_at: Date }>(
    `SELECT control_id, max(occurred_at) AS last_audit_at FROM control_interactions
      WHERE control_id = ANY($1::uuid[]) AND interaction_type IN ('inspect', 'test') AND occurred_at <= $2
      GROUP BY control_id`,
    [ids('strange'), now],
  );
  const competencies = await tx.query<CompetencyDates & { control_id: string }>(
    `SELECT control_id, next_refresher_due::text, certification_expires::text FROM competency_records
      WHERE control_id = ANY($1::uuid[])`,
    [ids('specialist')],
  );
  const slas = await tx.query<SlaPerformance & { control_id: string }>(
    `SELECT control_id, service_name, uptime_percentage, performance_current, start_date::text, end_date::text
       FROM service_level_agreements WHERE control_id = ANY($1::uuid[])`,
    [ids('service')],
  );
  const lastAudit = new Map(audits.rows.map((row) => [row.control_id, row.last_audit_at]));
  const competenciesOf = group(competencies.rows);
  const slasOf = group(slas.rows);
  for (const control of controls) {
    result.set(
      control.id,
      attentionReasons(
        {
          quadrant: control.current_quadrant,
          lastTouchedAt: control.last_touched_at,
          lastAuditAt: lastAudit.get(control.id) ?? null,
          competencies: competenciesOf.get(control.id) ?? [],
          slas: slasOf.get(control.id) ?? [],
        },
        rules,
        now,
      ),
    );
  }
  return result;
}

/** Loads the controls by id (all of the organisation's when omitted) and answers their reasons. */
export async function attentionForIds(
  tx: Tx,
  controlIds: readonly string[] | undefined,
  now: Date,
): Promise<Map<string, AttentionReason[]>> {
  const { rows } = await tx.query<AttentionControl>(
    controlIds === undefined
      ? `SELECT id, current_quadrant, last_touched_at FROM controls`
      : `SELECT id, current_quadrant, last_touched_at FROM controls WHERE id = ANY($1::uuid[])`,
    controlIds === undefined ? [] : [controlIds],
  );
  return attentionFor(tx, rows, now);
}
