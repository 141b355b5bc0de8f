// Owns GET /api/controls/export and POST /api/controls/import. Both are static paths, which
// Fastify matches before the parametric /api/controls/:id. The text/csv body parser is
// registered inside this plugin only, so no other route accepts CSV.
import { z } from 'zod';
import type { App, Feature } from '../app.ts';
import { requireRole } from '../auth/authenticate.ts';
import { currentTxid } from '../db/tenant.ts';
import { AppError } from '../http/errors.ts';
import { inTenant, readInTenant } from '../http/tenant-context.ts';
import { exportControlsCsv } from './export.ts';
import { importControls } from './import.ts';

const exportQuery = z.object({ format: z.enum(['csv']).default('csv') }).strict();
/** dry_run=true checks the whole file and writes nothing. */
const importQuery = z.object({ dry_run: z.enum(['true', 'false']).default('false') }).strict();

const security = [{ bearerAuth: [] }];

export const csvFeature: Feature = async (app, deps) => {
  await app.register(async (scope: App) => {
    scope.addContentTypeParser(
      ['text/csv', 'application/csv'],
      { parseAs: 'string' },
      (_request, body, done) => done(null, body),
    );

    scope.get(
      '/api/controls/export',
      {
        preHandler: [deps.authenticate],
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
        return reply
          .header('content-type', 'text/csv; charset=utf-8')
          .header(
            'content-disposition',
            `attachment; filename="controls-${now.toISOString().slice(0, 10)}.csv"`,
          )
          .header('cache-control', 'no-store')
          .send(csv);
      },
    );

    scope.post(
      '/api/controls/import',
      {
        preHandler: [deps.authenticate, requireRole('admin')],
        schema: {
          tags: ['controls'],
          security,
          summary:
            'Import controls from a text/csv body (admin): all-or-nothing, 400 lists every bad line; ?dry_run=true checks only',
          querystring: importQuery,
        },
      },
      async (request, reply) => {
        if (typeof request.body !== 'string') {
          throw new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the file as text/csv.');
        }
        const body = request.body;
        if (request.query.dry_run === 'true') {
          const count = await readInTenant(deps.db, request, (tx) =>
            importControls(tx, body, deps.clock.now(), true),
          );
          return reply.code(200).send({ dry_run: true, would_import: count });
        }
        const result = await inTenant(deps.db, request, async (tx) => ({
          imported: await importControls(tx, body, deps.clock.now()),
          txid: await currentTxid(tx),
        }));
        return reply.code(201).send(result);
      },
    );
  });
};
