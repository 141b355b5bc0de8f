// Owns /api/webhooks (admins and owners): list, add (the secret is in that one response only),
// remove, and the delivery log. URLs pass the SSRF guard (reminders/address-policy.ts).
import type { App, FeatureDeps } from '../app.ts';
import { requireRole } from '../auth/authenticate.ts';
import { authOf } from '../http/request-auth.ts';
import { noContent, responses } from '../http/responses.ts';
import { inTenant, readInTenant } from '../http/tenant-context.ts';
import {
  deliveriesQuery,
  deliveryListResponse,
  idParams,
  webhookCreatedResponse,
  webhookCreateSchema,
  webhookListResponse,
} from './schema.ts';
import { checkedWebhookUrl, createWebhook, deleteWebhook, listDeliveries, listWebhooks } from './webhooks.ts';

const security = [{ bearerAuth: [] }];
const tags = ['webhooks'];

export function registerWebhookRoutes(app: App, deps: FeatureDeps): void {
  const admin = [app.authenticate, requireRole('admin')];

  app.get(
    '/api/webhooks',
    {
      onRequest: admin,
      schema: {
        tags,
        security,
        summary: "The organisation's webhooks (admin); secrets are never shown again",
        response: responses({ 200: webhookListResponse }),
      },
    },
    async (request) => ({ data: await readInTenant(deps.db, request, listWebhooks) }),
  );

  app.post(
    '/api/webhooks',
    {
      onRequest: admin,
      schema: {
        tags,
        security,
        summary:
          'Add a webhook (admin): http(s) URL to a public address; the signing secret is returned once',
        body: webhookCreateSchema,
        response: responses({ 201: webhookCreatedResponse }),
      },
    },
    async (request, reply) => {
      const url = await checkedWebhookUrl(
        request.body.url,
        deps.config.reminders.webhookAllowPrivateAddresses,
      );
      const { webhook, secret } = await inTenant(deps.db, request, (tx) =>
        createWebhook(tx, { ...request.body, url }, authOf(request).userId),
      );
      return reply.code(201).send({ data: webhook, secret });
    },
  );

  app.delete(
    '/api/webhooks/:id',
    {
      onRequest: admin,
      schema: {
        tags,
        security,
        summary: 'Remove a webhook and its delivery log (admin)',
        params: idParams,
        response: responses({ 204: noContent }),
      },
    },
    async (request, reply) => {
      await inTenant(deps.db, request, (tx) => deleteWebhook(tx, request.params.id));
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/webhooks/deliveries',
    {
      onRequest: admin,
      schema: {
        tags,
        security,
        summary:
          'The delivery log (admin), newest first: status, attempts, last answer or error, next attempt',
        querystring: deliveriesQuery,
        response: responses({ 200: deliveryListResponse }),
      },
    },
    async (request) => ({
      data: await readInTenant(deps.db, request, (tx) => listDeliveries(tx, request.query)),
    }),
  );
}
