// Owns /api/verification-strategies (everyone in the organisation reads, admins edit) and plugs
// the attention rules into the controls list (GET /api/controls?attention=true, `attention`).
import { defineFeature } from '../app.ts';
import { requireRole } from '../auth/authenticate.ts';
import { setControlAttention } from '../controls/attention-hook.ts';
import { readInTenant, writeInTenant } from '../http/tenant-context.ts';
import { attentionForIds } from './attention.ts';
import { idParamsSchema, strategyPatchSchema } from './schema.ts';
import { getStrategy, listStrategies, updateStrategy } from './service.ts';

const security = [{ bearerAuth: [] }];

export const strategiesFeature = defineFeature(
  { name: 'strategies', dependencies: ['identity'] },
  async (app, deps) => {
    setControlAttention({
      async controlIdsNeedingAttention(tx, now) {
        const reasons = await attentionForIds(tx, undefined, now);
        return [...reasons].filter(([, list]) => list.length > 0).map(([id]) => id);
      },
      reasonsFor: (tx, controlIds, now) => attentionForIds(tx, controlIds, now),
    });

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
          updateStrategy(tx, request.params.id, request.body, deps.clock.now()),
        ),
    );
  },
);
