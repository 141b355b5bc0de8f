// Owns the conformance mode's HTTP API, Electric's own paths with no tenant gate: GET /v1/shape
// (any table, its own `where`), POST /v1/shape (a subset snapshot asked in the body), DELETE /v1/shape (drops a table's shapes or one handle, as
// Electric does with shape deletion allowed), GET /v1/health. Each table asked for is first
// given REPLICA IDENTITY FULL and added to the mode's publication, as Electric does.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type pg from 'pg';
import type { ShapeEngine } from '../engine/engine.ts';
import { relationKey } from '../engine/log-types.ts';
import { notModified } from '../http-cache.ts';
import { buildSubset, readSubsetBody, readSubsetQuery, SubsetError } from '../subset.ts';
import type { SubsetDefinition } from '../upstream.ts';
import { BadShapeRequest, parseTableName, qualified, readShape, specOf } from './shape-request.ts';

function invalid(errors: Record<string, string[]>, status = 400) {
  return new Response(JSON.stringify({ message: 'Invalid request', errors }), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  });
}

/** Adds tables to the publication once each (REPLICA IDENTITY FULL first). */
export class PublicationTables {
  private readonly added = new Map<string, Promise<void>>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly publication: string,
  ) {}

  add(where: { schema: string; table: string }): Promise<void> {
    const key = relationKey(where.schema, where.table);
    let done = this.added.get(key);
    if (!done) {
      done = this.addNow(where);
      done.catch(() => this.added.delete(key));
      this.added.set(key, done);
    }
    return done;
  }

  private async addNow(where: { schema: string; table: string }) {
    const name = qualified(where);
    await this.pool.query(`ALTER TABLE ${name} REPLICA IDENTITY FULL`);
    const { rowCount } = await this.pool.query(
      'SELECT 1 FROM pg_publication_tables WHERE pubname = $1 AND schemaname = $2 AND tablename = $3',
      [this.publication, where.schema, where.table],
    );
    if (!rowCount) await this.pool.query(`ALTER PUBLICATION "${this.publication}" ADD TABLE ${name}`);
  }

  /** A table dropped and made again under the same name must be added again. */
  forget(where: { schema: string; table: string }) {
    this.added.delete(relationKey(where.schema, where.table));
  }
}

export function registerConformanceRoutes(
  app: FastifyInstance,
  engine: ShapeEngine,
  tables: PublicationTables,
) {
  app.get('/v1/health', async () => ({ status: 'active' }));

  app.delete('/v1/shape', async (request, reply) => {
    const query = new URL(request.url, 'http://conformance').searchParams;
    const handle = query.get('handle');
    const rawTable = query.get('table');
    let relation: string | undefined;
    try {
      if (rawTable !== null) {
        const where = parseTableName(rawTable);
        relation = relationKey(where.schema, where.table);
        tables.forget(where);
      }
    } catch (error) {
      return reply.send(invalid({ table: [(error as Error).message] }));
    }
    if (handle === null && relation === undefined)
      return reply.send(invalid({ table: ['table or handle is required'] }));
    engine.registry.dropLogs(
      (log) =>
        (handle === null || log.handle === handle) && (relation === undefined || log.relation === relation),
    );
    return reply.code(202).send();
  });

  // A GET answers the shape or (with subset__*) a subset snapshot; a POST, the subset in its body.
  const serve = async (request: FastifyRequest, reply: FastifyReply, post: boolean) => {
    const query = new URL(request.url, 'http://conformance').searchParams;
    const abort = new AbortController();
    reply.raw.once('close', () => abort.abort());
    const response = await (async () => {
      const rawTable = query.get('table');
      if (rawTable === null || rawTable === '') return invalid({ table: ["can't be blank"] });
      try {
        const where = parseTableName(rawTable);
        await tables.add(where).catch((error: Error) => {
          throw new BadShapeRequest('table', `Table ${rawTable} cannot be synced: ${error.message}`);
        });
        const info = await engine.registry.tableInfo(where.table, where.schema);
        const def = readShape(query, where, info);
        let subset: SubsetDefinition | undefined;
        const asked = post ? readSubsetBody(request.body ?? {}) : readSubsetQuery(query);
        if (asked) subset = buildSubset(specOf(where.table, info), asked, def.filter.params.length);
        return await engine.fetchShape(def, query, abort.signal, undefined, subset);
      } catch (error) {
        if (error instanceof BadShapeRequest) return invalid({ [error.field]: [error.message] });
        if (error instanceof SubsetError) return invalid({ [error.field]: [error.message] });
        throw error;
      }
    })();
    return reply.send(notModified(response, request.headers['if-none-match']) ?? response);
  };
  app.get('/v1/shape', (request, reply) => serve(request, reply, false));
  app.post('/v1/shape', (request, reply) => serve(request, reply, true));
}
