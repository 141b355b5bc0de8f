// Owns the Electric protocol at the engine's edge: parsing a request's offset, handle, live,
// SSE, replica and log parameters (the one parser: the public endpoint checks a browser's
// request with it too, sync/endpoint.ts), the live cursor, and the fixed answers (snapshot chunks, 400,
// 409 must-refetch, 503) with their headers. No state: the engine decides which answer to give.
// A 503 carries the API's error shape {error, code, details} plus Electric's `message`, and
// Retry-After: the official client retries 5xx and 429 with backoff, never sooner than that.
import { isPoolAcquireTimeout, isStatementTimeout } from '../../db/overload.ts';
import type { Replica } from './log-types.ts';
import type { ShapeLog } from './shape-log.ts';
import { SnapshotQueueFull } from './snapshot-queue.ts';

export type Protocol = {
  offset: { kind: 'start' } | { kind: 'now' } | { kind: 'at'; lsn: number; op: number };
  handle: string | undefined;
  live: boolean;
  sse: boolean;
  replica: Replica;
  /** `changes_only`: a log without snapshot rows (clients load subsets instead). */
  changesOnly: boolean;
  cursor: string | undefined;
};

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };
export const UP_TO_DATE = '{"headers":{"control":"up-to-date"}}';
const MUST_REFETCH = '[{"headers":{"control":"must-refetch"}}]';
/** Errors are never cached, by browsers or CDNs. */
const NO_STORE = { 'cache-control': 'no-store', 'surrogate-control': 'no-store' };

/**
 * Electric's cache-control values. The first answer of a shape (offset -1) stays a week in a
 * private cache but only an hour in a shared one, so CDNs serve a fairly fresh snapshot while a
 * browser keeps its own; later non-live answers a minute; live long-polls briefly (their
 * `cursor` changes every 20 s, which collapses concurrent clients onto one cached answer).
 */
export const CACHE_INITIAL = 'public, max-age=604800, s-maxage=3600, stale-while-revalidate=2629746';
export const CACHE_NON_LIVE = 'public, max-age=60, stale-while-revalidate=300';
export const CACHE_LIVE = 'public, max-age=5, stale-while-revalidate=5';
/** An SSE answer may be shared for just under its length (request collapsing). */
export const cacheLiveSse = (sseMaxMs: number) =>
  `public, max-age=${Math.max(1, Math.floor(sseMaxMs / 1000) - 1)}`;

let uniqueEtags = 0;

/**
 * Electric's etag: `"<handle>:<requested offset>:<response offset>"`, the same for the same
 * answer, so a client or cache revalidates with If-None-Match and gets 304. A live answer with
 * no changes gets a unique suffix: revalidating it must not skip the wait for new changes.
 */
export function etagOf(handle: string, requested: string, responseOffset: string, noChanges = false): string {
  const unique = noChanges ? `:${process.hrtime.bigint()}${++uniqueEtags}` : '';
  return `"${handle}:${requested}:${responseOffset}${unique}"`;
}

