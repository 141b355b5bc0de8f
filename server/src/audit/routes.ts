// Owns GET /api/audit: the organisation's audit trail (admin and owner), newest first, filtered
// by entity and acting user, paginated by cursor (`before` = the last id of the previous page).
// Read-only by design: no route writes it; rows come from the audit_row_change() trigger in the
// same transaction as each change, and the runtime role has no UPDATE or DELETE grant on it.
import type { Feature } from '../app.ts';
import { requireRole } from '../auth/authenticate.ts';
import { readInTenant } from '../http/tenant-context.ts';
import { auditQuery } from './schema.ts';
import { listAudit } from './service.ts';

const security = [{ bearerAuth: [] }];

export const auditFeature: Feature = (app, deps) => {
  app.get(
    '/api/audit',
    {
      preHandler: [deps.authenticate, requireRole('admin')],
      schema: {
        tags: ['audit'],
        security,
        summary: 'The audit trail (admin, owner): newest first, filter by entity and actor, cursor `before`',
        querystring: auditQuery,
      },
    },
    async (request) => readInTenant(deps.db, request, (tx) => listAudit(tx, request.query)),
  );
};
