// Owns the identity feature's wiring: the authenticate hook every other feature uses
// (`app.authenticate`, decorated on the whole app: signature + claims + the session revocation
// check), the revocation listener, the rate limiters, the refresh cookie plugin and the /auth
// routes (+ GET /api/me). Features that authenticate declare `dependencies: ['identity']`.
import fastifyCookie from '@fastify/cookie';
import type { onRequestAsyncHookHandler } from 'fastify';
import { type App, defineFeature, type Feature, type FeatureDeps } from '../app.ts';
import type { Config } from '../config.ts';
import { createAuthenticate } from './authenticate.ts';
import { type LimitStore, PostgresLimitStore } from './limit-store.ts';
import { createAuthMetrics } from './metrics.ts';
import { primeDummyHash } from './passwords.ts';
import { AuthRateLimits, DEFAULT_RATE_LIMITS, type RateLimitSettings } from './rate-limit.ts';
import { RedisLimitStore } from './redis-limit-store.ts';
import { RevocationCache, type RevocationOptions } from './revocation.ts';
import { registerIdentityRoutes } from './routes.ts';
import { IdentityService } from './service.ts';
import { sessionRetentionSeconds, sweepDeadSessions } from './session-sweep.ts';
import type { TokenSettings } from './tokens.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The onRequest hook that verifies the access token and sets `request.auth` (identity feature). */
    authenticate: onRequestAsyncHookHandler;
    /** The shared store of every rate limit (identity feature); the sync endpoint's limits use it too. */
    limitStore: LimitStore;
  }
}

export type IdentityOptions = {
  /** Override rate limits (tests use small numbers). */
  rateLimits?: Partial<RateLimitSettings>;
  revocation?: RevocationOptions;
  /** How often dead sessions are deleted (default hourly; 0 turns the sweep off). */
  sessionSweepMs?: number;
};

export function tokenSettingsOf(config: Config): TokenSettings {
  return {
    secret: config.tokenSecret,
    previousSecret: config.previousTokenSecret,
    issuer: config.tokenIssuer,
    audience: config.tokenAudience,
    accessTokenTtl: config.accessTokenTtl,
  };
}

/** Rate limits in Redis when REDIS_URL is set, else in PostgreSQL (the default). */
function createLimitStore(app: App, deps: FeatureDeps): LimitStore {
  const url = deps.config.redisUrl;
  if (url === undefined) return new PostgresLimitStore(deps.db.appPool, deps.clock);
  const store = new RedisLimitStore(url, deps.clock);
  app.addHook('onClose', () => store.close());
  return store;
}

export function createIdentityFeature(options: IdentityOptions = {}): Feature {
  return defineFeature({ name: 'identity', decoratesApp: true }, async (app, deps) => {
    const tokenSettings = tokenSettingsOf(deps.config);
    const metrics = createAuthMetrics(deps.metrics);
    const revocation = new RevocationCache(deps.db, deps.log, options.revocation);
    await revocation.start();
    app.addHook('onClose', () => revocation.stop());
    const limitStore = createLimitStore(app, deps);
    app.decorate('limitStore', limitStore);
    const limits = new AuthRateLimits(limitStore, {
      ...DEFAULT_RATE_LIMITS,
      ...options.rateLimits,
    });
    const limitSweep = setInterval(() => {
      limits
        .sweep()
        .catch((error: Error) =>
          deps.log.warn(
            { event: 'auth.rate_limit_sweep_failed', err: error.message },
            'rate-limit sweep failed',
          ),
        );
    }, 60_000);
    limitSweep.unref();
    app.addHook('onClose', async () => clearInterval(limitSweep));

    const authenticate = createAuthenticate(tokenSettings, revocation.isRevoked, (request, reason) => {
      metrics.failures.inc({ reason });
      request.log.warn(
        {
          event: 'auth.token_rejected',
          reason,
          ip: request.ip,
          method: request.method,
          route: request.routeOptions.url,
        },
        'access token rejected',
      );
    });
    app.decorate('authenticate', authenticate);

    await app.register(fastifyCookie);
    const service = new IdentityService({
      config: deps.config,
      db: deps.db,
      revocation,
      limits,
      metrics,
      tokenSettings,
    });
    registerIdentityRoutes(app, { config: deps.config, service, authenticate });
    primeDummyHash();

    const sweepMs = options.sessionSweepMs ?? 3_600_000;
    if (sweepMs > 0) {
      const retention = sessionRetentionSeconds(deps.config.accessTokenTtl);
      const timer = setInterval(() => {
        sweepDeadSessions(deps.db, retention).then(
          (deleted) =>
            deleted > 0 && deps.log.info({ event: 'auth.sessions_swept', deleted }, 'dead sessions deleted'),
          (error: Error) =>
            deps.log.warn(
              { event: 'auth.sessions_sweep_failed', err: error.message },
              'session sweep failed',
            ),
        );
      }, sweepMs);
      timer.unref();
      app.addHook('onClose', async () => clearInterval(timer));
    }
  });
}

export const identityFeature: Feature = createIdentityFeature();
