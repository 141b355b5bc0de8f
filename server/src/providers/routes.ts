// Owns the /api/providers and /api/provider-links routes: viewers read, admins manage.
import { type App, defineFeature, type FeatureDeps } from '../app.ts';
import { requireRole } from '../auth/authenticate.ts';
import { idParams } from '../controls/fields.ts';
import { readInTenant, writeInTenant } from '../http/tenant-context.ts';
import {
  createLinkBody,
  createProviderBody,
  listLinksQuery,
  listProvidersQuery,
  updateLinkBody,
  updateProviderBody,
} from './schema.ts';
import {
  createLink,
  createProvider,
  deleteLink,
  deleteProvider,
  getLink,
  getProvider,
  listLinks,
  listProviders,
  updateLink,
  updateProvider,
} from './service.ts';

export const providersFeature = defineFeature(
  { name: 'providers', dependencies: ['identity'] },
  async (app, deps) => registerProviderRoutes(app, deps),
);

function registerProviderRoutes(app: App, deps: FeatureDeps) {
  const read = { preHandler: [app.authenticate, requireRole('viewer')] };
  const manage = { preHandler: [app.authenticate, requireRole('admin')] };
  const security = [{ bearerAuth: [] }];
  const providers = { tags: ['providers'], security };
  const links = { tags: ['provider-links'], security };

  app.get(
    '/api/providers',
    { ...read, schema: { ...providers, summary: 'List providers', querystring: listProvidersQuery } },
    async (request) => ({
      data: await readInTenant(deps.db, request, (tx) => listProviders(tx, request.query)),
    }),
  );
  app.post(
    '/api/providers',
    { ...manage, schema: { ...providers, summary: 'Create a provider', body: createProviderBody } },
    async (request, reply) => {
      const result = await writeInTenant(deps.db, request, (tx) => createProvider(tx, request.body));
      reply.code(result.data.replayed ? 200 : 201);
      return { data: result.data.row, txid: result.txid };
    },
  );
  app.get(
    '/api/providers/:id',
    { ...read, schema: { ...providers, summary: 'One provider', params: idParams } },
    async (request) => ({
      data: await readInTenant(deps.db, request, (tx) => getProvider(tx, request.params.id)),
    }),
  );
  app.patch(
    '/api/providers/:id',
    {
      ...manage,
      schema: { ...providers, summary: 'Change a provider', params: idParams, body: updateProviderBody },
    },
    async (request) =>
      writeInTenant(deps.db, request, (tx) =>
        updateProvider(tx, request.params.id, request.body, deps.clock.now(), deps.events),
      ),
  );
  app.delete(
    '/api/providers/:id',
    {
      ...manage,
      schema: { ...providers, summary: 'Delete a provider (its controls become Remote)', params: idParams },
    },
    async (request) =>
      writeInTenant(deps.db, request, (tx) =>
        deleteProvider(tx, request.params.id, deps.clock.now(), deps.events),
      ),
  );

  app.get(
    '/api/provider-links',
    { ...read, schema: { ...links, summary: 'List provider network links', querystring: listLinksQuery } },
    async (request) => ({ data: await readInTenant(deps.db, request, (tx) => listLinks(tx, request.query)) }),
  );
  app.post(
    '/api/provider-links',
    { ...manage, schema: { ...links, summary: 'Link two providers (reclassifies)', body: createLinkBody } },
    async (request, reply) => {
      const result = await writeInTenant(deps.db, request, (tx) =>
        createLink(tx, request.body, deps.clock.now(), deps.events),
      );
      reply.code(result.data.replayed ? 200 : 201);
      return { data: result.data.row, txid: result.txid };
    },
  );
  app.get(
    '/api/provider-links/:id',
    { ...read, schema: { ...links, summary: 'One provider link', params: idParams } },
    async (request) => ({
      data: await readInTenant(deps.db, request, (tx) => getLink(tx, request.params.id)),
    }),
  );
  app.patch(
    '/api/provider-links/:id',
    {
      ...manage,
      schema: { ...links, summary: 'Change a link (reclassifies)', params: idParams, body: updateLinkBody },
    },
    async (request) =>
      writeInTenant(deps.db, request, (tx) =>
        updateLink(tx, request.params.id, request.body, deps.clock.now(), deps.events),
      ),
  );
  app.delete(
    '/api/provider-links/:id',
    { ...manage, schema: { ...links, summary: 'Remove a link (reclassifies)', params: idParams } },
    async (request) =>
      writeInTenant(deps.db, request, (tx) =>
        deleteLink(tx, request.params.id, deps.clock.now(), deps.events),
      ),
  );
}
