// Request and response schemas of /api/traces.
import { z } from 'zod';
import { text } from '../controls/fields.ts';
import { rowOf } from '../http/responses.ts';
import { SYNCABLE_TABLES } from '../sync/shapes.ts';

export const TRACE_TYPES = [
  'maintenance_request',
  'incident_report',
  'time_off_request',
  'training_record',
  'inspection_log',
  'work_order',
] as const;
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;

export const traceCreateSchema = z
  .object({
    control_id: z.guid().nullable().optional(),
    trace_type: z.enum(TRACE_TYPES),
    description: text(5000).nullable().optional(),
    severity: z.enum(SEVERITIES).optional(),
    recorded_at: z.iso.datetime({ offset: true }).optional(),
    related_incident_id: z.guid().nullable().optional(),
  })
  .strict();
export type TraceCreate = z.infer<typeof traceCreateSchema>;

/** What a member may change after recording: the account, the severity, and the resolution. */
export const tracePatchSchema = z
  .object({
    description: text(5000).nullable(),
    severity: z.enum(SEVERITIES),
    /** true resolves it now (by the caller); false reopens it. */
    resolved: z.boolean(),
    resolution: text(5000).nullable(),
  })
  .partial()
  .strict()
  .refine((patch) => Object.keys(patch).length > 0, { message: 'Give at least one field to change.' });
export type TracePatch = z.infer<typeof tracePatchSchema>;

export const traceListQuery = z
  .object({
    trace_type: z.enum(TRACE_TYPES).optional(),
    control_id: z.guid().optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  })
  .strict();
export type TraceListQuery = z.infer<typeof traceListQuery>;

export const idParamsSchema = z.object({ id: z.guid() }).strict();

export const traceRow = rowOf(SYNCABLE_TABLES.organizational_traces!.columns);
