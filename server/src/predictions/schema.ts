// Response schemas of /api/predictions (its request schemas sit beside its routes).
import { z } from 'zod';
import { rowOf } from '../http/responses.ts';

/** A risk prediction as listed (predictions/service.ts PREDICTION_COLUMNS; `explanation` without its key). */
export const predictionRow = rowOf({
  id: 'uuid',
  organization_id: 'uuid',
  control_id: 'uuid',
  days_since_touched: 'numeric?',
  provider_distance: 'numeric?',
  quadrant: 'text',
  functional_range: 'text',
  incident_count: 'int4',
  trace_count: 'int4',
  issues_found_count: 'int4',
  failure_probability: 'numeric',
  predicted_failure_date: 'date?',
  confidence_score: 'numeric',
  model_version: 'text',
  explanation: 'jsonb',
  predicted_at: 'timestamptz',
});

/** How many controls were re-scored, and the transaction id. */
export const recomputeAnswer = z.object({
  data: z.object({ recomputed: z.number().int() }),
  txid: z.number().int(),
});
