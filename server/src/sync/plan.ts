// Owns GET /api/sync/plan: how the web app should sync the caller's register. An organisation
// with at least SYNC_ON_DEMAND_CONTROLS controls gets `on_demand` (a changes-only log plus
// subset snapshots of the rows a screen shows), so its first screen never waits for the whole
// register; smaller ones load it whole (`eager`), which makes every screen instant afterwards.
import { z } from 'zod';
import { defineFeature } from '../app.ts';
import { tenantRead } from '../db/tenant.ts';
import { authOf } from '../http/request-auth.ts';
import { responses } from '../http/responses.ts';
import { tenantOf } from '../http/tenant-context.ts';

export const SYNC_PLAN_PATH = '/api/sync/plan';

const syncPlanResponse = z.object({
  data: z.object({
    controls: z.enum(['eager', 'on_demand']),
    /** The setting: from how many controls the register syncs on demand. */
    on_demand_from: z.number().int().positive(),
  }),
});

export const syncPlanFeature = defineFeature(
  { name: 'sync-plan', dependencies: ['identity'] },
  async (app, deps) => {
    const threshold = deps.config.syncOnDemandControls;
    app.get(
      SYNC_PLAN_PATH,
      {
        onRequest: [app.authenticate],
        schema: {
          tags: ['sync'],
          security: [{ bearerAuth: [] }],
          summary: 'How the web app syncs the register: whole (eager) or on demand (large registers)',
          response: responses({ 200: syncPlanResponse }),
        },
      },
      async (request) => {
        const orgId = authOf(request).orgId;
        // Counting stops at the threshold: the answer costs the same for 10,000 or 1,000,000
        // rows. One statement in one round trip (tenantRead): it is on the sign-in's path.
        const rows = await tenantRead<{ n: number }>(
          deps.db.appPool,
          tenantOf(request),
          `SELECT count(*)::int AS n FROM (SELECT 1 FROM controls WHERE organization_id = $1 LIMIT $2) s`,
          [orgId, threshold],
        );
        const many = (rows[0]?.n ?? 0) >= threshold;
        return { data: { controls: many ? 'on_demand' : 'eager', on_demand_from: threshold } } as const;
      },
    );
  },
);
