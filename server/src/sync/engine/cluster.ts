// Owns "many processes, one engine": the ShapeUpstream that sends each shape request to the
// elected engine — this process's own when it leads, else the leader's internal protocol route
// through the proxy (sync/proxy.ts), so a handle is the leader's whichever process answered —
// and the guard that lets the internal route serve only while this process leads (a request
// never hops twice). While no leader is known, or the leader cannot be reached, the answer is a
// 503 with a short Retry-After that the official client waits out; then it meets the new
// leader's handles and refetches once (409).
import { AppError, upstreamUnavailable } from '../../http/errors.ts';
import type { Logger } from '../../ops/logger.ts';
import { createProxyUpstream } from '../proxy.ts';
import type { ShapeDefinition, ShapeUpstream } from '../upstream.ts';
import type { EngineElection } from './election.ts';
import type { ShapeEngine } from './engine.ts';
import { unavailable } from './protocol.ts';
import { internalShapeKey, parseColumns } from './routes.ts';

export const ELECTING_MESSAGE =
  'Live sync is handing over to another server. Your changes are saved; it resumes in a moment.';
/** Seconds a client waits before retrying during a hand-over. */
const HANDOVER_RETRY_SECONDS = 1;

export type ClusterDeps = {
  engine: ShapeEngine;
  election: EngineElection;
  /** Secret of the internal protocol route, the same on every process. */
  secret: string;
  log: Logger;
};

/** Shape requests from this process's endpoint: to its own engine or to the leader's. */
export function createClusterUpstream(deps: ClusterDeps): ShapeUpstream {
  const proxies = new Map<string, ShapeUpstream>();
  const proxyTo = (leaderUrl: string) => {
    let proxy = proxies.get(leaderUrl);
    if (!proxy) {
      proxy = createProxyUpstream({
        url: `${leaderUrl.replace(/\/+$/, '')}/internal/electric`,
        secret: deps.secret,
        log: deps.log,
      });
      proxies.clear(); // only the current leader's is worth keeping
      proxies.set(leaderUrl, proxy);
    }
    return proxy;
  };
  return {
    async fetchShape(def, protocol, signal, requester, subset) {
      await deps.election.firstRound;
      const { election } = deps;
      if (election.role === 'leader')
        return deps.engine.fetchShape(asForwarded(def), protocol, signal, requester, subset);
      const leaderUrl = election.role === 'follower' ? election.leaderUrl : undefined;
      if (!leaderUrl) throw upstreamUnavailable(ELECTING_MESSAGE, HANDOVER_RETRY_SECONDS);
      try {
        const forwarded = new URLSearchParams(protocol);
        if (requester) forwarded.set('requester', requester.userId);
        return await proxyTo(leaderUrl).fetchShape(def, forwarded, signal, undefined, subset);
      } catch (error) {
        if (!(error instanceof AppError) || signal.aborted) throw error;
        election.recheck(); // the leader may be gone: try the lock now rather than next round
        throw upstreamUnavailable(ELECTING_MESSAGE, HANDOVER_RETRY_SECONDS);
      }
    },
  };
}

/** The shape keyed as the internal route keys it when a follower forwards the same request. */
function asForwarded(def: ShapeDefinition): ShapeDefinition {
  if (!def.electric) return def;
  const { table, where, params, columns } = def.electric;
  const names = parseColumns(columns) ?? def.columns;
  return { ...def, key: internalShapeKey(table, where, params, names, def.orgId) };
}

/** What the internal protocol route serves: the engine while this process leads, else 503. */
export function leaderOnly(deps: Pick<ClusterDeps, 'engine' | 'election'>): ShapeUpstream {
  return {
    async fetchShape(def, protocol, signal, requester, subset) {
      await deps.election.firstRound;
      if (deps.election.role !== 'leader') return unavailable(ELECTING_MESSAGE, HANDOVER_RETRY_SECONDS);
      return deps.engine.fetchShape(def, protocol, signal, requester, subset);
    },
  };
}
