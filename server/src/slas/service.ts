// Owns service level agreements (contract terms: backend only, never synced to browsers).
// Breached means performance_current < uptime_percentage, the same rule the Service attention
// rule uses (isSlaBreached in @sertantai/core); an SLA without a measurement is not breached.
import type { Tx } from '../db/tenant.ts';
import { updateColumns } from '../db/update-columns.ts';
import { notFound } from '../http/errors.ts';
import type { SlaCreate, SlaListQuery, SlaPatch } from './schema.ts';

export async function listSlas(tx: Tx, query: SlaListQuery) {
  const breached = query.breached === undefined ? null : query.breached === 'true';
  const { rows } = await tx.query(
    `SELECT * FROM service_level_agreements
      WHERE ($1::boolean IS NULL OR (performance_current IS NOT NULL AND performance_current < uptime_percentage) = $1)
        AND ($2::uuid IS NULL OR control_id = $2) AND ($3::uuid IS NULL OR provider_id = $3)
      ORDER BY service_name, id LIMIT $4 OFFSET $5`,
    [breached, query.control_id ?? null, query.provider_id ?? null, query.limit, query.offset],
  );
  return rows;
}

export async function getSla(tx: Tx, id: string) {
  const { rows } = await tx.query(`SELECT * FROM service_level_agreements WHERE id = $1`, [id]);
  if (!rows[0]) throw notFound('Service level agreement');
  return rows[0];
}

export async function createSla(tx: Tx, input: SlaCreate) {
  const { rows } = await tx.query(
    `INSERT INTO service_level_agreements
       (organization_id, control_id, provider_id, service_name, uptime_percentage, response_time_hours,
        resolution_time_hours, start_date, end_date, performance_current, breaches_count)
     VALUES (NULLIF(current_setting('app.current_org_id', true), '')::uuid, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     RETURNING *`,
    [
      input.control_id,
      input.provider_id,
      input.service_name,
      input.uptime_percentage,
      input.response_time_hours ?? null,
      input.resolution_time_hours ?? null,
      input.start_date,
      input.end_date ?? null,
      input.performance_current ?? null,
      input.breaches_count ?? 0,
    ],
  );
  return rows[0];
}

const PATCHABLE = [
  'service_name',
  'uptime_percentage',
  'response_time_hours',
  'resolution_time_hours',
  'start_date',
  'end_date',
  'performance_current',
  'breaches_count',
] as const;

export async function updateSla(tx: Tx, id: string, patch: SlaPatch) {
  const row = await updateColumns(tx, 'service_level_agreements', id, PATCHABLE, patch);
  if (!row) throw notFound('Service level agreement');
  return row;
}

export async function deleteSla(tx: Tx, id: string) {
  const { rows } = await tx.query(`DELETE FROM service_level_agreements WHERE id = $1 RETURNING *`, [id]);
  if (!rows[0]) throw notFound('Service level agreement');
  return rows[0];
}
