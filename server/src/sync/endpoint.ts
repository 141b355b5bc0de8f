// Owns GET /api/electric/sync, the one endpoint browsers sync through (Electric HTTP Shape
// protocol), in both modes. It authenticates like the API, builds the shape server-side from
// the allow-lists (sync/shapes.ts) with the organisation filter from the verified token,
// passes on only protocol parameters, and streams the upstream's answer back: the built-in
// engine in-process, or a real Electric (sync/proxy.ts). Unknown parameters are ignored.
//
// Errors: 401/403 use the API's shape {error, code, details}. A 400 carries that shape plus
// Electric's own fields, {"message": "Invalid request", "errors": {field: [...]}}, so both our
// clients and Electric tooling read it (the official client only looks at the status for 4xx
// and hands the error to onError). Every error is `cache-control: no-store`.
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { App, FeatureDeps } from '../app.ts';
import { AppError, forbidden, upstreamUnavailable } from '../http/errors.ts';
import { authOf } from '../http/request-auth.ts';
import { parseProtocol, parseWhereParams } from './engine/protocol.ts';
import { notModified, privateCacheControl } from './http-cache.ts';
import { createSyncMetrics } from './metrics.ts';
import { type SyncRateLimit, SyncRateLimited, type SyncRequestLimits } from './request-limits.ts';
import { buildShape, type ShapeRequest, ShapeRequestError, TableNotSyncable } from './shapes.ts';
import { buildSubset, readSubsetBody, readSubsetQuery, SubsetError } from './subset.ts';
import { type ShapeBudget, type ShapeUpstream, type SubsetDefinition, TooManyShapes } from './upstream.ts';
import { WhereError, type WhereLimit, type WhereLimits } from './where/index.ts';

export const SYNC_PATH = '/api/electric/sync';
export type SyncMode = 'builtin' | 'proxy';

/** Headers the browser must be allowed to read, or the client throws MissingHeadersError. */
const ELECTRIC_HEADERS = [
  'electric-handle',
  'electric-offset',
  'electric-schema',
  'electric-cursor',
  'electric-up-to-date',
  'electric-snapshot',
];
const VARY = 'Authorization, Cookie';
/** Upstream headers passed back besides electric-*. */
const PASSED_HEADERS = new Set(['content-type', 'cache-control', 'etag', 'retry-after', 'last-modified']);
const SHAPE_PARAMS = new Set(['table', 'columns', 'where']);
/** A subset's where, params and order fit easily; the where itself is capped at 4,096 characters. */
const SUBSET_BODY_LIMIT = 64 * 1024;
/**
 * Protocol parameters forwarded to the upstream. What offset, handle, live, SSE, replica and log
 * mean is read by the engine's parser (parseProtocol), here as in the engine; this list adds
 * only what no upstream needs checked: opaque tokens keep a short, plain form, so nothing
 * unbounded is forwarded.
 */
const PROTOCOL_PARAMS: Record<string, (value: string) => boolean> = {
  offset: () => true,
  handle: (v) => /^[\w.:-]{1,200}$/.test(v),
  live: () => true,
  live_sse: () => true,
  experimental_live_sse: () => true,
  cursor: (v) => /^[\w.:-]{0,200}$/.test(v),
  replica: () => true,
  log: () => true,
  expired_handle: (v) => /^[\w.:-]{1,200}$/.test(v),
  'cache-buster': (v) => v.length <= 200,
};

type RefusalReason =
  | 'table_not_syncable'
  | 'bad_where'
  | 'bad_params'
  | 'bad_columns'
  | 'bad_protocol'
  | 'bad_subset'
  | WhereLimit
  | ShapeBudget
  | SyncRateLimit;

export type SyncEndpointOptions = {
  upstream: ShapeUpstream;
  mode: SyncMode;
  whereLimits?: WhereLimits;
  /** Request rate limits, checked before anything is parsed; none when undefined. */
  requestLimits?: SyncRequestLimits;
};

