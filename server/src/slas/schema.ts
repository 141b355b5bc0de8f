// Request and response schemas of /api/slas.
import { z } from 'zod';
import { name } from '../controls/fields.ts';
import { rowOf } from '../http/responses.ts';

const date = z.iso.date();
const percentage = z.number().min(0).max(100);
const hours = z.number().min(0).max(100_000).nullable();

const editable = {
  service_name: name(200),
  uptime_percentage: percentage,
  response_time_hours: hours,
  resolution_time_hours: hours,
  start_date: date,
  end_date: date.nullable(),
  performance_current: percentage.nullable(),
  breaches_count: z.number().int().min(0).max(1_000_000),
};

const datesInOrder = (sla: { start_date?: string | undefined; end_date?: string | null | undefined }) =>
  !sla.start_date || !sla.end_date || sla.end_date >= sla.start_date;
const datesMessage = { message: 'end_date must be on or after start_date.', path: ['end_date'] };

export const slaCreateSchema = z
  .object({
    control_id: z.guid(),
    provider_id: z.guid(),
    service_name: editable.service_name,
    uptime_percentage: editable.uptime_percentage,
    response_time_hours: hours.optional(),
    resolution_time_hours: hours.optional(),
    start_date: editable.start_date,
    end_date: editable.end_date.optional(),
    performance_current: editable.performance_current.optional(),
    breaches_count: editable.breaches_count.optional(),
  })
  .strict()
  .refine(datesInOrder, datesMessage);
export type SlaCreate = z.infer<typeof slaCreateSchema>;

export const slaPatchSchema = z
  .object(editable)
  .partial()
  .strict()
  .refine((patch) => Object.keys(patch).length > 0, { message: 'Give at least one field to change.' })
  .refine(datesInOrder, datesMessage);
export type SlaPatch = z.infer<typeof slaPatchSchema>;

export const slaListQuery = z
  .object({
    breached: z.enum(['true', 'false']).optional(),
    control_id: z.guid().optional(),
    provider_id: z.guid().optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  })
  .strict();
export type SlaListQuery = z.infer<typeof slaListQuery>;

export const idParamsSchema = z.object({ id: z.guid() }).strict();

/** service_level_agreements is not synced: its columns are named here. */
export const slaRow = rowOf({
  id: 'uuid',
  organization_id: 'uuid',
  control_id: 'uuid',
  provider_id: 'uuid',
  service_name: 'text',
  uptime_percentage: 'numeric',
  response_time_hours: 'numeric?',
  resolution_time_hours: 'numeric?',
  start_date: 'date',
  end_date: 'date?',
  performance_current: 'numeric?',
  breaches_count: 'int4',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
});
