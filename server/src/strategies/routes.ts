// Owns /api/verification-strategies (everyone in the organisation reads, admins edit). The
// attention rules these strategies feed are read by the controls list (strategies/attention.ts).
import { z } from 'zod';
import { defineFeature } from '../app.ts';
import { requireRole } from '../auth/authenticate.ts';
import { dataOf, responses, writtenOf } from '../http/responses.ts';
import { readInTenant, writeInTenant } from '../http/tenant-context.ts';
import { idParamsSchema, strategyPatchSchema, strategyRow } from './schema.ts';
import { getStrategy, listStrategies, updateStrategy } from './service.ts';

const security = [{ bearerAuth: [] }];

export const strategiesFeature = defineFeature(
  { name: 'strategies', dependencies: ['identity'] },
  async (app, deps) => {
    app.get(
      '/api/verification-strategies',
      {
        onRequest: [app.authenticate],
        schema: {
          tags: ['verification-strategies'],
          security,
          summary: "The organisation's verification strategy per quadrant",
          response: responses({ 200: dataOf(z.array(strategyRow)) }),
        },
      },
      async (request) => ({
        data: await readInTenant(deps.db, request, listStrategies),
      }),
    );

    app.get(
      '/api/verification-strategies/:id',
      {
        onRequest: [app.authenticate],
        schema: {
          tags: ['verification-strategies'],
          security,
          summary: 'Read one verification strategy',
          params: idParamsSchema,
          response: responses({ 200: dataOf(strategyRow) }),
        },
      },
      async (request) => ({
        data: await readInTenant(deps.db, request, (tx) => getStrategy(tx, request.params.id)),
      }),
    );

    app.patch(
      '/api/verification-strategies/:id',
      {
        onRequest: [app.authenticate, requireRole('admin')],
        schema: {
          tags: ['verification-strategies'],
          security,
          summary: "Edit a verification strategy (admin); re-scores that quadrant's controls",
          params: idParamsSchema,
          body: strategyPatchSchema,
          response: responses({ 200: writtenOf(strategyRow) }),
        },
      },
      async (request) =>
        writeInTenant(deps.db, request, (tx) =>
          updateStrategy(tx, request.params.id, request.body, deps.clock.now(), deps.events),
        ),
    );
  },
);
