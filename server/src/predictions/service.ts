// Owns risk predictions: gathers each control's inputs, scores them with the pure model
// (risk.ts in @sertantai/core), appends a risk_predictions row when the result changed and keeps
// controls.failure_probability current. Runs inside the caller's tenant transaction, so a
// prediction commits or rolls back with the change that caused it.

import {
  daysBetween,
  type Quadrant,
  RISK_WINDOW_DAYS,
  type RiskInput,
  type RiskResult,
  scoreRisk,
} from '@sertantai/core';
import type { Tx } from '../db/tenant.ts';
import { notFound } from '../http/errors.ts';
import { loadStrategyRules } from '../strategies/service.ts';

type InputRow = {
  id: string;
  current_quadrant: Quadrant;
  last_touched_at: Date | null;
  provider_distance: number | null;
  functional_range: 'narrow' | 'wide';
  failure_probability: number | null;
  incidents: number;
  defects: number;
  traces: number;
  issues: number;
  interactions: number;
  last_key: string | null;
};

const predictionKey = (input: RiskInput, result: RiskResult) =>
  JSON.stringify([
    result.failure_probability,
    result.confidence_score,
    result.predicted_failure_date,
    result.model_version,
    input.quadrant,
    input.providerDistance,
    input.incidents90,
    input.traces90,
    input.issuesFound90,
  ]);

/**
 * Re-scores the given controls at `now`. Returns the new scores by control id. The organisation
 * is the tenant transaction's; ids of other organisations are invisible and skipped. The rows
 * are locked in id order (as every multi-control change here locks them), so two re-scorings
 * of overlapping sets wait for each other instead of deadlocking.
 */
export async function recomputeRisk(
  tx: Tx,
  controlIds: string[],
  now: Date,
): Promise<Map<string, RiskResult>> {
  const scores = new Map<string, RiskResult>();
  if (controlIds.length === 0) return scores;
  const rules = await loadStrategyRules(tx);
  const { rows } = await tx.query<InputRow>(
    `SELECT c.id, c.current_quadrant, c.last_touched_at, c.provider_distance, c.functional_range,
            c.failure_probability, t.incidents, t.defects, t.traces, i.issues, i.interactions, p.last_key
       FROM controls c
       CROSS JOIN LATERAL (
         SELECT count(*) FILTER (WHERE trace_type = 'incident_report')::int AS incidents,
                count(*) FILTER (WHERE trace_type IN ('maintenance_request', 'work_order'))::int AS defects,
                count(*)::int AS traces
           FROM organizational_traces
          WHERE control_id = c.id AND recorded_at > $2::timestamptz - make_interval(days => $3)
            AND recorded_at <= $2::timestamptz) t
       CROSS JOIN LATERAL (
         SELECT count(*) FILTER (WHERE issues_found)::int AS issues, count(*)::int AS interactions
           FROM control_interactions
          WHERE control_id = c.id AND occurred_at > $2::timestamptz - make_interval(days => $3)
            AND occurred_at <= $2::timestamptz) i
       LEFT JOIN LATERAL (
         SELECT explanation ->> 'key' AS last_key FROM risk_predictions
          WHERE control_id = c.id ORDER BY predicted_at DESC, seq DESC LIMIT 1) p ON true
      WHERE c.id = ANY($1::uuid[])
      ORDER BY c.id
        FOR UPDATE OF c`,
    [controlIds, now, RISK_WINDOW_DAYS],
  );
  const inserts: Array<{ row: InputRow; input: RiskInput; result: RiskResult; key: string }> = [];
  for (const row of rows) {
    const input: RiskInput = {
      daysSinceTouched:
        row.last_touched_at === null ? null : Math.floor(daysBetween(row.last_touched_at, now)),
      quadrant: row.current_quadrant,
      frequencyDays: rules[row.current_quadrant].frequency_days,
      providerDistance: row.provider_distance,
      functionalRange: row.functional_range,
      incidents90: row.incidents,
      defectTraces90: row.defects,
      traces90: row.traces,
      issuesFound90: row.issues,
      interactions90: row.interactions,
    };
    const result = scoreRisk(input, now);
    scores.set(row.id, result);
    const key = predictionKey(input, result);
    if (key !== row.last_key) inserts.push({ row, input, result, key });
  }
  if (inserts.length > 0) {
    await tx.query(
      `INSERT INTO risk_predictions
         (organization_id, control_id, days_since_touched, provider_distance, quadrant, functional_range,
          incident_count, trace_count, issues_found_count, failure_probability, predicted_failure_date,
          confidence_score, model_version, explanation, predicted_at)
       SELECT NULLIF(current_setting('app.current_org_id', true), '')::uuid, u.*, $13
         FROM unnest($1::uuid[], $2::numeric[], $3::numeric[], $4::text[], $5::text[], $6::int[], $7::int[],
                     $8::int[], $9::numeric[], $10::date[], $11::numeric[], $12::text[], $14::jsonb[]) AS u`,
      [
        inserts.map((x) => x.row.id),
        inserts.map((x) => x.input.daysSinceTouched),
        inserts.map((x) => x.input.providerDistance),
        inserts.map((x) => x.input.quadrant),
        inserts.map((x) => x.input.functionalRange),
        inserts.map((x) => x.input.incidents90),
        inserts.map((x) => x.input.traces90),
        inserts.map((x) => x.input.issuesFound90),
        inserts.map((x) => x.result.failure_probability),
        inserts.map((x) => x.result.predicted_failure_date),
        inserts.map((x) => x.result.confidence_score),
        inserts.map((x) => x.result.model_version),
        now,
        inserts.map((x) => JSON.stringify({ ...x.result.explanation, key: x.key })),
      ],
    );
  }
  const changed = rows.filter((row) => row.failure_probability !== scores.get(row.id)!.failure_probability);
  if (changed.length > 0) {
    await tx.query(
      `UPDATE controls SET failure_probability = u.p
         FROM unnest($1::uuid[], $2::numeric[]) AS u(id, p)
        WHERE controls.id = u.id`,
      [changed.map((row) => row.id), changed.map((row) => scores.get(row.id)!.failure_probability)],
    );
  }
  return scores;
}

