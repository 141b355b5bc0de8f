// The built-in Electric-compatible engine: createShapeEngine(deps) gives feature.ts an in-process
// ShapeUpstream plus the internal protocol route (for proxy mode and tests), start/stop/health.
// The engine starts itself on the first shape request, so app instances that never sync never
// open a replication slot.
import type { FastifyInstance } from 'fastify';
import type { ShapeUpstream } from '../upstream.ts';
import { type EngineDeps, ShapeEngine } from './engine.ts';
import { registerInternalShapeRoute, type WhereCompiler } from './routes.ts';

export { defaultEngineOptions, type EngineOptions } from '../../sync-settings.ts';
export { ShapeEngine } from './engine.ts';
export { engineSecret, INTERNAL_SHAPE_PATH, type WhereCompiler } from './routes.ts';

export type ShapeEngineHandle = ReturnType<typeof createShapeEngine>;

export function createShapeEngine(deps: EngineDeps & { secret?: string; compileWhere?: WhereCompiler }) {
  const engine = new ShapeEngine(deps);
  return {
    engine,
    upstream: engine,
    /**
     * Mounts GET /internal/electric/v1/shape (on `routeApp` when given: the INTERNAL_PORT
     * listener) and stops the engine when `app` closes. `serve` answers the route instead of
     * the engine itself (the cluster's leader-only guard).
     */
    registerRoutes(
      app: FastifyInstance,
      options: {
        secret?: string;
        compileWhere?: WhereCompiler;
        serve?: ShapeUpstream;
        routeApp?: FastifyInstance;
      } = {},
    ) {
      const secret = options.secret ?? deps.secret;
      // Stop before the server waits for in-flight requests: held long-polls end at once.
      app.addHook('preClose', async () => engine.stop());
      if (secret === undefined) return;
      registerInternalShapeRoute(options.routeApp ?? app, options.serve ?? engine, {
        secret,
        compileWhere: options.compileWhere ?? deps.compileWhere,
      });
    },
    start: () => engine.start(),
    stop: () => engine.stop(),
    health: () => engine.health(),
  };
}
