// The conformance mode: the generic sync engine alone on a given database, with Electric's own
// HTTP API and NO tenant gate (sync/conformance/routes.ts), so the official client's test suite
// can run against it (scripts/conformance.mjs). Never part of the product: it refuses to start
// with NODE_ENV=production or on any address but loopback, and nothing in the server imports it.
//   CONFORMANCE_DATABASE_URL=postgres://… [PORT=3000] tsx server/src/sync/conformance/main.ts
// Prints `conformance engine listening on <url>` once it serves.
import Fastify from 'fastify';
import pg from 'pg';
import type { Database } from '../../db/database.ts';
import { createLogger } from '../../ops/logger.ts';
import { createMetrics } from '../../ops/metrics.ts';
import { ShapeEngine } from '../engine/engine.ts';
import { plainSnapshots } from '../engine/scope.ts';
import { loadWhereParser } from '../where/index.ts';
import { PublicationTables, registerConformanceRoutes } from './routes.ts';

export const CONFORMANCE_PUBLICATION = 'electric_conformance';
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export function conformanceRefusal(env: NodeJS.ProcessEnv): string | undefined {
  if (env.NODE_ENV === 'production') return 'the conformance mode never runs with NODE_ENV=production';
  if (!env.CONFORMANCE_DATABASE_URL)
    return 'CONFORMANCE_DATABASE_URL is required (a database for the tests alone)';
  const host = env.HOST ?? '127.0.0.1';
  if (!LOOPBACK.has(host)) return `the conformance mode listens on loopback only, not ${host}`;
  return undefined;
}

export async function startConformanceEngine(env: NodeJS.ProcessEnv) {
  const refusal = conformanceRefusal(env);
  if (refusal) throw new Error(refusal);
  const url = env.CONFORMANCE_DATABASE_URL as string;
  // Pipeline mode, as the app pool (db/database.ts): the snapshot reader issues its settings,
  // cursor and first FETCH together, which a plain pg client would queue with a deprecation.
  const pool = new pg.Pool({ connectionString: url, max: 10, pipeline: true } as pg.PoolConfig);
  const db: Database = {
    appPool: pool,
    ownerPool: pool,
    ownerUrl: url,
    appUrl: url,
    appDirectUrl: url,
    appRole: '',
    databaseName: '',
    description: 'conformance',
    close: () => pool.end(),
  };
  await pool.query(`DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = '${CONFORMANCE_PUBLICATION}') THEN
      CREATE PUBLICATION ${CONFORMANCE_PUBLICATION};
    END IF; END $$`);
  await loadWhereParser();
  const engine = new ShapeEngine({
    db,
    log: createLogger(env.LOG_LEVEL ?? 'warn', 'conformance-engine'),
    metrics: createMetrics(),
    scope: { publication: CONFORMANCE_PUBLICATION, runSnapshot: plainSnapshots(pool) },
    // Electric's own test setup sends chunks of about 10 kB (its chunk threshold set so).
    options: { liveTimeoutMs: 20_000, chunkBytes: Number(env.CONFORMANCE_CHUNK_BYTES ?? 10_000) },
  });
  const app = Fastify({ logger: false });
  registerConformanceRoutes(app, engine, new PublicationTables(pool, CONFORMANCE_PUBLICATION));
  app.addHook('onClose', async () => {
    await engine.stop();
    await pool.end();
  });
  const address = await app.listen({ port: Number(env.PORT ?? 0), host: env.HOST ?? '127.0.0.1' });
  return { app, engine, url: address };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const { app, url } = await startConformanceEngine(process.env);
    process.stdout.write(`conformance engine listening on ${url}\n`);
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void app.close());
  } catch (error) {
    process.stderr.write(`conformance engine: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