/** Re-scores every control of the organisation (the periodic sweep: the age term grows daily). */
export async function recomputeAllRisk(tx: Tx, now: Date): Promise<number> {
  const { rows } = await tx.query<{ id: string }>(`SELECT id FROM controls`);
  const scores = await recomputeRisk(
    tx,
    rows.map((row) => row.id),
    now,
  );
  return scores.size;
}

/** Re-scores the controls now in `quadrant` (its strategy's frequency changed). */
export async function recomputeQuadrantRisk(tx: Tx, quadrant: Quadrant, now: Date): Promise<number> {
  const { rows } = await tx.query<{ id: string }>(`SELECT id FROM controls WHERE current_quadrant = $1`, [
    quadrant,
  ]);
  const scores = await recomputeRisk(
    tx,
    rows.map((row) => row.id),
    now,
  );
  return scores.size;
}

/**
 * The sweep's variant: re-scores every control nobody else is changing right now. Rows locked
 * by a touch or a network change are skipped (that change re-scores them itself), so the sweep
 * never waits on, or deadlocks with, a request.
 */
export async function recomputeUnlockedRisk(tx: Tx, now: Date): Promise<number> {
  const { rows } = await tx.query<{ id: string }>(
    `SELECT id FROM controls ORDER BY id FOR UPDATE SKIP LOCKED`,
  );
  const scores = await recomputeRisk(
    tx,
    rows.map((row) => row.id),
    now,
  );
  return scores.size;
}

export type PredictionQuery = { control_id?: string | undefined; limit: number };

const PREDICTION_COLUMNS = `id, organization_id, control_id, days_since_touched, provider_distance, quadrant,
  functional_range, incident_count, trace_count, issues_found_count, failure_probability, predicted_failure_date,
  confidence_score, model_version, explanation - 'key' AS explanation, predicted_at`;

/** With a control: its prediction history, newest first. Without: each control's latest prediction. */
export async function listPredictions(tx: Tx, query: PredictionQuery) {
  if (query.control_id !== undefined) {
    const control = await tx.query(`SELECT 1 FROM controls WHERE id = $1`, [query.control_id]);
    if (control.rowCount === 0) throw notFound('Control');
    const { rows } = await tx.query(
      `SELECT ${PREDICTION_COLUMNS} FROM risk_predictions WHERE control_id = $1
        ORDER BY predicted_at DESC, seq DESC LIMIT $2`,
      [query.control_id, query.limit],
    );
    return rows;
  }
  const { rows } = await tx.query(
    `SELECT * FROM (
       SELECT DISTINCT ON (control_id) ${PREDICTION_COLUMNS} FROM risk_predictions
        ORDER BY control_id, predicted_at DESC, seq DESC) latest
      ORDER BY failure_probability DESC, control_id LIMIT $1`,
    [query.limit],
  );
  return rows;
}
