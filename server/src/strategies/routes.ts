// Owns /api/verification-strategies (everyone in the organisation reads, admins edit). The
// attention rules these strategies feed are read by the controls list (strategies/attention.ts).
import { defineFeature } from '../app.ts';
import { requireRole } from '../auth/authenticate.ts';
import { readInTenant, writeInTenant } from '../http/tenant-context.ts';
import { idParamsSchema, strategyPatchSchema } from './schema.ts';
import { getStrategy, listStrategies, updateStrategy } from './service.ts';

const security = [{ bearerAuth: [] }];

export const strategiesFeature = defineFeature(
  { name: 'strategies', dependencies: ['identity'] },
  async (app, deps) => {
    app.get(
      '/api/verification-strategies',
      {
        preHandler: [app.authenticate],
        schema: {
          tags: ['verification-strategies'],
          security,
          summary: "The organisation's verification strategy per quadrant",
        },
      },
      async (request) => ({
        data: await readInTenant(deps.db, request, listStrategies),
      }),
    );

    app.get(
      '/api/verification-strategies/:id',
      {
        preHandler: [app.authenticate],
        schema: {
          tags: ['verification-strategies'],
          security,
          summary: 'Read one verification strategy',
          params: idParamsSchema,
        },
      },
      async (request) => ({
        data: await readInTenant(deps.db, request, (tx) => getStrategy(tx, request.params.id)),
      }),
    );

    app.patch(
      '/api/verification-strategies/:id',
      {
        preHandler: [app.authenticate, requireRole('admin')],
        schema: {
          tags: ['verification-strategies'],
          security,
          summary: "Edit a verification strategy (admin); re-scores that quadrant's controls",
          params: idParamsSchema,
          body: strategyPatchSchema,
        },
      },
      async (request) =>
        writeInTenant(deps.db, request, (tx) =>
          updateStrategy(tx, request.params.id, request.body, deps.clock.now(), deps.events),
        ),
    );
  },
);
