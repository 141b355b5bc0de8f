// The features the server runs, in registration order. Identity comes first: it provides the
// authenticate preHandler the others use.
import type { Feature } from './app.ts';
import { identityFeature } from './auth/feature.ts';
import { classificationFeature } from './classification/feature.ts';
import { controlsFeature } from './controls/feature.ts';
import { openapiFeature } from './openapi/feature.ts';
import { providersFeature } from './providers/routes.ts';

// OpenAPI goes before identity: @fastify/swagger only sees routes added after it.
export const allFeatures: Feature[] = [
  openapiFeature,
  identityFeature,
  controlsFeature,
  providersFeature,
  classificationFeature,
];
