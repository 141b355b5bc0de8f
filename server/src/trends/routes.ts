// Owns /api/trends/quadrants: everyone in the organisation reads how many of its controls were
// in each quadrant at the end of each day (the dashboard's chart).
import { defineFeature } from '../app.ts';
import { responses } from '../http/responses.ts';
import { readInTenant } from '../http/tenant-context.ts';
import { quadrantTrendQuery, quadrantTrendResponse } from './schema.ts';
import { quadrantCountsOverTime } from './service.ts';

const security = [{ bearerAuth: [] }];

export const trendsFeature = defineFeature(
  { name: 'trends', dependencies: ['identity'] },
  async (app, deps) => {
    app.get(
      '/api/trends/quadrants',
      {
        onRequest: [app.authenticate],
        schema: {
          tags: ['trends'],
          security,
          summary: 'Controls per quadrant at the end of each UTC day, for the last ?days= days (default 90)',
          querystring: quadrantTrendQuery,
          response: responses({ 200: quadrantTrendResponse }),
        },
      },
      async (request) => {
        const now = deps.clock.now();
        return {
          data: await readInTenant(deps.db, request, (tx) =>
            quadrantCountsOverTime(tx, request.query.days, now),
          ),
        };
      },
    );
  },
);
