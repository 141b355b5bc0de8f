// Owns proxy mode (ELECTRIC_URL set): one shape request forwarded to a real Electric service's
// GET /v1/shape with the shape set server-side (table, where, params, columns — from the
// validated ShapeDefinition, never from the client), `secret` added when ELECTRIC_SECRET is
// set, and only the protocol parameters the endpoint passes on. An Electric that cannot be
// reached is a 503 UPSTREAM_UNAVAILABLE with Retry-After, never a 4xx.
import { upstreamUnavailable } from '../http/errors.ts';
import type { HealthCheck } from '../http/health.ts';
import type { Logger } from '../ops/logger.ts';
import type { ShapeDefinition, ShapeUpstream, SubsetDefinition } from './upstream.ts';

export type ProxyOptions = {
  /** Base URL of the Electric service (its /v1/shape is appended). */
  url: string;
  secret: string | undefined;
  log: Logger;
  /** Longest wait for the upstream's response headers (live requests hold ~20 s). */
  headersTimeoutMs?: number;
  fetch?: typeof fetch;
};

export const UNAVAILABLE_MESSAGE =
  'Live sync is temporarily unavailable: the sync service cannot be reached. ' +
  'Your changes are saved; the app will catch up automatically when it is back.';

export function shapeUrl(
  base: string,
  def: ShapeDefinition,
  protocol: URLSearchParams,
  secret?: string,
  subset?: SubsetDefinition,
): URL {
  if (!def.electric) throw new Error('shape definition without Electric parameters');
  const url = new URL(`${base.replace(/\/+$/, '')}/v1/shape`);
  for (const [key, value] of protocol) url.searchParams.append(key, value);
  url.searchParams.set('table', def.electric.table);
  url.searchParams.set('columns', def.electric.columns);
  url.searchParams.set('where', def.electric.where);
  def.electric.params.forEach((value, index) => {
    url.searchParams.set(`params[${index + 1}]`, value);
  });
  if (subset) {
    // Electric's subset parameters: its where numbers its own placeholders from $1.
    const { where, params, orderBy, limit, offset } = subset.electric;
    if (where !== undefined) url.searchParams.set('subset__where', where);
    if (Object.keys(params).length > 0) url.searchParams.set('subset__params', JSON.stringify(params));
    if (orderBy !== undefined) url.searchParams.set('subset__order_by', orderBy);
    if (limit !== undefined) url.searchParams.set('subset__limit', String(limit));
    if (offset !== undefined) url.searchParams.set('subset__offset', String(offset));
  }
  if (secret) url.searchParams.set('secret', secret);
  return url;
}

export function createProxyUpstream(options: ProxyOptions): ShapeUpstream {
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.headersTimeoutMs ?? 60_000;
  return {
    async fetchShape(def, protocol, signal, _requester, subset) {
      const url = shapeUrl(options.url, def, protocol, options.secret, subset);
      const timeout = AbortSignal.timeout(timeoutMs);
      try {
        return await doFetch(url, {
          signal: AbortSignal.any([signal, timeout]),
          headers: { accept: 'application/json, text/event-stream' },
          redirect: 'manual',
        });
      } catch (error) {
        if (signal.aborted) throw error; // the client went away: nobody to answer
        options.log.warn(
          { err: error, upstream: url.origin, timeout: timeout.aborted },
          'sync proxy: Electric upstream unavailable',
        );
        throw upstreamUnavailable(UNAVAILABLE_MESSAGE, 5);
      }
    },
  };
}

/** Proxy mode's health: Electric answers HTTP at all (its /v1/health, any status below 500). */
export function electricHealth(options: Pick<ProxyOptions, 'url' | 'fetch'>): HealthCheck {
  const doFetch = options.fetch ?? fetch;
  const url = `${options.url.replace(/\/+$/, '')}/v1/health`;
  return {
    name: 'electric',
    check: async () => {
      try {
        const response = await doFetch(url, { signal: AbortSignal.timeout(2_000) });
        await response.body?.cancel();
        return { ok: response.status < 500, detail: { mode: 'proxy', status: response.status } };
      } catch (error) {
        return { ok: false, detail: { mode: 'proxy', error: (error as Error).message } };
      }
    },
  };
}
