// Owns /api/organization: everyone in the organisation reads its settings; admins and owners
// change its name and the Close/Remote threshold (close_threshold_distance), which reclassifies
// the controls at once. Another organisation is never reachable: the row comes from the token.
import { defineFeature } from '../app.ts';
import { requireRole } from '../auth/authenticate.ts';
import { dataOf, responses } from '../http/responses.ts';
import { readInTenant, writeInTenant } from '../http/tenant-context.ts';
import { organizationPatchAnswer, organizationPatchSchema, organizationRow } from './schema.ts';
import { getOrganization, updateOrganization } from './service.ts';

const security = [{ bearerAuth: [] }];

export const organizationFeature = defineFeature(
  { name: 'organization', dependencies: ['identity'] },
  async (app, deps) => {
    app.get(
      '/api/organization',
      {
        onRequest: [app.authenticate],
        schema: {
          tags: ['organization'],
          security,
          summary: "The caller's organisation: name and both 2x2 thresholds",
          response: responses({ 200: dataOf(organizationRow) }),
        },
      },
      async (request) => ({ data: await readInTenant(deps.db, request, getOrganization) }),
    );

    app.patch(
      '/api/organization',
      {
        onRequest: [app.authenticate, requireRole('admin')],
        schema: {
          tags: ['organization'],
          security,
          summary: 'Rename the organisation or change close_threshold_distance (admin); reclassifies at once',
          body: organizationPatchSchema,
          response: responses({ 200: organizationPatchAnswer }),
        },
      },
      async (request) => {
        const { data, txid } = await writeInTenant(deps.db, request, (tx) =>
          updateOrganization(tx, request.body, deps.clock.now(), deps.events),
        );
        return { data: data.organization, moved: data.moved.length, txid };
      },
    );
  },
);
