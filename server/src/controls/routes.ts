// Owns the /api/controls routes. Each handler is: authenticate → role → zod-validated input →
// one service call inside the tenant transaction → {data} (writes add txid).
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { App, FeatureDeps } from '../app.ts';
import { requireRole } from '../auth/authenticate.ts';
import { currentTxid } from '../db/tenant.ts';
import { authOf } from '../http/request-auth.ts';
import { dataOf, responses, writtenOf } from '../http/responses.ts';
import { inTenant, readInTenant, tenantOf, writeInTenant } from '../http/tenant-context.ts';
import { idParams } from './fields.ts';
import { readControlListJson } from './list-json.ts';
import {
  classificationRow,
  controlAnswer,
  controlListAnswer,
  controlRow,
  createControlBody,
  historyQuery,
  interactionAnswer,
  interactionBody,
  interactionRow,
  listControlsQuery,
  updateControlBody,
} from './schema.ts';
import {
  createControl,
  deleteControl,
  listClassifications,
  listInteractions,
  readControl,
  touchControl,
  updateControl,
} from './service.ts';

export function registerControlRoutes(app: App, deps: FeatureDeps) {
  const read = { onRequest: [app.authenticate, requireRole('viewer')] };
  const touch = { onRequest: [app.authenticate, requireRole('member')] };
  const manage = { onRequest: [app.authenticate, requireRole('admin')] };
  const tags = ['controls'];
  const security = [{ bearerAuth: [] }];

  app.get(
    '/api/controls',
    {
      ...read,
      schema: {
        tags,
        security,
        summary: 'List controls (filters, sort, cursor or offset pagination)',
        querystring: listControlsQuery,
        response: responses({ 200: controlListAnswer }),
      },
    },
    async (request, reply) => {
      const answer = await readControlListJson(
        deps.db.appPool,
        tenantOf(request),
        request.query,
        deps.clock.now(),
      );
      // Text PostgreSQL wrote (list-json.ts): sent as it is, past the serializer.
      // (The untyped reply: the typed one takes only the schema's object.)
      if ('text' in answer)
        return (reply as FastifyReply).type('application/json; charset=utf-8').send(answer.text);
      return { data: answer.page.rows, next_cursor: answer.page.nextCursor };
    },
  );

  app.post(
    '/api/controls',
    {
      ...manage,
      schema: {
        tags,
        security,
        summary: 'Create a control (optional client-made id)',
        body: createControlBody,
        // 201 created; 200 when the client-made id was already recorded (the same answer).
        response: responses({ 200: writtenOf(controlRow), 201: writtenOf(controlRow) }),
      },
    },
    async (request, reply) => {
      const result = await inTenant(deps.db, request, async (tx) => {
        const written = await createControl(tx, request.body, deps.clock.now(), deps.events);
        return { written, txid: written.replayTxid ?? (await currentTxid(tx)) };
      });
      reply.code(result.written.replayed ? 200 : 201);
      return { data: result.written.row, txid: result.txid };
    },
  );

  app.get(
    '/api/controls/:id',
    {
      ...read,
      schema: {
        tags,
        security,
        summary: 'One control',
        params: idParams,
        response: responses({ 200: dataOf(controlAnswer) }),
      },
    },
    async (request) => {
      return {
        data: await readControl(deps.db.appPool, tenantOf(request), request.params.id, deps.clock.now()),
      };
    },
  );

  app.patch(
    '/api/controls/:id',
    {
      ...manage,
      schema: {
        tags,
        security,
        summary: 'Change a control (a new provider reclassifies it)',
        params: idParams,
        body: updateControlBody,
        response: responses({ 200: writtenOf(controlRow) }),
      },
    },
    async (request) =>
      writeInTenant(deps.db, request, (tx) =>
        updateControl(tx, request.params.id, request.body, deps.clock.now(), deps.events),
      ),
  );

  app.delete(
    '/api/controls/:id',
    {
      ...manage,
      schema: {
        tags,
        security,
        summary: 'Delete a control and its history',
        params: idParams,
        response: responses({ 200: writtenOf(controlRow) }),
      },
    },
    async (request) => writeInTenant(deps.db, request, (tx) => deleteControl(tx, request.params.id)),
  );

  app.post(
    '/api/controls/:id/interactions',
    {
      ...touch,
      schema: {
        tags,
        security,
        summary: 'Record an interaction (touch); reclassifies the control. Idempotent by client id.',
        params: idParams,
        body: interactionBody,
        response: responses({ 200: interactionAnswer, 201: interactionAnswer }),
      },
    },
    async (request, reply) => {
      const { userId } = authOf(request);
      const result = await inTenant(deps.db, request, async (tx) => {
        const written = await touchControl(
          tx,
          request.params.id,
          userId,
          request.body,
          deps.clock.now(),
          deps.events,
        );
        return { written, txid: written.replayTxid ?? (await currentTxid(tx)) };
      });
      reply.code(result.written.replayed ? 200 : 201);
      return { data: result.written.row.interaction, control: result.written.row.control, txid: result.txid };
    },
  );

  app.get(
    '/api/controls/:id/interactions',
    {
      ...read,
      schema: {
        tags,
        security,
        summary: 'Interactions of a control, newest first',
        params: idParams,
        querystring: historyQuery,
        response: responses({ 200: dataOf(z.array(interactionRow)) }),
      },
    },
    async (request) => ({
      data: await readInTenant(deps.db, request, (tx) =>
        listInteractions(tx, request.params.id, request.query),
      ),
    }),
  );

  app.get(
    '/api/controls/:id/classifications',
    {
      ...read,
      schema: {
        tags,
        security,
        summary: 'Quadrant history of a control, newest first',
        params: idParams,
        querystring: historyQuery,
        response: responses({ 200: dataOf(z.array(classificationRow)) }),
      },
    },
    async (request) => ({
      data: await readInTenant(deps.db, request, (tx) =>
        listClassifications(tx, request.params.id, request.query),
      ),
    }),
  );
}
