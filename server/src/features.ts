// The features the server runs, in registration order. Identity comes first: it provides the
// authenticate preHandler the others use.
import type { Feature } from './app.ts';
import { identityFeature } from './auth/feature.ts';

export const allFeatures: Feature[] = [identityFeature];
