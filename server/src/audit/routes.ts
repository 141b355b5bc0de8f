// Owns GET /api/audit and GET /api/audit/export: the organisation's audit trail (admin and
// owner), newest first, filtered by entity, acting user, action and time; the page is paginated
// by cursor (`before` = the last id of the previous page), the export is CSV.
// Read-only by design: no route writes it; rows come from the audit_row_change() trigger in the
// same transaction as each change, and the runtime role has no UPDATE or DELETE grant on it.
import { defineFeature } from '../app.ts';
import { requireRole } from '../auth/authenticate.ts';
import { responses, sendCsvDownload } from '../http/responses.ts';
import { readInTenant } from '../http/tenant-context.ts';
import { auditExportQuery, auditPage, auditQuery } from './schema.ts';
import { AUDIT_EXPORT_LIMIT, exportAuditCsv, listAudit } from './service.ts';

const security = [{ bearerAuth: [] }];

export const auditFeature = defineFeature(
  { name: 'audit', dependencies: ['identity'] },
  async (app, deps) => {
    app.get(
      '/api/audit',
      {
        onRequest: [app.authenticate, requireRole('admin')],
        schema: {
          tags: ['audit'],
          security,
          summary:
            'The audit trail (admin, owner): newest first, filter by entity, actor, action and time (from, to), cursor `before`',
          querystring: auditQuery,
          response: responses({ 200: auditPage }),
        },
      },
      async (request) => readInTenant(deps.db, request, (tx) => listAudit(tx, request.query)),
    );

    app.get(
      '/api/audit/export',
      {
        onRequest: [app.authenticate, requireRole('admin')],
        schema: {
          tags: ['audit'],
          security,
          summary: `The filtered audit trail as CSV (admin, owner), newest first, at most ${AUDIT_EXPORT_LIMIT} rows`,
          querystring: auditExportQuery,
        },
      },
      async (request, reply) => {
        const csv = await readInTenant(deps.db, request, (tx) => exportAuditCsv(tx, request.query));
        return sendCsvDownload(reply, 'audit', deps.clock.now(), csv);
      },
    );
  },
);
