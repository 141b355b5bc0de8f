// Owns /api/slas: everyone reads (?breached=true for SLAs below their agreed uptime); admins
// record, edit and remove.
import type { Feature } from '../app.ts';
import { requireRole } from '../auth/authenticate.ts';
import { currentTxid, tenantTransaction } from '../db/tenant.ts';
import { tenantOf } from '../http/tenant-context.ts';
import { idParamsSchema, slaCreateSchema, slaListQuery, slaPatchSchema } from './schema.ts';
import { createSla, deleteSla, getSla, listSlas, updateSla } from './service.ts';

const security = [{ bearerAuth: [] }];

export const slasFeature: Feature = (app, deps) => {
  const read = { readOnly: true };
  const admin = [deps.authenticate, requireRole('admin')];

  app.get(
    '/api/slas',
    {
      preHandler: [deps.authenticate],
      schema: {
        tags: ['slas'],
        security,
        summary: 'List SLAs (?breached=true: performance_current below uptime_percentage)',
        querystring: slaListQuery,
      },
    },
    async (request) => ({
      data: await tenantTransaction(
        deps.db.appPool,
        tenantOf(request),
        (tx) => listSlas(tx, request.query),
        read,
      ),
    }),
  );

  app.get(
    '/api/slas/:id',
    {
      preHandler: [deps.authenticate],
      schema: { tags: ['slas'], security, summary: 'Read one SLA', params: idParamsSchema },
    },
    async (request) => ({
      data: await tenantTransaction(
        deps.db.appPool,
        tenantOf(request),
        (tx) => getSla(tx, request.params.id),
        read,
      ),
    }),
  );

  app.post(
    '/api/slas',
    {
      preHandler: admin,
      schema: { tags: ['slas'], security, summary: 'Record an SLA (admin)', body: slaCreateSchema },
    },
    async (request, reply) => {
      const result = await tenantTransaction(deps.db.appPool, tenantOf(request), async (tx) => ({
        data: await createSla(tx, request.body),
        txid: await currentTxid(tx),
      }));
      return reply.code(201).send(result);
    },
  );

  app.patch(
    '/api/slas/:id',
    {
      preHandler: admin,
      schema: {
        tags: ['slas'],
        security,
        summary: 'Edit an SLA (admin)',
        params: idParamsSchema,
        body: slaPatchSchema,
      },
    },
    async (request) =>
      tenantTransaction(deps.db.appPool, tenantOf(request), async (tx) => ({
        data: await updateSla(tx, request.params.id, request.body),
        txid: await currentTxid(tx),
      })),
  );

  app.delete(
    '/api/slas/:id',
    {
      preHandler: admin,
      schema: { tags: ['slas'], security, summary: 'Remove an SLA (admin)', params: idParamsSchema },
    },
    async (request) =>
      tenantTransaction(deps.db.appPool, tenantOf(request), async (tx) => ({
        data: await deleteSla(tx, request.params.id),
        txid: await currentTxid(tx),
      })),
  );
};