class ShapeRefused extends Error {
  constructor(
    readonly reason: RefusalReason,
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** Splits the query into the shape request, the protocol parameters to forward, and refusals. */
export function readSyncQuery(search: URLSearchParams): { shape: ShapeRequest; protocol: URLSearchParams } {
  const single = (name: string): string | undefined => {
    const values = search.getAll(name);
    if (values.length > 1) throw new ShapeRefused('bad_protocol', name, `${name} is given more than once`);
    return values[0];
  };
  const protocol = new URLSearchParams();
  const seen = new Set<string>();
  for (const [key, value] of search) {
    if (
      seen.has(key) &&
      (SHAPE_PARAMS.has(key) || Object.hasOwn(PROTOCOL_PARAMS, key) || key.startsWith('params'))
    ) {
      throw new ShapeRefused('bad_protocol', key, `${key} is given more than once`);
    }
    seen.add(key);
    if (key === 'params' || key.startsWith('params[')) continue; // read by parseWhereParams below
    if (key.startsWith('subset__')) continue; // read by readSubsetQuery (subset.ts)
    const valid = Object.hasOwn(PROTOCOL_PARAMS, key) ? PROTOCOL_PARAMS[key] : undefined;
    if (!valid) continue; // table/columns/where are read below; anything unknown is ignored
    if (!valid(value)) throw new ShapeRefused('bad_protocol', key, `${key} has an invalid value`);
    protocol.set(key, value);
  }
  const where = parseWhereParams(search);
  if ('error' in where) throw new ShapeRefused('bad_params', 'params', where.error);
  const parsed = parseProtocol(protocol);
  if ('errors' in parsed) {
    const [field, messages] = Object.entries(parsed.errors)[0]!;
    throw new ShapeRefused('bad_protocol', field, `${field} ${messages[0]}`);
  }
  // Stricter than Electric: a live request follows an answer, and offset=now is a start too.
  if (parsed.live && parsed.offset.kind === 'now') {
    throw new ShapeRefused('bad_protocol', 'live', 'live needs an offset from a previous response');
  }
  return {
    shape: {
      table: single('table'),
      columns: single('columns'),
      where: single('where'),
      params: where.params,
    },
    protocol,
  };
}

function invalidRequest(reply: FastifyReply, field: string, message: string) {
  const errors = { [field]: [message] };
  return reply.code(400).header('cache-control', 'no-store').send({
    error: message,
    code: 'VALIDATION_ERROR',
    details: { errors },
    message: 'Invalid request',
    errors,
  });
}

function exposeHeaders(reply: FastifyReply, extra: Iterable<string> = []) {
  const names = new Set([...ELECTRIC_HEADERS, ...extra, 'retry-after', 'x-request-id']);
  reply.header('access-control-expose-headers', [...names].join(', '));
  reply.header('vary', VARY);
}

export function registerSyncEndpoint(app: App, deps: FeatureDeps, options: SyncEndpointOptions) {
  const metrics = createSyncMetrics(deps.metrics.registry);
  const { upstream, mode, whereLimits, requestLimits } = options;

  const serve = (subsetFrom: 'query' | 'body') => (request: FastifyRequest, reply: FastifyReply) =>
    answer(request, reply, subsetFrom);
  const hooks = {
    onRequest: app.authenticate,
    // Every answer, errors included (401 from authenticate), is per-user and readable by the client.
    onSend: async (_request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
      if (!reply.hasHeader('access-control-expose-headers')) exposeHeaders(reply);
      if (reply.statusCode >= 400) reply.header('cache-control', 'no-store');
      return payload;
    },
    onResponse: async (request: FastifyRequest, reply: FastifyReply) => {
      const live = new URL(request.url, 'http://local').searchParams.get('live') === 'true';
      metrics.duration.observe(
        { mode, live: String(live), status: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
    },
  };

  async function answer(request: FastifyRequest, reply: FastifyReply, subsetFrom: 'query' | 'body') {
    const auth = authOf(request);
    const search = new URL(request.url, 'http://local').searchParams;
    try {
      await requestLimits?.take(auth, search.get('offset') === '-1');
    } catch (error) {
      if (!(error instanceof SyncRateLimited)) throw error;
      metrics.refused.inc({ reason: error.limit });
      request.log.info(
        { sync: { reason: error.limit }, userId: auth.userId, orgId: auth.orgId },
        `sync: request refused: ${error.message}`,
      );
      throw error;
    }

    let built: ReturnType<typeof buildShape>;
    let protocol: URLSearchParams;
    let subset: SubsetDefinition | undefined;
    try {
      const query = readSyncQuery(search);
      protocol = query.protocol;
      built = buildShape(query.shape, auth.orgId, whereLimits);
      const asked = subsetFrom === 'body' ? readSubsetBody(request.body) : readSubsetQuery(search);
      // The subset's placeholders follow the shape's own ($1 is the organisation).
      if (asked) subset = buildSubset(built.spec, asked, built.filter.params.length, whereLimits);
    } catch (error) {
      const refusal = toRefusal(error);
      if (!refusal) throw error;
      metrics.refused.inc({ reason: refusal.reason });
      request.log.info(
        {
          sync: {
            reason: refusal.reason,
            field: refusal.field,
            table: search.get('table')?.slice(0, 100),
            where: search.get('where')?.slice(0, 500),
          },
          userId: auth.userId,
          orgId: auth.orgId,
        },
        `sync: shape refused: ${refusal.message}`,
      );
      if (refusal.reason === 'table_not_syncable') {
        throw forbidden(refusal.message, { table: search.get('table')?.slice(0, 100) ?? null });
      }
      return invalidRequest(reply, refusal.field, refusal.message);
    }

    const controller = new AbortController();
    const abort = () => controller.abort();
    reply.raw.once('close', abort);

    let response: Response;
    try {
      response = await upstream.fetchShape(
        built,
        protocol,
        controller.signal,
        { userId: auth.userId },
        subset,
      );
    } catch (error) {
      reply.raw.off('close', abort);
      if (controller.signal.aborted) return reply.code(499).send();
      if (error instanceof TooManyShapes) {
        metrics.refused.inc({ reason: error.budget });
        request.log.info(
          { sync: { reason: error.budget, table: built.table }, userId: auth.userId, orgId: auth.orgId },
          `sync: shape refused: ${error.message}`,
        );
        throw error;
      }
      metrics.upstreamErrors.inc({ mode });
      if (error instanceof AppError) throw error;
      request.log.error({ err: error, sync: { table: built.table, mode } }, 'sync: upstream failed');
      throw upstreamUnavailable(
        'Live sync hit a problem on our side and will retry shortly. Your changes are saved.',
        5,
      );
    }

    if (response.status === 401 || response.status === 403) {
      // The upstream refused us, not the browser (a wrong ELECTRIC_SECRET): never let the
      // client take it for its own token being refused.
      reply.raw.off('close', abort);
      await response.body?.cancel().catch(() => {});
      metrics.upstreamErrors.inc({ mode });
      request.log.error(
        { sync: { table: built.table, mode, status: response.status } },
        'sync: upstream refused the shape request (check ELECTRIC_SECRET)',
      );
      throw upstreamUnavailable(
        'Live sync is misconfigured on our side; we are on it. Your changes are saved.',
        30,
        502,
      );
    }

    response = notModified(response, request.headers['if-none-match']) ?? response;
    const electricNames: string[] = [];
    response.headers.forEach((value, name) => {
      const lower = name.toLowerCase();
      if (lower.startsWith('electric-')) {
        electricNames.push(lower);
        reply.header(lower, value);
      } else if (lower === 'cache-control') {
        reply.header(lower, privateCacheControl(value));
      } else if (PASSED_HEADERS.has(lower)) reply.header(lower, value);
    });
    exposeHeaders(reply, electricNames);
    reply.code(response.status);
    if (response.status >= 400) {
      reply.header('cache-control', 'no-store');
      if (response.status >= 500) metrics.upstreamErrors.inc({ mode });
      request.log.warn(
        { sync: { table: built.table, mode, status: response.status } },
        'sync: upstream error',
      );
    }
    if (!response.body) {
      reply.raw.off('close', abort);
      return reply.send('');
    }
    const body = Readable.fromWeb(response.body as unknown as WebReadableStream<Uint8Array>);
    body.on('error', (error) => {
      if (!controller.signal.aborted) {
        request.log.warn({ err: error, sync: { table: built.table, mode } }, 'sync: upstream stream broke');
      }
    });
    return reply.send(body);
  }

  app.route({
    method: 'GET',
    url: SYNC_PATH,
    ...hooks,
    schema: syncSchema('An Electric shape request (snapshot, catch-up, live long-poll or SSE, or a subset)'),
    handler: serve('query'),
  });
  // Subset snapshots whose where would not fit in a URL: the shape in the query, the subset in
  // the JSON body (Electric's POST; the official client's subsetMethod: 'POST').
  app.route({
    method: 'POST',
    url: SYNC_PATH,
    bodyLimit: SUBSET_BODY_LIMIT,
    ...hooks,
    schema: syncSchema('A subset snapshot of the shape in the query; the subset in the JSON body'),
    handler: serve('body'),
  });
}

/**
 * OpenAPI only: the answers are Electric's (a JSON array of messages, an SSE stream, or a
 * subset `{metadata, data}`), streamed as the upstream sends them, so no schema shapes them.
 */
function syncSchema(summary: string) {
  const electric = z.any().describe("Electric's HTTP Shape protocol answer (see docs/sync.md)");
  const error = z.any().describe("{error, code, details} (400 also carries Electric's message and errors)");
  return {
    tags: ['sync'],
    security: [{ bearerAuth: [] }],
    summary,
    response: {
      200: electric,
      304: z.any().describe('Not modified: the If-None-Match etag is this answer'),
      400: error,
      401: error,
      403: error,
      409: electric,
      429: error,
      503: error,
    },
  };
}

function toRefusal(error: unknown): ShapeRefused | undefined {
  if (error instanceof ShapeRefused) return error;
  if (error instanceof SubsetError) {
    return new ShapeRefused(
      error.limit ?? (error.field === 'subset__params' ? 'bad_params' : 'bad_subset'),
      error.field,
      error.message,
    );
  }
  if (error instanceof TableNotSyncable)
    return new ShapeRefused('table_not_syncable', 'table', error.message);
  if (error instanceof WhereError) {
    return new ShapeRefused(
      error.limit ?? (error.field === 'params' ? 'bad_params' : 'bad_where'),
      error.field,
      error.message,
    );
  }
  if (error instanceof ShapeRequestError) {
    return new ShapeRefused(
      error.field === 'columns' ? 'bad_columns' : 'bad_protocol',
      error.field,
      error.message,
    );
  }
  return undefined;
}
