// Owns the /api/providers and /api/provider-links routes: viewers read, admins manage.
import { z } from 'zod';
import { type App, defineFeature, type FeatureDeps } from '../app.ts';
import { requireRole } from '../auth/authenticate.ts';
import { idParams } from '../controls/fields.ts';
import { dataOf, responses, writtenOf } from '../http/responses.ts';
import { readInTenant, writeInTenant } from '../http/tenant-context.ts';
import {
  createLinkBody,
  createProviderBody,
  linkRow,
  listLinksQuery,
  listProvidersQuery,
  providerControlCount,
  providerRow,
  updateLinkBody,
  updateProviderBody,
} from './schema.ts';
import {
  controlCountsByProvider,
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
  const read = { onRequest: [app.authenticate, requireRole('viewer')] };
  const manage = { onRequest: [app.authenticate, requireRole('admin')] };
  const security = [{ bearerAuth: [] }];
  const providers = { tags: ['providers'], security };
  const links = { tags: ['provider-links'], security };

  app.get(
    '/api/providers',
    {
      ...read,
      schema: {
        ...providers,
        summary: 'List providers',
        querystring: listProvidersQuery,
        response: responses({ 200: dataOf(z.array(providerRow)) }),
      },
    },
    async (request) => ({
      data: await readInTenant(deps.db, request, (tx) => listProviders(tx, request.query)),
    }),
  );
  app.post(
    '/api/providers',
    {
      ...manage,
      schema: {
        ...providers,
        summary: 'Create a provider',
        body: createProviderBody,
        response: responses({ 200: writtenOf(providerRow), 201: writtenOf(providerRow) }),
      },
    },
    async (request, reply) => {
      const result = await writeInTenant(deps.db, request, (tx) => createProvider(tx, request.body));
      reply.code(result.data.replayed ? 200 : 201);
      return { data: result.data.row, txid: result.txid };
    },
  );
  app.get(
    '/api/providers/control-counts',
    {
      ...read,
      schema: {
        ...providers,
        summary: 'How many controls each provider is primary for (providers with none left out)',
        response: responses({ 200: dataOf(z.array(providerControlCount)) }),
      },
    },
    async (request) => ({ data: await readInTenant(deps.db, request, (tx) => controlCountsByProvider(tx)) }),
  );
  app.get(
    '/api/providers/:id',
    {
      ...read,
      schema: {
        ...providers,
        summary: 'One provider',
        params: idParams,
        response: responses({ 200: dataOf(providerRow) }),
      },
    },
    async (request) => ({
      data: await readInTenant(deps.db, request, (tx) => getProvider(tx, request.params.id)),
    }),
  );
  app.patch(
    '/api/providers/:id',
    {
      ...manage,
      schema: {
        ...providers,
        summary: 'Change a provider',
        params: idParams,
        body: updateProviderBody,
        response: responses({ 200: writtenOf(providerRow) }),
      },
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
      schema: {
        ...providers,
        summary: 'Delete a provider (its controls become Remote)',
        params: idParams,
        response: responses({ 200: writtenOf(providerRow) }),
      },
    },
    async (request) =>
      writeInTenant(deps.db, request, (tx) =>
        deleteProvider(tx, request.params.id, deps.clock.now(), deps.events),
      ),
  );

  app.get(
    '/api/provider-links',
    {
      ...read,
      schema: {
        ...links,
        summary: 'List provider network links',
        querystring: listLinksQuery,
        response: responses({ 200: dataOf(z.array(linkRow)) }),
      },
    },
    async (request) => ({ data: await readInTenant(deps.db, request, (tx) => listLinks(tx, request.query)) }),
  );
  app.post(
    '/api/provider-links',
    {
      ...manage,
      schema: {
        ...links,
        summary: 'Link two providers (reclassifies)',
        body: createLinkBody,
        response: responses({ 200: writtenOf(linkRow), 201: writtenOf(linkRow) }),
      },
    },
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
    {
      ...read,
      schema: {
        ...links,
        summary: 'One provider link',
        params: idParams,
        response: responses({ 200: dataOf(linkRow) }),
      },
    },
    async (request) => ({
      data: await readInTenant(deps.db, request, (tx) => getLink(tx, request.params.id)),
    }),
  );
  app.patch(
    '/api/provider-links/:id',
    {
      ...manage,
      schema: {
        ...links,
        summary: 'Change a link (reclassifies)',
        params: idParams,
        body: updateLinkBody,
        response: responses({ 200: writtenOf(linkRow) }),
      },
    },
    async (request) =>
      writeInTenant(deps.db, request, (tx) =>
        updateLink(tx, request.params.id, request.body, deps.clock.now(), deps.events),
      ),
  );
  app.delete(
    '/api/provider-links/:id',
    {
      ...manage,
      schema: {
        ...links,
        summary: 'Remove a link (reclassifies)',
        params: idParams,
        response: responses({ 200: writtenOf(linkRow) }),
      },
    },
    async (request) =>
      writeInTenant(deps.db, request, (tx) =>
        deleteLink(tx, request.params.id, deps.clock.now(), deps.events),
      ),
  );
}
