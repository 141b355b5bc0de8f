// Owns the side listeners: the engine's internal route (INTERNAL_PORT/INTERNAL_HOST) and the
// operations routes (METRICS_PORT/METRICS_HOST) can each be served by a second Fastify instance
// on an address of their own, away from the public port. Two roles on the same address share
// one listener. Unset ports keep everything on the app's own listener, as in development.
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import Fastify from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';
import type { Config } from '../config.ts';
import type { Logger } from '../ops/logger.ts';
import type { Metrics } from '../ops/metrics.ts';
import { installErrorHandler } from './error-handler.ts';
import { requestIdOf } from './request-id.ts';
import { installSecurityHeaders } from './security-headers.ts';
import { serializerCompiler } from './serializer.ts';

export type ListenerRole = 'internal' | 'metrics';

export type SideListener = {
  roles: ListenerRole[];
  host: string;
  port: number;
  app: FastifyInstance;
};

export type SideListeners = {
  all: SideListener[];
  /** The instance serving `role`, or undefined when it stays on the app's listener. */
  forRole: (role: ListenerRole) => FastifyInstance | undefined;
};

export function createSideListeners(config: Config, log: Logger, metrics: Metrics): SideListeners {
  const addresses: Record<ListenerRole, { host: string; port: number | undefined }> = {
    internal: { host: config.internalHost, port: config.internalPort },
    metrics: { host: config.metricsHost, port: config.metricsPort },
  };
  const all: SideListener[] = [];
  // Made on first use, so a process without the role's routes (the identity service on its
  // own has no sync engine) never opens its port.
  const forRole = (role: ListenerRole) => {
    const { host, port } = addresses[role];
    if (port === undefined) return undefined;
    const existing = all.find((listener) => listener.roles.includes(role));
    if (existing) return existing.app;
    // Port 0 (tests) asks for any free port: never shared, since each listen picks its own.
    const shared = port === 0 ? undefined : all.find((l) => l.host === host && l.port === port);
    if (shared) {
      shared.roles.push(role);
      return shared.app;
    }
    const listener = { roles: [role], host, port, app: createSideApp(config, log, metrics) };
    all.push(listener);
    return listener.app;
  };
  return { all, forRole };
}

function createSideApp(config: Config, log: Logger, metrics: Metrics): FastifyInstance {
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    trustProxy: config.trustProxy,
    genReqId: requestIdOf,
    forceCloseConnections: true,
  });
  // The same zod compilers as the app: the operations routes it may serve carry zod schemas.
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  installSecurityHeaders(app);
  installErrorHandler(app, metrics);
  return app;
}
