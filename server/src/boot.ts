// Owns starting a server process, shared by main.ts and main-auth.ts: config → logger →
// database → (prepare) → app → signal handlers → listen (and the side listeners) → start-up
// lines on stdout, and the one way a failed start is reported (a message on stderr, exit 1).
import { buildApp, type Feature } from './app.ts';
import { systemClock } from './clock.ts';
import { type Config, ConfigError, loadConfig } from './config.ts';
import { type Database, DatabaseStartupError, openDatabase } from './db/database.ts';
import { MigrationError } from './db/migrate.ts';
import { createLogger } from './ops/logger.ts';
import { createMetrics } from './ops/metrics.ts';

export type ServerSpec<Prepared> = {
  /** The logger's name (default: createLogger's). */
  loggerName?: string;
  /** Read after the config, before anything starts (may throw ConfigError). */
  port: (config: Config) => number;
  requireLogicalWal: (config: Config) => boolean;
  features: Feature[];
  /** Runs on the opened database before the app is built (e.g. seeding). */
  prepare?: (config: Config, db: Database) => Promise<Prepared>;
  /** Lines printed once listening; `url` is the address with localhost for 127.0.0.1. */
  startupLines: (started: {
    url: string;
    config: Config;
    db: Database;
    prepared: Prepared | undefined;
  }) => string[];
};

/** Starts the server described by `spec`; exits the process if it cannot. */
export function startServer<Prepared>(spec: ServerSpec<Prepared>): void {
  start(spec).catch(exitOnStartupError);
}

async function start<Prepared>(spec: ServerSpec<Prepared>) {
  const config = loadConfig();
  const port = spec.port(config);
  const log = createLogger(config.logLevel, spec.loggerName);
  const db = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    appDatabaseUrl: config.appDatabaseUrl,
    preparedStatements: config.preparedStatements,
    requireLogicalWal: spec.requireLogicalWal(config),
    statementTimeoutMs: config.limits.statementTimeoutMs,
    acquireTimeoutMs: config.limits.acquireTimeoutMs,
    log: (line) => log.debug({ component: 'postgres' }, line),
    warn: (line) => log.warn({ component: 'postgres' }, line),
  });
  const prepared = spec.prepare ? await spec.prepare(config, db) : undefined;
  const app = await buildApp(
    { config, db, log, metrics: createMetrics(), clock: systemClock },
    spec.features,
  );

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'shutting down');
    await app.close();
    await db.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  const address = await app.listen({ port, host: config.host });
  const url = address.replace('127.0.0.1', 'localhost');
  const lines = spec.startupLines({ url, config, db, prepared });
  for (const side of app.sideListeners) {
    const sideAddress = await side.app.listen({ port: side.port, host: side.host });
    lines.push(`  ${side.roles.join(' and ')} routes on ${sideAddress}`);
  }
  process.stdout.write(`\n${lines.join('\n')}\n\n`);
}

function exitOnStartupError(error: unknown): never {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
  } else if (error instanceof DatabaseStartupError || error instanceof MigrationError) {
    process.stderr.write(`Cannot start: ${error.message}\n`);
  } else {
    process.stderr.write(`Cannot start: ${(error as Error)?.stack ?? String(error)}\n`);
  }
  process.exit(1);
}
