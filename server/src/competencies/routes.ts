// Owns /api/competencies: everyone reads (?expiring=true for refreshers falling due); admins
// record, edit and remove.

import { z } from 'zod';
import { defineFeature } from '../app.ts';
import { requireRole } from '../auth/authenticate.ts';
import { dataOf, responses, writtenOf } from '../http/responses.ts';
import { readInTenant, writeInTenant } from '../http/tenant-context.ts';
import {
  competencyCreateSchema,
  competencyListQuery,
  competencyPatchSchema,
  competencyRow,
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

export const competenciesFeature = defineFeature(
  { name: 'competencies', dependencies: ['identity'] },
  async (app, deps) => {
    const admin = [app.authenticate, requireRole('admin')];

    app.get(
      '/api/competencies',
      {
        onRequest: [app.authenticate],
        schema: {
          tags: ['competencies'],
          security,
          summary: 'List competency records (?expiring=true: refresher or certificate falling due)',
          querystring: competencyListQuery,
          response: responses({ 200: dataOf(z.array(competencyRow)) }),
        },
      },
      async (request) => ({
        data: await readInTenant(deps.db, request, (tx) =>
          listCompetencies(tx, request.query, deps.clock.now()),
        ),
      }),
    );

    app.get(
      '/api/competencies/:id',
      {
        onRequest: [app.authenticate],
        schema: {
          tags: ['competencies'],
          security,
          summary: 'Read one competency record',
          params: idParamsSchema,
          response: responses({ 200: dataOf(competencyRow) }),
        },
      },
      async (request) => ({
        data: await readInTenant(deps.db, request, (tx) => getCompetency(tx, request.params.id)),
      }),
    );

    app.post(
      '/api/competencies',
      {
        onRequest: admin,
        schema: {
          tags: ['competencies'],
          security,
          summary: 'Record a competency (admin)',
          body: competencyCreateSchema,
          response: responses({ 201: writtenOf(competencyRow) }),
        },
      },
      async (request, reply) => {
        const result = await writeInTenant(deps.db, request, (tx) => createCompetency(tx, request.body));
        return reply.code(201).send(result);
      },
    );

    app.patch(
      '/api/competencies/:id',
      {
        onRequest: admin,
        schema: {
          tags: ['competencies'],
          security,
          summary: 'Edit a competency record (admin)',
          params: idParamsSchema,
          body: competencyPatchSchema,
          response: responses({ 200: writtenOf(competencyRow) }),
        },
      },
      async (request) =>
        writeInTenant(deps.db, request, (tx) => updateCompetency(tx, request.params.id, request.body)),
    );

    app.delete(
      '/api/competencies/:id',
      {
        onRequest: admin,
        schema: {
          tags: ['competencies'],
          security,
          summary: 'Remove a competency record (admin)',
          params: idParamsSchema,
          response: responses({ 200: writtenOf(competencyRow) }),
        },
      },
      async (request) => writeInTenant(deps.db, request, (tx) => deleteCompetency(tx, request.params.id)),
    );
  },
);