export function parseProtocol(params: URLSearchParams): Protocol | { errors: Record<string, string[]> } {
  const errors: Record<string, string[]> = {};
  const rawOffset = params.get('offset');
  let offset: Protocol['offset'] = { kind: 'start' };
  if (rawOffset === null) errors.offset = ['is required (-1 to start)'];
  else if (rawOffset === '-1') offset = { kind: 'start' };
  else if (rawOffset === 'now') offset = { kind: 'now' };
  else {
    const match = /^(\d{1,20})_(\d{1,20})$/.exec(rawOffset);
    if (!match) errors.offset = ['has invalid format'];
    else offset = { kind: 'at', lsn: Number(match[1]), op: Number(match[2]) };
  }
  const handle = params.get('handle') ?? undefined;
  if (offset.kind === 'at' && !handle) errors.handle = ["can't be blank when offset != -1"];
  const liveRaw = params.get('live');
  if (liveRaw !== null && liveRaw !== 'true' && liveRaw !== 'false') errors.live = ['must be true or false'];
  const live = liveRaw === 'true';
  if (live && offset.kind === 'start') errors.live = ["can't be true when offset == -1"];
  for (const name of ['live_sse', 'experimental_live_sse']) {
    const value = params.get(name);
    if (value !== null && value !== 'true' && value !== 'false') errors[name] = ['must be true or false'];
  }
  const sse = params.get('live_sse') === 'true' || params.get('experimental_live_sse') === 'true';
  const replicaRaw = params.get('replica') ?? 'default';
  if (replicaRaw !== 'default' && replicaRaw !== 'full') errors.replica = ['must be default or full'];
  const log = params.get('log') ?? 'full';
  if (log !== 'full' && log !== 'changes_only') errors.log = ['must be full or changes_only'];
  if (Object.keys(errors).length > 0) return { errors };
  return {
    offset,
    handle,
    live,
    sse,
    replica: replicaRaw as Replica,
    changesOnly: log === 'changes_only',
    cursor: params.get('cursor') ?? undefined,
  };
}

/**
 * The where clause's values, params[1]=…, params[2]=…, keyed by their number ("01" is 1): each
 * number once, and no other spelling of `params`. The one reader of them: the public endpoint
 * and the engine's route both use it.
 */
export function parseWhereParams(
  search: URLSearchParams,
): { params: Record<string, string> } | { error: string } {
  const params: Record<string, string> = {};
  for (const [key, value] of search) {
    if (key !== 'params' && !key.startsWith('params[')) continue;
    const match = /^params\[(\d{1,4})\]$/.exec(key);
    if (!match) return { error: 'parameters are sent as params[1]=…, params[2]=…' };
    const n = String(Number(match[1]));
    if (Object.hasOwn(params, n)) return { error: `params[${n}] is given more than once` };
    params[n] = value;
  }
  return { params };
}

const CURSOR_EPOCH = Date.UTC(2024, 9, 9);

/** Live cache-buster: a 20 s interval number, never equal to the one the client sent. */
export function nextCursor(previous: string | undefined): string {
  const interval = Math.ceil((Date.now() - CURSOR_EPOCH) / 20_000);
  if (previous !== undefined && String(interval) === previous) {
    return String(interval + 1 + Math.floor(Math.random() * 3600));
  }
  return String(interval);
}

export function respond(status: number, body: string, headers: Record<string, string>): Response {
  return new Response(body, { status, headers: { ...JSON_HEADERS, ...headers } });
}

export function badRequest(errors: Record<string, string[]>): Response {
  return respond(400, JSON.stringify({ message: 'Invalid request', errors }), NO_STORE);
}

/**
 * A 409 acts as a redirect to the new handle: Electric lets shared caches keep it a minute (a
 * second without a handle) so a burst of clients of an invalidated shape reach the server once.
 */
export function mustRefetch(handle: string | undefined): Response {
  return respond(409, MUST_REFETCH, {
    'cache-control': `public, max-age=${handle ? 60 : 1}, must-revalidate`,
    ...(handle ? { 'electric-handle': handle } : {}),
  });
}

export function unavailable(
  message: string,
  retryAfterSeconds = 5,
  code: 'UPSTREAM_UNAVAILABLE' | 'OVERLOADED' = 'UPSTREAM_UNAVAILABLE',
  details: Record<string, unknown> = {},
): Response {
  const body = { error: message, code, details: { ...details, retry_after: retryAfterSeconds }, message };
  return respond(503, JSON.stringify(body), { ...NO_STORE, 'retry-after': String(retryAfterSeconds) });
}

/** The snapshot queue is full (or the shape waited too long in it): come back shortly. */
export function snapshotQueueFull(error: SnapshotQueueFull): Response {
  return unavailable(`${error.message} Try again in a few seconds.`, error.retryAfterSeconds, 'OVERLOADED', {
    reason: 'snapshot_queue_full',
    scope: error.scope,
  });
}

