// Owns the sync feature's wiring: the where parser loaded once, the upstream chosen by
// configuration — the built-in engine (ELECTRIC_URL unset) or a proxy to a real Electric —
// and GET /api/electric/sync in front of it. In built-in mode the engine also serves its
// internal protocol route (/internal/electric/v1/shape, guarded by a secret), so a second
// instance can proxy to it exactly as to a real Electric.
import type { Feature } from '../app.ts';
import { registerSyncEndpoint, type SyncMode } from './endpoint.ts';
import { createShapeEngine, engineSecret } from './engine/index.ts';
import { createProxyUpstream, electricHealth } from './proxy.ts';
import type { ShapeUpstream } from './upstream.ts';
import { loadWhereParser } from './where/index.ts';

export const syncFeature: Feature = async (app, deps) => {
  await loadWhereParser();
  let upstream: ShapeUpstream;
  let mode: SyncMode;
  if (deps.config.electricUrl) {
    mode = 'proxy';
    upstream = createProxyUpstream({
      url: deps.config.electricUrl,
      secret: deps.config.electricSecret,
      log: deps.log,
    });
    deps.healthChecks.push(electricHealth({ url: deps.config.electricUrl }));
  } else {
    mode = 'builtin';
    const engine = createShapeEngine({
      db: deps.db,
      log: deps.log,
      metrics: deps.metrics,
      healthChecks: deps.healthChecks,
      secret: engineSecret(deps.config),
    });
    engine.registerRoutes(app);
    upstream = engine.upstream;
  }
  registerSyncEndpoint(app, deps, { upstream, mode });
};
