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
import { type ShapeBudget, type ShapeDefinition, type ShapeUpstream, TooManyShapes } from '../upstream.ts';
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
        const response = await proxyTo(leaderUrl).fetchShape(def, forwarded, signal, undefined, subset);
        const refusal = await budgetRefusal(response);
        if (refusal) throw refusal;
        return response;
      } catch (error) {
        if (error instanceof TooManyShapes) throw error;
        if (!(error instanceof AppError) || signal.aborted) throw error;
        election.recheck(); // the leader may be gone: try the lock now rather than next round
        throw upstreamUnavailable(ELECTING_MESSAGE, HANDOVER_RETRY_SECONDS);
      }
    },
  };
}

const BUDGETS: ReadonlySet<string> = new Set<ShapeBudget>(['user_shapes', 'org_shapes', 'org_bytes']);

/**
 * The leader's 429 TOO_MANY_SHAPES as the TooManyShapes its engine threw, so this process's
 * endpoint counts and logs it (sync_shapes_refused_total) exactly as the leader's own would.
 */
async function budgetRefusal(response: Response): Promise<TooManyShapes | undefined> {
  if (response.status !== 429) return undefined;
  const body = (await response
    .clone()
    .json()
    .catch(() => undefined)) as
    | {
        code?: unknown;
        error?: unknown;
        details?: { limit?: unknown; value?: unknown; retry_after?: unknown };
      }
    | undefined;
  const details = body?.details;
  if (body?.code !== 'TOO_MANY_SHAPES' || typeof details?.limit !== 'string' || !BUDGETS.has(details.limit))
    return undefined;
  await response.body?.cancel().catch(() => {});
  return new TooManyShapes(
    details.limit as ShapeBudget,
    String(body.error),
    Number(details.value),
    Number(details.retry_after) || 30,
  );
}

/** The shape keyed as the internal route keys it when a follower forwards the same request. */
function asForwarded(def: ShapeDefinition): ShapeDefinition {
  if (!def.electric) return def;
  const { table, where, params, columns } = def.electric;
  const names = parseColumns(columns);
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
