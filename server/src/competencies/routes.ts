// Owns /api/competencies: everyone reads (?expiring=true for refreshers falling due); admins
// record, edit and remove.
import type { Feature } from '../app.ts';
import { requireRole } from '../auth/authenticate.ts';
import { currentTxid, tenantTransaction } from '../db/tenant.ts';
import { tenantOf } from '../http/tenant-context.ts';
import {
  competencyCreateSchema,
  competencyListQuery,
  competencyPatchSchema,
  idParamsSchema,
} from './schema.ts';
import {
  createCompetency,
  deleteCompetency,
  getCompetency,
  listCompetencies,
  updateCompetency,
} from './service.ts';

const security = [{ bearerAuth: [] }];

export const competenciesFeature: Feature = (app, deps) => {
  const read = { readOnly: true };
  const admin = [deps.authenticate, requireRole('admin')];

  app.get(
    '/api/competencies',
    {
      preHandler: [deps.authenticate],
      schema: {
        tags: ['competencies'],
        security,
        summary: 'List competency records (?expiring=true: refresher or certificate falling due)',
        querystring: competencyListQuery,
      },
    },
    async (request) => ({
      data: await tenantTransaction(
        deps.db.appPool,
        tenantOf(request),
        (tx) => listCompetencies(tx, request.query, deps.clock.now()),
        read,
      ),
    }),
  );

  app.get(
    '/api/competencies/:id',
    {
      preHandler: [deps.authenticate],
      schema: {
        tags: ['competencies'],
        security,
        summary: 'Read one competency record',
        params: idParamsSchema,
      },
    },
    async (request) => ({
      data: await tenantTransaction(
        deps.db.appPool,
        tenantOf(request),
        (tx) => getCompetency(tx, request.params.id),
        read,
      ),
    }),
  );

  app.post(
    '/api/competencies',
    {
      preHandler: admin,
      schema: {
        tags: ['competencies'],
        security,
        summary: 'Record a competency (admin)',
        body: competencyCreateSchema,
      },
    },
    async (request, reply) => {
      const result = await tenantTransaction(deps.db.appPool, tenantOf(request), async (tx) => ({
        data: await createCompetency(tx, request.body),
        txid: await currentTxid(tx),
      }));
      return reply.code(201).send(result);
    },
  );

  app.patch(
    '/api/competencies/:id',
    {
      preHandler: admin,
      schema: {
        tags: ['competencies'],
        security,
        summary: 'Edit a competency record (admin)',
        params: idParamsSchema,
        body: competencyPatchSchema,
      },
    },
    async (request) =>
      tenantTransaction(deps.db.appPool, tenantOf(request), async (tx) => ({
        data: await updateCompetency(tx, request.params.id, request.body),
        txid: await currentTxid(tx),
      })),
  );

  app.delete(
    '/api/competencies/:id',
    {
      preHandler: admin,
      schema: {
        tags: ['competencies'],
        security,
        summary: 'Remove a competency record (admin)',
        params: idParamsSchema,
      },
    },
    async (request) =>
      tenantTransaction(deps.db.appPool, tenantOf(request), async (tx) => ({
        data: await deleteCompetency(tx, request.params.id),
        txid: await currentTxid(tx),
      })),
  );
};
