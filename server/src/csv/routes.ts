// Owns GET /api/controls/export and the imports: POST /api/controls/import, /api/providers/import
// and /api/provider-links/import. All are static paths, which Fastify matches before the
// parametric /:id routes beside them. The feature is an encapsulated plugin: its text/csv body
// parser applies to these routes only, so no other route accepts CSV.
import { z } from 'zod';
import { defineFeature } from '../app.ts';
import { requireRole } from '../auth/authenticate.ts';
import { responses, sendCsvDownload } from '../http/responses.ts';
import { readInTenant } from '../http/tenant-context.ts';
import { exportControlsCsv } from './export.ts';
import { checkControlsImport } from './import.ts';
import { checkLinksImport } from './import-links.ts';
import { checkProvidersImport } from './import-providers.ts';
import { answerImport, importQuery, importResponses } from './import-route.ts';
import type { Importer } from './importer.ts';

const exportQuery = z.object({ format: z.enum(['csv']).default('csv') }).strict();

const security = [{ bearerAuth: [] }];

export const csvFeature = defineFeature({ name: 'csv', dependencies: ['identity'] }, async (app, deps) => {
  app.addContentTypeParser(['text/csv', 'application/csv'], { parseAs: 'string' }, (_request, body, done) =>
    done(null, body),
  );

  app.get(
    '/api/controls/export',
    {
      onRequest: [app.authenticate],
      schema: {
        tags: ['controls'],
        security,
        summary: 'Export the register as CSV (provider by name, quadrant, last touch, distance, attention)',
        querystring: exportQuery,
      },
    },
    async (request, reply) => {
      const now = deps.clock.now();
      const csv = await readInTenant(deps.db, request, (tx) => exportControlsCsv(tx, now));
      return sendCsvDownload(reply, 'controls', now, csv);
    },
  );

  const importRoute = (url: string, summary: string, importer: Importer) =>
    app.post(
      url,
      {
        onRequest: [app.authenticate, requireRole('admin')],
        schema: {
          tags: ['import'],
          security,
          summary,
          querystring: importQuery,
          response: responses(importResponses),
        },
      },
      (request, reply) => answerImport(deps, importer, request, reply, request.query),
    );
  importRoute(
    '/api/controls/import',
    'Import controls from a text/csv body (admin): all-or-nothing, 400 lists every bad line; ?dry_run=true checks only; ?progress=true streams progress',
    checkControlsImport,
  );
  importRoute(
    '/api/providers/import',
    'Import providers from a text/csv body (admin): all-or-nothing, 400 lists every bad line; ?dry_run=true checks only; ?progress=true streams progress',
    checkProvidersImport,
  );
  importRoute(
    '/api/provider-links/import',
    'Import provider links (by provider name) from a text/csv body (admin): all-or-nothing, 400 lists every bad line; ?dry_run=true checks only; ?progress=true streams progress',
    checkLinksImport,
  );
});
