// Request and response schemas of /api/competencies.
import { z } from 'zod';
import { text } from '../controls/fields.ts';
import { rowOf } from '../http/responses.ts';
import { SYNCABLE_TABLES } from '../sync/shapes.ts';

export const COMPETENCY_LEVELS = ['novice', 'competent', 'proficient', 'expert'] as const;

const date = z.iso.date();
const fields = {
  user_id: z.guid(),
  control_id: z.guid(),
  competency_level: z.enum(COMPETENCY_LEVELS),
  last_training_date: date.nullable().optional(),
  next_refresher_due: date.nullable().optional(),
  training_hours: z.number().min(0).max(100_000).nullable().optional(),
  certified_by: text(200).nullable().optional(),
  certification_expires: date.nullable().optional(),
};

export const competencyCreateSchema = z.object(fields).strict();
export type CompetencyCreate = z.infer<typeof competencyCreateSchema>;

export const competencyPatchSchema = z
  .object({
    competency_level: fields.competency_level,
    last_training_date: date.nullable(),
    next_refresher_due: date.nullable(),
    training_hours: z.number().min(0).max(100_000).nullable(),
    certified_by: text(200).nullable(),
    certification_expires: date.nullable(),
  })
  .partial()
  .strict()
  .refine((patch) => Object.keys(patch).length > 0, { message: 'Give at least one field to change.' });
export type CompetencyPatch = z.infer<typeof competencyPatchSchema>;

export const competencyListQuery = z
  .object({
    expiring: z.enum(['true', 'false']).optional(),
    /** With expiring=true: how far ahead to look; default the Specialist notification_days_before. */
    within_days: z.coerce.number().int().min(0).max(3650).optional(),
    control_id: z.guid().optional(),
    user_id: z.guid().optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  })
  .strict();
export type CompetencyListQuery = z.infer<typeof competencyListQuery>;

export const idParamsSchema = z.object({ id: z.guid() }).strict();

export const competencyRow = rowOf(SYNCABLE_TABLES.competency_records!.columns);
