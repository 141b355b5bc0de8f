// Owns /api/traces: everyone reads; members and above record a trace, update its account and
// severity, and resolve or reopen it; admins remove one recorded by mistake.

import { z } from 'zod';
import { defineFeature } from '../app.ts';
import { requireRole } from '../auth/authenticate.ts';
import { authOf } from '../http/request-auth.ts';
import { dataOf, responses, writtenOf } from '../http/responses.ts';
import { readInTenant, writeInTenant } from '../http/tenant-context.ts';
import { idParamsSchema, traceCreateSchema, traceListQuery, tracePatchSchema, traceRow } from './schema.ts';
import { createTrace, deleteTrace, getTrace, listTraces, updateTrace } from './service.ts';

const security = [{ bearerAuth: [] }];

export const tracesFeature = defineFeature(
  { name: 'traces', dependencies: ['identity'] },
  async (app, deps) => {
    app.get(
      '/api/traces',
      {
        onRequest: [app.authenticate],
        schema: {
          tags: ['traces'],
          security,
          summary: 'List organisational traces (filter by trace_type, control_id)',
          querystring: traceListQuery,
          response: responses({ 200: dataOf(z.array(traceRow)) }),
        },
      },
      async (request) => ({
        data: await readInTenant(deps.db, request, (tx) => listTraces(tx, request.query)),
      }),
    );

    app.get(
      '/api/traces/:id',
      {
        onRequest: [app.authenticate],
        schema: {
          tags: ['traces'],
          security,
          summary: 'Read one trace',
          params: idParamsSchema,
          response: responses({ 200: dataOf(traceRow) }),
        },
      },
      async (request) => ({
        data: await readInTenant(deps.db, request, (tx) => getTrace(tx, request.params.id)),
      }),
    );

    app.post(
      '/api/traces',
      {
        onRequest: [app.authenticate, requireRole('member')],
        schema: {
          tags: ['traces'],
          security,
          summary: "Record a trace (member); re-scores the control's risk",
          body: traceCreateSchema,
          response: responses({ 201: writtenOf(traceRow) }),
        },
      },
      async (request, reply) => {
        const result = await writeInTenant(deps.db, request, (tx) =>
          createTrace(tx, request.body, authOf(request).userId, deps.clock.now(), deps.events),
        );
        return reply.code(201).send(result);
      },
    );

    app.patch(
      '/api/traces/:id',
      {
        onRequest: [app.authenticate, requireRole('member')],
        schema: {
          tags: ['traces'],
          security,
          summary:
            'Update a trace (member): description, severity, resolution; resolved true/false resolves or reopens',
          params: idParamsSchema,
          body: tracePatchSchema,
          response: responses({ 200: writtenOf(traceRow) }),
        },
      },
      async (request) =>
        writeInTenant(deps.db, request, (tx) =>
          updateTrace(
            tx,
            request.params.id,
            request.body,
            authOf(request).userId,
            deps.clock.now(),
            deps.events,
          ),
        ),
    );

    app.delete(
      '/api/traces/:id',
      {
        onRequest: [app.authenticate, requireRole('admin')],
        schema: {
          tags: ['traces'],
          security,
          summary: 'Remove a trace recorded by mistake (admin)',
          params: idParamsSchema,
          response: responses({ 200: writtenOf(traceRow) }),
        },
      },
      async (request) =>
        writeInTenant(deps.db, request, (tx) =>
          deleteTrace(tx, request.params.id, deps.clock.now(), deps.events),
        ),
    );
  },
);
