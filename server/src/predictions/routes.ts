// Owns /api/predictions (read: everyone in the organisation) and POST /api/predictions/recompute
// (admin: re-score now), and keeps risk current by listening to the domain events that change
// a risk input, in the transaction that changed it.
import { z } from 'zod';
import { defineFeature } from '../app.ts';
import { requireRole } from '../auth/authenticate.ts';
import { dataOf, responses } from '../http/responses.ts';
import { readInTenant, writeInTenant } from '../http/tenant-context.ts';
import { predictionRow, recomputeAnswer } from './schema.ts';
import {
  listPredictions,
  recomputeAllRisk,
  recomputeQuadrantRisk,
  recomputeRisk,
  recomputeUnlockedRisk,
} from './service.ts';

const listQuery = z
  .object({
    control_id: z.guid().optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();

const recomputeBody = z.object({ control_ids: z.array(z.guid()).min(1).max(10_000).optional() }).strict();

const security = [{ bearerAuth: [] }];

export const predictionsFeature = defineFeature(
  { name: 'predictions', dependencies: ['identity'] },
  async (app, deps) => {
    deps.events.on('controls.reclassified', async (tx, event) => {
      await recomputeRisk(tx, event.controlIds, event.now);
    });
    deps.events.on('traces.changed', async (tx, event) => {
      await recomputeRisk(tx, event.controlIds, event.now);
    });
    // The age term grows daily for every control, moved or not: the sweep re-scores them all.
    deps.events.on('organization.swept', async (tx, event) => {
      await recomputeUnlockedRisk(tx, event.now);
    });
    // A strategy's frequency is a risk input of every control in its quadrant.
    deps.events.on('strategy.changed', async (tx, event) => {
      if (event.after.frequency_days === event.before.frequency_days) return;
      await recomputeQuadrantRisk(tx, event.quadrant, event.now);
    });

    app.get(
      '/api/predictions',
      {
        onRequest: [app.authenticate],
        schema: {
          tags: ['predictions'],
          security,
          summary: "Risk predictions: a control's history (?control_id=) or each control's latest",
          querystring: listQuery,
          response: responses({ 200: dataOf(z.array(predictionRow)) }),
        },
      },
      async (request) => ({
        data: await readInTenant(deps.db, request, (tx) => listPredictions(tx, request.query)),
      }),
    );

    app.post(
      '/api/predictions/recompute',
      {
        onRequest: [app.authenticate, requireRole('admin')],
        schema: {
          tags: ['predictions'],
          security,
          summary: 'Re-score risk now (admin), for some controls or all',
          body: recomputeBody.optional(),
          response: responses({ 200: recomputeAnswer }),
        },
      },
      async (request) =>
        writeInTenant(deps.db, request, async (tx) => {
          const now = deps.clock.now();
          const ids = request.body?.control_ids;
          const scored = ids ? (await recomputeRisk(tx, ids, now)).size : await recomputeAllRisk(tx, now);
          return { recomputed: scored };
        }),
    );
  },
);