/**
 * A snapshot the database refused: bad input (22xxx, 42xxx) is the client's; a snapshot past its
 * statement timeout, or with no connection free, is load (503 OVERLOADED); the rest is transient.
 */
export function snapshotError(error: Error): Response {
  if (error instanceof SnapshotQueueFull) return snapshotQueueFull(error);
  if (isStatementTimeout(error)) {
    return unavailable(
      'The shape took too long to read and was stopped. Try again shortly.',
      5,
      'OVERLOADED',
      {
        reason: 'snapshot_timeout',
      },
    );
  }
  if (isPoolAcquireTimeout(error)) {
    return unavailable('The service is busy right now. Try again shortly.', 2, 'OVERLOADED', {
      reason: 'no_connection',
    });
  }
  const code = (error as { code?: string }).code ?? '';
  if (code.startsWith('22') || code.startsWith('42')) {
    return badRequest({ where: [`the shape could not be read: ${error.message}`] });
  }
  return unavailable('The shape could not be read from the database right now. Try again in a few seconds.');
}

/**
 * The snapshot rows [from, end) (a chunk, see ShapeLog.chunkEndFrom); the chunk holding the last
 * row ends with snapshot-end.
 */
export function snapshotChunk(
  log: ShapeLog,
  from: number,
  end: number,
  schema: string,
  requested: string,
): Response {
  const rows = log.rows.slice(from, end);
  if (log.snapshotRead && end >= log.rows.length) {
    const s = log.snapshot;
    const [xmin = '0', xmax = '0', xip = ''] = (s?.text ?? '0:0:').split(':');
    rows.push(
      JSON.stringify({
        headers: { control: 'snapshot-end', xmin, xmax, xip_list: xip === '' ? [] : xip.split(',') },
      }),
    );
  }
  const offset = `0_${end}`;
  return respond(200, `[${rows.join(',')}]`, {
    'electric-handle': log.handle,
    'electric-offset': offset,
    'electric-schema': schema,
    'cache-control': requested === '-1' ? CACHE_INITIAL : CACHE_NON_LIVE,
    etag: etagOf(log.handle, requested, offset),
  });
}

/** `offset=now`: an up-to-date at the log's head, no rows (never cached). */
export function upToDateNow(log: ShapeLog, schema: string, protocol: Protocol): Response {
  return respond(200, `[${UP_TO_DATE}]`, {
    'electric-handle': log.handle,
    'electric-offset': log.headOffset(),
    'electric-schema': schema,
    'electric-up-to-date': '',
    'cache-control': 'no-store',
    ...(protocol.live ? { 'electric-cursor': nextCursor(protocol.cursor) } : {}),
  });
}

/**
 * The log's changes from entry `start`, at most `chunkBytes` of them, ending with an up-to-date
 * when they reach the head; `requested` is the offset the client asked from.
 */
export function changesChunk(
  log: ShapeLog,
  start: number,
  chunkBytes: number,
  asked: { schema: string; requested: string; protocol: Protocol },
): Response {
  const { schema, requested, protocol } = asked;
  const slice = log.sliceFrom(start, chunkBytes);
  const complete = slice.end >= log.entries.length;
  const parts = complete ? [...slice.parts, UP_TO_DATE] : slice.parts;
  const offset = slice.offset ?? requested;
  const headers: Record<string, string> = {
    'electric-handle': log.handle,
    'electric-offset': offset,
    etag: etagOf(log.handle, requested, offset, protocol.live && slice.parts.length === 0),
  };
  if (complete) headers['electric-up-to-date'] = '';
  if (protocol.live) {
    headers['electric-cursor'] = nextCursor(protocol.cursor);
    headers['cache-control'] = CACHE_LIVE;
  } else {
    headers['electric-schema'] = schema;
    headers['cache-control'] = CACHE_NON_LIVE;
  }
  return respond(200, `[${parts.join(',')}]`, headers);
}
