// Owns /api/slas: everyone reads (?breached=true for SLAs below their agreed uptime); admins
// record, edit and remove.

import { z } from 'zod';
import { defineFeature } from '../app.ts';
import { requireRole } from '../auth/authenticate.ts';
import { dataOf, responses, writtenOf } from '../http/responses.ts';
import { readInTenant, writeInTenant } from '../http/tenant-context.ts';
import { idParamsSchema, slaCreateSchema, slaListQuery, slaPatchSchema, slaRow } from './schema.ts';
import { createSla, deleteSla, getSla, listSlas, updateSla } from './service.ts';

const security = [{ bearerAuth: [] }];

export const slasFeature = defineFeature({ name: 'slas', dependencies: ['identity'] }, async (app, deps) => {
  const admin = [app.authenticate, requireRole('admin')];

  app.get(
    '/api/slas',
    {
      onRequest: [app.authenticate],
      schema: {
        tags: ['slas'],
        security,
        summary: 'List SLAs (?breached=true: performance_current below uptime_percentage)',
        querystring: slaListQuery,
        response: responses({ 200: dataOf(z.array(slaRow)) }),
      },
    },
    async (request) => ({
      data: await readInTenant(deps.db, request, (tx) => listSlas(tx, request.query)),
    }),
  );

  app.get(
    '/api/slas/:id',
    {
      onRequest: [app.authenticate],
      schema: {
        tags: ['slas'],
        security,
        summary: 'Read one SLA',
        params: idParamsSchema,
        response: responses({ 200: dataOf(slaRow) }),
      },
    },
    async (request) => ({
      data: await readInTenant(deps.db, request, (tx) => getSla(tx, request.params.id)),
    }),
  );

  app.post(
    '/api/slas',
    {
      onRequest: admin,
      schema: {
        tags: ['slas'],
        security,
        summary: 'Record an SLA (admin)',
        body: slaCreateSchema,
        response: responses({ 201: writtenOf(slaRow) }),
      },
    },
    async (request, reply) => {
      const result = await writeInTenant(deps.db, request, (tx) => createSla(tx, request.body));
      return reply.code(201).send(result);
    },
  );

  app.patch(
    '/api/slas/:id',
    {
      onRequest: admin,
      schema: {
        tags: ['slas'],
        security,
        summary: 'Edit an SLA (admin)',
        params: idParamsSchema,
        body: slaPatchSchema,
        response: responses({ 200: writtenOf(slaRow) }),
      },
    },
    async (request) =>
      writeInTenant(deps.db, request, (tx) => updateSla(tx, request.params.id, request.body)),
  );

  app.delete(
    '/api/slas/:id',
    {
      onRequest: admin,
      schema: {
        tags: ['slas'],
        security,
        summary: 'Remove an SLA (admin)',
        params: idParamsSchema,
        response: responses({ 200: writtenOf(slaRow) }),
      },
    },
    async (request) => writeInTenant(deps.db, request, (tx) => deleteSla(tx, request.params.id)),
  );
});
