// Request and response schemas of /api/verification-strategies.
import { STRATEGY_METHODS } from '@sertantai/core';
import { z } from 'zod';
import { rowOf } from '../http/responses.ts';

export const strategyPatchSchema = z
  .object({
    method: z.enum(STRATEGY_METHODS),
    frequency_days: z.number().int().min(1).max(3650),
    notification_days_before: z.number().int().min(0).max(365),
    escalation_enabled: z.boolean(),
  })
  .partial()
  .strict()
  .refine((patch) => Object.keys(patch).length > 0, { message: 'Give at least one field to change.' });

export type StrategyPatch = z.infer<typeof strategyPatchSchema>;

export const idParamsSchema = z.object({ id: z.guid() }).strict();

/** verification_strategies is not synced: its columns are named here. */
export const strategyRow = rowOf({
  id: 'uuid',
  organization_id: 'uuid',
  quadrant: 'text',
  method: 'text',
  frequency_days: 'int4',
  notification_days_before: 'int4',
  escalation_enabled: 'bool',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
});
