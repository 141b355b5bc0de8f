// Owns the OpenAPI 3 document, generated from the same zod schemas that validate requests
// (@fastify/swagger + jsonSchemaTransform), served as JSON at /api/docs/json and as a readable
// page at /api/docs. Registered before every other feature, and on the whole app (not
// encapsulated): @fastify/swagger collects routes through an onRoute hook, which sees only the
// routes added after it, in its own context and the contexts registered after it.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { defineFeature } from '../app.ts';

export const openapiFeature = defineFeature({ name: 'openapi', decoratesApp: true }, async (app) => {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Sertantai Controls API',
        description:
          'Multi-tenant risk control register on the 2x2 model. Rows use the database column names; ' +
          'errors are {error, code, details}; writes return {data, txid}. See docs/api.md.',
        version: '0.1.0',
      },
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs', uiConfig: { docExpansion: 'list' } });
});
