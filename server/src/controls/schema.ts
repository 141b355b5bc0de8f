// Owns the request and response schemas of the controls routes. Bodies and queries are strict:
// unknown fields (organization_id above all) are refused with 400, never silently dropped.
// Answers name every column they send (http/responses.ts).
import { INTERACTION_TYPES, QUADRANTS } from '@sertantai/core';
import { z } from 'zod';
import { rowOf, txid } from '../http/responses.ts';
import { SYNCABLE_TABLES } from '../sync/shapes.ts';
import { name, pagination, text, uuid } from './fields.ts';

export const CONTROL_TYPES = ['physical', 'procedural', 'technical'] as const;
export const FUNCTIONAL_RANGES = ['narrow', 'wide'] as const;

const controlFields = {
  name: name(200),
  description: text(5000).nullable().optional(),
  control_type: z.enum(CONTROL_TYPES),
  functional_range: z.enum(FUNCTIONAL_RANGES),
  primary_provider_id: uuid.nullable().optional(),
  owned_by_user: uuid.nullable().optional(),
  requires_refresher_training: z.boolean().optional(),
};

export const createControlBody = z
  .object({
    /** Client-made id for optimistic creation; repeating it returns the existing control. */
    id: uuid.optional(),
    ...controlFields,
  })
  .strict();
export type CreateControlInput = z.infer<typeof createControlBody>;

export const updateControlBody = z
  .object({
    name: controlFields.name.optional(),
    description: controlFields.description,
    control_type: controlFields.control_type.optional(),
    functional_range: controlFields.functional_range.optional(),
    primary_provider_id: controlFields.primary_provider_id,
    owned_by_user: controlFields.owned_by_user,
    requires_refresher_training: controlFields.requires_refresher_training,
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, { message: 'give at least one field to change' });
export type UpdateControlInput = z.infer<typeof updateControlBody>;

export const CONTROL_SORTS = [
  'name',
  '-name',
  'created_at',
  '-created_at',
  'updated_at',
  '-updated_at',
  'last_touched_at',
  '-last_touched_at',
  'provider_distance',
  '-provider_distance',
] as const;
export type ControlSort = (typeof CONTROL_SORTS)[number];

export const listControlsQuery = z
  .object({
    ...pagination,
    quadrant: z.enum(QUADRANTS).optional(),
    provider_id: uuid.optional(),
    control_type: z.enum(CONTROL_TYPES).optional(),
    /** Case-insensitive substring of the name. */
    q: text(200).optional(),
    /** true: only controls that need attention; false: only those that do not. */
    attention: z.enum(['true', 'false']).optional(),
    sort: z.enum(CONTROL_SORTS).default('name'),
  })
  .strict();
export type ListControlsQuery = z.infer<typeof listControlsQuery>;

export const interactionBody = z
  .object({
    /** Client-made id: a repeat of the same id returns the recorded interaction, never a second touch. */
    id: uuid.optional(),
    interaction_type: z.enum(INTERACTION_TYPES),
    duration_minutes: z.number().int().min(0).max(100_000).nullable().optional(),
    notes: text(5000).nullable().optional(),
    issues_found: z.boolean().optional(),
    /** When it happened (offline clients send the original time); defaults to now, never in the future. */
    occurred_at: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();
export type InteractionInput = z.infer<typeof interactionBody>;

export const historyQuery = z.object({ limit: pagination.limit, offset: pagination.offset }).strict();
export type HistoryQuery = z.infer<typeof historyQuery>;

export const controlRow = rowOf(SYNCABLE_TABLES.controls!.columns);
export const interactionRow = rowOf(SYNCABLE_TABLES.control_interactions!.columns);
export const classificationRow = rowOf(SYNCABLE_TABLES.quadrant_classifications!.columns);

/** Why a control needs attention (model/attention.ts); empty when it needs none. */
const attentionReason = z.object({ code: z.string(), message: z.string() });

/** A control as the routes answer it: with its attention reasons where the route adds them. */
export const controlAnswer = controlRow.extend({ attention: z.array(attentionReason).optional() });

export const controlListAnswer = z.object({
  data: z.array(controlAnswer),
  /** Pass as ?cursor= for the next page; null on the last page. */
  next_cursor: z.string().nullable(),
});

/** A recorded touch: the interaction and the control as it is after it. */
export const interactionAnswer = z.object({ data: interactionRow, control: controlRow, txid });
