// Owns the HTTP application: Fastify with zod validation, request ids, the error shape, metrics,
// and the registration of every feature. Each feature is a Fastify plugin (defineFeature) that
// receives the shared dependencies as its options and owns its routes, schemas, service and the
// closing of its resources (onClose hooks) in its own folder.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Clock } from './clock.ts';
import type { Config } from './config.ts';
import type { Database } from './db/database.ts';
import { createEventBus, type EventBus } from './events/bus.ts';
import { installErrorHandler } from './http/error-handler.ts';
import { databaseHealth, type HealthCheck, registerOpsRoutes, watchHealthChecks } from './http/health.ts';
import { createSideListeners, type ListenerRole, type SideListener } from './http/listeners.ts';
import { opsAccess } from './http/ops-access.ts';
import { requestIdOf } from './http/request-id.ts';
import { installSecurityHeaders } from './http/security-headers.ts';
import { serializerCompiler } from './http/serializer.ts';
import { installShedding } from './http/shedding.ts';
import type { Logger } from './ops/logger.ts';
import type { Metrics } from './ops/metrics.ts';

export type AppDeps = {
  config: Config;
  db: Database;
  log: Logger;
  metrics: Metrics;
  clock: Clock;
};

/**
 * What every feature receives as its plugin options: the shared dependencies. What a feature
 * provides to others is a decorator (identity's `app.authenticate`), never a field of deps.
 */
export type FeatureDeps = AppDeps & {
  /** This app's domain events (events/domain-events.ts): features publish and subscribe here. */
  events: EventBus;
  /** Components register health checks here (the sync engine does). */
  healthChecks: HealthCheck[];
  /** The side listener serving `role` (INTERNAL_PORT, METRICS_PORT), or undefined: the app's own. */
  listenerFor: (role: ListenerRole) => FastifyInstance | undefined;
};

declare module 'fastify' {
  interface FastifyInstance {
    /** Extra listeners on their own address (http/listeners.ts); boot.ts starts them. */
    sideListeners: SideListener[];
  }
}

/** The Fastify instance every feature receives: zod schemas give typed requests. */
export type App = FastifyInstance<
  Server,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/** A feature: a Fastify plugin whose options are the shared dependencies (see defineFeature). */
export type Feature = FastifyPluginAsync<FeatureDeps, Server, ZodTypeProvider>;

export type FeatureMeta = {
  /** The plugin's name, which other features list in `dependencies`. */
  name: string;
  /** Features that must be registered before this one, e.g. 'identity' for `app.authenticate`. */
  dependencies?: string[];
  /**
   * true: its decorators and hooks apply to the whole app (fastify-plugin's default, for identity's
   * `authenticate` or OpenAPI's route collection). Otherwise the feature is encapsulated: its
   * hooks, parsers and plugins stay inside it.
   */
  decoratesApp?: boolean;
};

/** Makes `register` a named Fastify plugin with declared dependencies. */
export function defineFeature(
  meta: FeatureMeta,
  register: (app: App, deps: FeatureDeps) => Promise<void>,
): Feature {
  return fastifyPlugin(register, {
    name: meta.name,
    dependencies: meta.dependencies,
    fastify: '5.x',
    encapsulate: meta.decoratesApp !== true,
  });
}

export async function buildApp(deps: AppDeps, features: Feature[]): Promise<App> {
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    trustProxy: deps.config.trustProxy,
    bodyLimit: 1_048_576,
    genReqId: requestIdOf,
    routerOptions: { ignoreTrailingSlash: true },
    // Live shapes hold requests (and keep-alive sockets) open for ~20 s; on close, end them all
    // rather than wait: clients reconnect, and a shutdown never hangs on an idle socket.
    forceCloseConnections: true,
    // Features open connections while they register (identity's revocation listener); the pool's
    // own acquire timeout bounds that wait, so no second, plugin-level timeout.
    pluginTimeout: 0,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorateRequest('auth', undefined);

  // Hooks on every request take a callback rather than being async: no promise and no extra
  // microtask per hook and request (bench/api.ts).
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    deps.metrics.httpDuration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
    done();
  });
  installSecurityHeaders(app);
  installErrorHandler(app, deps.metrics);
  deps.metrics.watchPool('app', deps.db.appPool);
  deps.metrics.watchPool('owner', deps.db.ownerPool);
  // First, so its onRequest hook runs before any other work of any route.
  const pressure = await installShedding(
    app,
    {
      eventLoopDelayMs: deps.config.limits.shedEventLoopDelayMs,
      heapUsedBytes: deps.config.limits.shedHeapUsedBytes,
    },
    deps.metrics,
  );
  const side = createSideListeners(deps.config, deps.log, deps.metrics);
  app.decorate('sideListeners', side.all);
  app.addHook('onReady', async () => {
    await Promise.all(side.all.map((listener) => listener.app.ready()));
  });

  app.addHook('onClose', async () => {
    await Promise.all(side.all.map((listener) => listener.app.close()));
  });

  const healthChecks: HealthCheck[] = [databaseHealth(deps.db)];
  const featureDeps: FeatureDeps = {
    ...deps,
    // One bus per app: its features' listeners never hear another app (tests build many).
    events: createEventBus(),
    healthChecks,
    listenerFor: side.forRole,
  };
  for (const feature of features) await app.register(feature, featureDeps);
  watchHealthChecks(deps.metrics, healthChecks);
  registerOpsRoutes(app, deps.metrics, healthChecks, opsAccess(deps.config, 'app'), pressure);
  const metricsListener = side.forRole('metrics');
  if (metricsListener) {
    registerOpsRoutes(
      metricsListener,
      deps.metrics,
      healthChecks,
      opsAccess(deps.config, 'metrics'),
      pressure,
    );
  } else if (deps.config.env === 'production' && deps.config.metricsToken === undefined) {
    deps.log.warn('/metrics and /health details are not served: set METRICS_PORT or METRICS_TOKEN');
  }
  return app;
}
