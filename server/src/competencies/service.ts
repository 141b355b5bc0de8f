// Owns competency records: who is trained on which control, and when the refresher or the
// certification falls due. "Expiring" uses the same date rule as the Specialist attention rule
// (attention.ts in @sertantai/core): the earlier of next_refresher_due and certification_expires
// is on or before today + N days (already past included), N = the Specialist
// notification_days_before.

import { addDays, isoDate } from '@sertantai/core';
import type { Tx } from '../db/tenant.ts';
import { updateColumns } from '../db/update-columns.ts';
import { notFound } from '../http/errors.ts';
import { loadStrategyRules } from '../strategies/service.ts';
import type { CompetencyCreate, CompetencyListQuery, CompetencyPatch } from './schema.ts';

export async function listCompetencies(tx: Tx, query: CompetencyListQuery, now: Date) {
  let dueBy: string | null = null;
  if (query.expiring === 'true') {
    const days = query.within_days ?? (await loadStrategyRules(tx)).specialist.notification_days_before;
    dueBy = isoDate(addDays(now, days));
  }
  const { rows } = await tx.query(
    `SELECT * FROM competency_records
      WHERE ($1::date IS NULL OR LEAST(next_refresher_due, certification_expires) <= $1)
        AND ($2::uuid IS NULL OR control_id = $2) AND ($3::uuid IS NULL OR user_id = $3)
      ORDER BY LEAST(next_refresher_due, certification_expires) NULLS LAST, id LIMIT $4 OFFSET $5`,
    [dueBy, query.control_id ?? null, query.user_id ?? null, query.limit, query.offset],
  );
  return rows;
}

export async function getCompetency(tx: Tx, id: string) {
  const { rows } = await tx.query(`SELECT * FROM competency_records WHERE id = $1`, [id]);
  if (!rows[0]) throw notFound('Competency record');
  return rows[0];
}

export async function createCompetency(tx: Tx, input: CompetencyCreate) {
  const { rows } = await tx.query(
    `INSERT INTO competency_records
       (organization_id, user_id, control_id, competency_level, last_training_date, next_refresher_due,
        training_hours, certified_by, certification_expires)
     VALUES (NULLIF(current_setting('app.current_org_id', true), '')::uuid, $1, $2, $3, $4, $5, $6, $7, $8)
     RETURNING *`,
    [
      input.user_id,
      input.control_id,
      input.competency_level,
      input.last_training_date ?? null,
      input.next_refresher_due ?? null,
      input.training_hours ?? null,
      input.certified_by ?? null,
      input.certification_expires ?? null,
    ],
  );
  return rows[0];
}

const PATCHABLE = [
  'competency_level',
  'last_training_date',
  'next_refresher_due',
  'training_hours',
  'certified_by',
  'certification_expires',
] as const;

export async function updateCompetency(tx: Tx, id: string, patch: CompetencyPatch) {
  const row = await updateColumns(tx, 'competency_records', id, PATCHABLE, patch);
  if (!row) throw notFound('Competency record');
  return row;
}

export async function deleteCompetency(tx: Tx, id: string) {
  const { rows } = await tx.query(`DELETE FROM competency_records WHERE id = $1 RETURNING *`, [id]);
  if (!rows[0]) throw notFound('Competency record');
  return rows[0];
}
