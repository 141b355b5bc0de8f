// The features the server runs, in registration order. Identity comes first: it provides the
// authenticate hook the others use.
import type { Feature } from './app.ts';
import { auditFeature } from './audit/routes.ts';
import { identityFeature } from './auth/feature.ts';
import { classificationFeature } from './classification/feature.ts';
import { competenciesFeature } from './competencies/routes.ts';
import { controlsFeature } from './controls/feature.ts';
import { csvFeature } from './csv/routes.ts';
import { openapiFeature } from './openapi/feature.ts';
import { organizationFeature } from './organization/routes.ts';
import { predictionsFeature } from './predictions/routes.ts';
import { providersFeature } from './providers/routes.ts';
import { remindersFeature } from './reminders/feature.ts';
import { slasFeature } from './slas/routes.ts';
import { strategiesFeature } from './strategies/routes.ts';
import { syncFeature } from './sync/feature.ts';
import { syncPlanFeature } from './sync/plan.ts';
import { tracesFeature } from './traces/routes.ts';
import { trendsFeature } from './trends/routes.ts';
import { webFeature } from './web/feature.ts';

// OpenAPI goes before identity: @fastify/swagger only sees routes added after it.
export const allFeatures: Feature[] = [
  openapiFeature,
  identityFeature,
  csvFeature, // its static /api/controls/export and /import sit beside the controls routes
  controlsFeature,
  providersFeature,
  classificationFeature,
  strategiesFeature,
  organizationFeature,
  tracesFeature,
  competenciesFeature,
  slasFeature,
  predictionsFeature,
  trendsFeature,
  remindersFeature,
  auditFeature,
  syncFeature,
  syncPlanFeature,
  webFeature, // last: the built web app at / and its SPA fallback
];
