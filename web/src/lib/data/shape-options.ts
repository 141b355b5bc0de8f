// Owns the wiring of one table's Electric shape stream: URL and params, the per-request
// Authorization header (a function, read before every request), the 401 → refresh → resume
// path, and the value parsers. Kept apart from the collection so it is unit-tested alone.
import { FetchError, type ShapeStreamOptions } from '@electric-sql/client';
import type { SyncedTable } from '@sertantai/core';
import type { ShapeCache } from './cache';

export type ShapeWiring = {
  /** Absolute URL of the sync endpoint. */
  url: string;
  /** Returns `Bearer <token>`; called before every request of every stream. */
  authorization: () => Promise<string>;
  /** Called on a 401: 'retry' once the session has a new token, 'stop' when it has ended. */
  unauthorized: () => Promise<'retry' | 'stop'>;
  /** Storage for the offline copy, and the key prefix (the signed-in user). */
  cache?: ShapeCache;
  cacheKey?: string;
  fetchClient?: typeof fetch;
  /** Reports each stream's state for the online/offline/syncing indicator. */
  onActivity?: (table: SyncedTable, state: 'request' | 'response' | 'error') => void;
};

/** PostgreSQL text timestamps ("2026-01-02 03:04:05.6+00") to ISO strings. */
export function toIso(value: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)(?:([+-]\d{2})(?::?(\d{2}))?|Z)?$/.exec(
    value,
  );
  if (!match) return value;
  const [, date, time, hours, minutes] = match;
  const zone = hours === undefined ? 'Z' : `${hours}:${minutes ?? '00'}`;
  const parsed = new Date(`${date}T${time}${zone}`);
  return Number.isNaN(parsed.getTime()) ? value : parsed.toISOString();
}

const parser = {
  numeric: (value: string) => Number(value),
  timestamptz: (value: string) => toIso(value),
  timestamp: (value: string) => toIso(value),
};

/**
 * The ShapeStream options for one table: URL, params, per-request header, 401 handling.
 * `columns` narrows the shape to those columns (the primary key among them); all when absent.
 */
export function shapeOptions(
  table: SyncedTable,
  wiring: ShapeWiring,
  columns?: readonly string[],
): ShapeStreamOptions {
  const activityFetch: typeof fetch = async (input, init) => {
    wiring.onActivity?.(table, 'request');
    try {
      const response = await (wiring.fetchClient ?? fetch)(input, init);
      wiring.onActivity?.(table, response.status >= 500 ? 'error' : 'response');
      return response;
    } catch (error) {
      // A stream stopped on purpose (screen closed, sign-out) is not a connection problem.
      const aborted = init?.signal?.aborted || (error instanceof Error && error.name === 'AbortError');
      if (!aborted) wiring.onActivity?.(table, 'error');
      throw error;
    }
  };
  return {
    url: wiring.url,
    params: columns ? { table, columns: [...columns] } : { table },
    headers: { Authorization: () => wiring.authorization() },
    parser,
    fetchClient: activityFetch,
    onError: async (error: Error) => {
      if (error instanceof FetchError && error.status === 401) {
        return (await wiring.unauthorized()) === 'retry' ? {} : undefined;
      }
      if (error instanceof FetchError && error.status === 403) return undefined;
      // Anything else the client did not retry by itself: try again (with backoff).
      return {};
    },
  };
}
