// Owns the sync feature's wiring: the where parser loaded once, the upstream chosen by
// configuration — the built-in engine (ELECTRIC_URL unset) or a proxy to a real Electric —
// and GET /api/electric/sync in front of it. In built-in mode the processes sharing a database
// elect one engine (engine/election.ts): the leader serves shapes from its own engine and on
// its internal protocol route (/internal/electric/v1/shape, guarded by a secret); the others
// forward their shape requests there (engine/cluster.ts).
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { defineFeature } from '../app.ts';
import { registerSyncEndpoint, type SyncMode } from './endpoint.ts';
import { createClusterUpstream, leaderOnly } from './engine/cluster.ts';
import { EngineElection } from './engine/election.ts';
import { createShapeEngine, engineSecret } from './engine/index.ts';
import { createProxyUpstream, electricHealth } from './proxy.ts';
import { SyncRequestLimits } from './request-limits.ts';
import { tenantScope } from './tenant-scope.ts';
import type { ShapeUpstream } from './upstream.ts';
import { loadWhereParser } from './where/index.ts';

export const syncFeature = defineFeature({ name: 'sync', dependencies: ['identity'] }, async (app, deps) => {
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
    const secret = engineSecret(deps.config);
    const { engine, registerRoutes } = createShapeEngine({
      db: deps.db,
      log: deps.log,
      metrics: deps.metrics,
      healthChecks: deps.healthChecks,
      secret,
      // The tenant gate: synced tables, snapshots in the organisation's transaction, routed by it.
      scope: tenantScope(deps.db),
      // Logs in PostgreSQL: the next leader (this process restarted, or another) resumes them.
      ...(deps.config.syncPersistLogs ? { persist: { group: deps.config.syncEngineGroup } } : {}),
      options: {
        ...deps.config.syncShapeBudgets,
        snapshotTimeoutMs: deps.config.limits.snapshotTimeoutMs,
        snapshotConnections: deps.config.limits.snapshotConnections,
        snapshotQueuePerOrg: deps.config.limits.snapshotQueuePerOrg,
        snapshotQueueMax: deps.config.limits.snapshotQueueMax,
        snapshotMsPerOrgPerMinute: deps.config.limits.snapshotMsPerOrgPerMinute,
      },
    });
    const election = new EngineElection({
      ownerUrl: deps.db.ownerUrl,
      group: deps.config.syncEngineGroup,
      log: deps.log,
      registry: deps.metrics.registry,
      // Another process leads (or may): this one's logs are no longer the handles clients hold.
      onRoleChange: (role) => {
        if (role !== 'leader') void engine.standDown();
      },
    });
    deps.healthChecks.push({ name: 'sync_leader', check: async () => election.health() });
    app.addHook('onReady', async () => {
      void election.start();
    });
    // The internal route listens on INTERNAL_PORT when set (a listener of its own), else here.
    const internalApp = deps.listenerFor('internal');
    const routeApp: FastifyInstance = internalApp ?? app;
    routeApp.addHook('onListen', async () => {
      const url = deps.config.internalUrl ?? listenUrl(routeApp);
      if (url) election.setOwnUrl(url);
    });
    // preClose hooks run in order: registerRoutes' engine.stop() first (held long-polls end
    // with a 503 the client retries, and with persisted logs everything queued is written),
    // then the lock is released — so the next leader restores every log under the handles the
    // clients hold. Released first, the stand-down dropped the writes still queued and clients
    // of a log saved in the last moments refetched.
    registerRoutes(app, { serve: leaderOnly({ engine, election }), routeApp: internalApp });
    app.addHook('preClose', async () => election.stop());
    upstream = createClusterUpstream({ engine, election, secret, log: deps.log });
  }
  registerSyncEndpoint(app, deps, {
    upstream,
    mode,
    whereLimits: deps.config.syncWhereLimits,
    requestLimits: new SyncRequestLimits(app.limitStore, deps.clock, deps.config.syncRequestLimits),
  });
});

/** http://host:port this process listens on; a wildcard address becomes the machine's name. */
function listenUrl(app: FastifyInstance): string | undefined {
  const address = app.server.address();
  if (!address || typeof address === 'string') return undefined;
  const wildcard = address.address === '0.0.0.0' || address.address === '::';
  const host = wildcard ? hostname() : address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}
