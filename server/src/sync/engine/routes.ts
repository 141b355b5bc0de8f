// Owns the engine's internal protocol route, GET /internal/electric/v1/shape: the built-in
// engine speaking Electric's own HTTP API (table, where, params[n], columns, offset, handle,
// live…), so the shape endpoint's proxy mode can run against it exactly as against a real
// Electric (ELECTRIC_URL=http://<host>/internal/electric, ELECTRIC_SECRET=its
// INTERNAL_SYNC_SECRET). Guarded by INTERNAL_SYNC_SECRET (`secret` or `api_secret`), and served
// on INTERNAL_PORT when that is set (http/listeners.ts); the organisation is params[1], which
// the endpoint always binds to `organization_id = $1`; `requester` is the user a forwarding
// process authenticated.
import { createHash, timingSafeEqual } from 'node:crypto';
import { isSyncedTable } from '@sertantai/core';
import type { FastifyInstance } from 'fastify';
import { type Config, MIN_SECRET_BYTES } from '../../config.ts';
import { notModified } from '../http-cache.ts';
import { parseColumnList, ShapeRequestError, tableSpec } from '../shapes.ts';
import { buildSubset, readSubsetQuery, SubsetError } from '../subset.ts';
import type { ShapeDefinition, ShapeUpstream, SubsetDefinition } from '../upstream.ts';
import { type CompiledWhere, compileElectricWhere, whereParserReady } from './electric-where.ts';
import { parseWhereParams } from './protocol.ts';

export const INTERNAL_SHAPE_PATH = '/internal/electric/v1/shape';

/** Compiles a full `where` (tenant predicate included) with its params; throws on refusal. */
export type WhereCompiler = (table: string, where: string, params: string[]) => CompiledWhere;

/**
 * INTERNAL_SYNC_SECRET: its own setting, the same on every process of a deployment, never
 * derived from SHARED_TOKEN_SECRET (which other Sertantai apps hold).
 */
export function engineSecret(config: Pick<Config, 'internalSyncSecret'>): string {
  return config.internalSyncSecret;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const digest = (text: string) => createHash('sha256').update(text).digest();

function sameSecret(given: string, expected: Buffer): boolean {
  return timingSafeEqual(digest(given), expected);
}

function invalid(errors: Record<string, string[]>, status = 400) {
  return new Response(
    JSON.stringify({ message: status === 401 ? 'Unauthorized' : 'Invalid request', errors }),
    {
      status,
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    },
  );
}

/** Electric's `columns` list (parsed as the endpoint parses it), each name once. */
export function parseColumns(raw: string): string[] {
  return [...new Set(parseColumnList(raw))];
}

/**
 * A shape's identity in the engine, from its Electric parameters. The leader's own endpoint uses
 * it too (engine/cluster.ts), so a shape asked for directly or forwarded by a follower shares
 * one log and one handle.
 */
export function internalShapeKey(
  table: string,
  where: string,
  params: string[],
  columns: string[],
  orgId: string,
): string {
  return JSON.stringify([table, where, params, columns, orgId.toLowerCase()]);
}

export function registerInternalShapeRoute(
  app: FastifyInstance,
  engine: ShapeUpstream,
  options: {
    secret: string;
    compileWhere?: WhereCompiler | undefined;
  },
) {
  const compiled = new Map<string, CompiledWhere>();
  // An empty secret would let anyone in (an empty `secret` matches it): refuse to start instead.
  if (options.secret.length < MIN_SECRET_BYTES) {
    throw new Error(`the internal shape route needs a secret of at least ${MIN_SECRET_BYTES} bytes`);
  }
  const expectedSecret = digest(options.secret);
  app.get(INTERNAL_SHAPE_PATH, { logLevel: 'warn' }, async (request, reply) => {
    const url = new URL(request.url, 'http://internal');
    const query = url.searchParams;
    const secret = query.get('secret') ?? query.get('api_secret') ?? '';
    const response = await (async () => {
      if (!sameSecret(secret, expectedSecret)) return invalid({ secret: ['is missing or wrong'] }, 401);
      const table = query.get('table') ?? '';
      if (!isSyncedTable(table)) return invalid({ table: ['is not a synced table'] });
      const read = parseWhereParams(query);
      if ('error' in read) return invalid({ params: [read.error] });
      const params: string[] = [];
      for (const [n, value] of Object.entries(read.params)) if (Number(n) >= 1) params[Number(n) - 1] = value;
      const orgId = params[0];
      if (orgId === undefined || !UUID.test(orgId)) {
        return invalid({ params: ['params[1] must be the organisation id'] });
      }
      const where = query.get('where') ?? '';
      let filter: CompiledWhere;
      try {
        if (!options.compileWhere) await whereParserReady();
        // Live clients repeat the same shape every few seconds: parse each where once.
        const cacheKey = JSON.stringify([table, where, params]);
        const cached = compiled.get(cacheKey);
        if (cached) filter = cached;
        else {
          filter = (options.compileWhere ?? compileElectricWhere)(table, where, params);
          if (compiled.size >= 10_000) compiled.delete(compiled.keys().next().value as string);
          compiled.set(cacheKey, filter);
        }
      } catch (error) {
        return invalid({ where: [(error as Error).message] });
      }
      // Even behind the secret, only the allow-listed columns leave the database.
      const allowed = Object.keys(tableSpec(table).columns);
      const rawColumns = query.get('columns');
      let columns = allowed;
      try {
        if (rawColumns !== null) columns = parseColumns(rawColumns);
      } catch (error) {
        if (!(error instanceof ShapeRequestError)) throw error;
        return invalid({ columns: [error.message] });
      }
      const refused = columns.filter((column) => !allowed.includes(column));
      if (refused.length > 0) return invalid({ columns: [`cannot be synced: ${refused.join(', ')}`] });
      if (!columns.includes('id')) return invalid({ columns: ['must include the primary key'] });
      const def: ShapeDefinition = {
        table,
        columns,
        orgId: orgId.toLowerCase(),
        filter,
        key: internalShapeKey(table, where, params, columns, orgId),
      };
      const abort = new AbortController();
      // The response's 'close' (the request's fires as soon as a GET has been read).
      reply.raw.once('close', () => abort.abort());
      // A follower forwards the user it authenticated, for the per-user budget (behind the secret).
      const requesterId = query.get('requester');
      const requester = requesterId && UUID.test(requesterId) ? { userId: requesterId } : undefined;
      // A subset is checked like the endpoint checks it, its placeholders after the shape's.
      let subset: SubsetDefinition | undefined;
      try {
        const asked = readSubsetQuery(query);
        subset = asked && buildSubset(tableSpec(table), asked, params.length);
      } catch (error) {
        if (!(error instanceof SubsetError)) throw error;
        return invalid({ [error.field]: [error.message] });
      }
      return engine.fetchShape(def, query, abort.signal, requester, subset);
    })();
    return reply.send(notModified(response, request.headers['if-none-match']) ?? response);
  });
}
