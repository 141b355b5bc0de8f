// Owns the identity feature's wiring: the authenticate preHandler every other feature uses,
// and (as the identity service grows) the /auth routes.
import type { Feature } from '../app.ts';
import { createAuthenticate } from './authenticate.ts';

export const identityFeature: Feature = (_app, deps) => {
  const settings = {
    secret: deps.config.tokenSecret,
    issuer: deps.config.tokenIssuer,
    audience: deps.config.tokenAudience,
    accessTokenTtl: deps.config.accessTokenTtl,
  };
  // TODO(identity): session revocation check and /auth routes.
  deps.authenticate = createAuthenticate(settings, async () => false);
};
