// Owns the register export: every control of the organisation with its provider by name,
// quadrant, last touch, distance, risk and attention reasons, as CSV (csv-stringify).
import { stringify } from 'csv-stringify/sync';
import type { Tx } from '../db/tenant.ts';
import { attentionForIds } from '../strategies/attention.ts';
import { protectCell } from './cells.ts';

export const EXPORT_COLUMNS = [
  'id',
  'name',
  'description',
  'control_type',
  'functional_range',
  'provider',
  'quadrant',
  'last_touched_at',
  'provider_distance',
  'failure_probability',
  'attention',
] as const;

type ExportRow = {
  id: string;
  name: string;
  description: string | null;
  control_type: string;
  functional_range: string;
  provider: string | null;
  current_quadrant: 'self' | 'specialist' | 'service' | 'strange';
  last_touched_at: Date | null;
  provider_distance: number | null;
  failure_probability: number | null;
};

export async function exportControlsCsv(tx: Tx, now: Date): Promise<string> {
  const { rows } = await tx.query<ExportRow>(
    `SELECT c.id, c.name, c.description, c.control_type, c.functional_range, p.name AS provider,
            c.current_quadrant, c.last_touched_at, c.provider_distance, c.failure_probability
       FROM controls c LEFT JOIN control_providers p ON p.id = c.primary_provider_id
      ORDER BY lower(c.name), c.id`,
  );
  const attention = await attentionForIds(tx, undefined, now);
  const text = (value: string | null) => (value === null ? '' : protectCell(value));
  const records = rows.map((row) => [
    row.id,
    text(row.name),
    text(row.description),
    row.control_type,
    row.functional_range,
    text(row.provider),
    row.current_quadrant,
    row.last_touched_at === null ? '' : row.last_touched_at.toISOString(),
    row.provider_distance === null ? '' : String(row.provider_distance),
    row.failure_probability === null ? '' : String(row.failure_probability),
    (attention.get(row.id) ?? []).map((reason) => reason.code).join('; '),
  ]);
  return stringify([[...EXPORT_COLUMNS], ...records], { record_delimiter: 'windows' });
}
