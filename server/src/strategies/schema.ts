// Request schemas of /api/verification-strategies.
import { STRATEGY_METHODS } from '@sertantai/core';
import { z } from 'zod';

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
