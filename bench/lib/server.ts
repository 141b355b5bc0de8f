// The server a benchmark measures: a fresh embedded PostgreSQL under .data-bench-<name> (or the
// server in DATABASE_URL, when the benchmark allows it), migrated, and the app built with the
// given features and a silent logger. Test settings (NODE_ENV=test) so no background sweep
// runs while measuring; no demo seed.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { type App, buildApp, type Feature } from '../../server/src/app.ts';
import { systemClock } from '../../server/src/clock.ts';
import { type Config, loadConfig } from '../../server/src/config.ts';
import { type Database, openDatabase } from '../../server/src/db/database.ts';
import { createLogger, type Logger } from '../../server/src/ops/logger.ts';
import { createMetrics } from '../../server/src/ops/metrics.ts';

export const BENCH_SECRET = 'bench-secret-bench-secret-bench-secret-0123';

export type BenchServer = {
  config: Config;
  db: Database;
  app: App;
  log: Logger;
  dataDir: string;
  /** True when the bench started its own embedded PostgreSQL under dataDir. */
  embedded: boolean;
};

export async function startBenchServer(
  name: string,
  options: {
    features: Feature[];
    /** The built-in sync engine needs logical WAL. */
    requireLogicalWal?: boolean;
    /** Honour DATABASE_URL (default); false always starts the embedded server. */
    allowDatabaseUrl?: boolean;
  },
): Promise<BenchServer> {
  const databaseUrl = options.allowDatabaseUrl === false ? undefined : process.env.DATABASE_URL;
  const dataDir = path.resolve(import.meta.dirname, `../../.data-bench-${name}`);
  if (!databaseUrl) rmSync(dataDir, { recursive: true, force: true });
  const config = loadConfig({
    NODE_ENV: 'test',
    SHARED_TOKEN_SECRET: BENCH_SECRET,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    SEED: 'false',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  });
  const db = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir,
    requireLogicalWal: options.requireLogicalWal ?? false,
    statementTimeoutMs: config.limits.statementTimeoutMs,
    acquireTimeoutMs: config.limits.acquireTimeoutMs,
    preparedStatements: config.preparedStatements,
  });
  const log = createLogger('silent');
  const app = await buildApp(
    { config, db, log, metrics: createMetrics(), clock: systemClock },
    options.features,
  );
  await app.ready();
  return { config, db, app, log, dataDir, embedded: !databaseUrl };
}

/** Stops what startBenchServer started: the app, the database (an embedded one is stopped), and its data directory. */
export async function stopBenchServer({ app, db, dataDir }: BenchServer): Promise<void> {
  await app.close();
  await db.close();
  rmSync(dataDir, { recursive: true, force: true });
}
