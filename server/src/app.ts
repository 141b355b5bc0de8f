// Owns the HTTP application: Fastify with zod validation, request ids, the error shape, metrics,
// and the registration of every feature. Features are plain functions `(app, deps) => void`
// registered below; each owns its routes, schemas and service in its own folder.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type preHandlerAsyncHookHandler,
} from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Clock } from './clock.ts';
import type { Config } from './config.ts';
import type { Database } from './db/database.ts';
import { installErrorHandler } from './http/error-handler.ts';
import { createSideListeners, type ListenerRole, type SideListener } from './http/listeners.ts';
import { requestIdOf } from './http/request-id.ts';
import { installSecurityHeaders } from './http/security-headers.ts';
import { opsAccess } from './ops/access.ts';
import { databaseHealth, type HealthCheck, registerOpsRoutes, watchHealthChecks } from './ops/health.ts';
import type { Logger } from './ops/logger.ts';
import type { Metrics } from './ops/metrics.ts';
import { installShedding } from './ops/shedding.ts';

export type AppDeps = {
  config: Config;
  db: Database;
  log: Logger;
  metrics: Metrics;
  clock: Clock;
};

/** What every feature receives: the shared dependencies plus the authenticate preHandler. */
export type FeatureDeps = AppDeps & {
  authenticate: preHandlerAsyncHookHandler;
  /** Components register health checks here (the sync engine does). */
  healthChecks: HealthCheck[];
  /** Run when the server closes, in reverse order of registration. */
  onClose: (fn: () => Promise<void>) => void;
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

export type Feature = (app: App, deps: FeatureDeps) => void | Promise<void>;

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
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorateRequest('auth', undefined);

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    deps.metrics.httpDuration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
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

  const healthChecks: HealthCheck[] = [databaseHealth(deps.db)];
  const closers: Array<() => Promise<void>> = [];
  app.addHook('onClose', async () => {
    for (const close of closers.reverse()) await close();
    await Promise.all(side.all.map((listener) => listener.app.close()));
  });
  const featureDeps: FeatureDeps = {
    ...deps,
    // Replaced by the identity feature, which must be registered first.
    authenticate: async () => {
      throw new Error('no identity feature registered');
    },
    healthChecks,
    onClose: (fn) => closers.push(fn),
    listenerFor: side.forRole,
  };
  for (const feature of features) await feature(app, featureDeps);
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
