// The identity service on its own (`npm run start:auth`): the /auth routes and GET /api/me,
// /health and /metrics, on AUTH_PORT (default 4001), against the same database as the main
// server. For the setup where one identity service serves several Sertantai apps: they accept
// its tokens because they share SHARED_TOKEN_SECRET and the claim format. With the embedded
// database, a running `npm start` is attached to (same DATA_DIR), never started twice.
import { buildApp } from './app.ts';
import { identityFeature } from './auth/feature.ts';
import { systemClock } from './clock.ts';
import { ConfigError, loadConfig } from './config.ts';
import { DatabaseStartupError, openDatabase } from './db/database.ts';
import { MigrationError } from './db/migrate.ts';
import { createLogger } from './ops/logger.ts';
import { createMetrics } from './ops/metrics.ts';

function authPort(value: string | undefined): number {
  if (value === undefined || value === '') return 4001;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError([`AUTH_PORT: must be a port number (0-65535), got "${value}"`]);
  }
  return port;
}

async function main() {
  const config = loadConfig();
  const port = authPort(process.env.AUTH_PORT);
  const log = createLogger(config.logLevel, 'sertantai-auth');
  const db = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    secret: config.tokenSecret,
    requireLogicalWal: false,
    log: (line) => log.debug({ component: 'postgres' }, line),
  });
  const app = await buildApp({ config, db, log, metrics: createMetrics(), clock: systemClock }, [
    identityFeature,
  ]);

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
  process.stdout.write(
    `\n  Sertantai identity service is running at ${address.replace('127.0.0.1', 'localhost')}\n` +
      `  Database: ${db.description}\n\n`,
  );
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
  } else if (error instanceof DatabaseStartupError || error instanceof MigrationError) {
    process.stderr.write(`Cannot start: ${error.message}\n`);
  } else {
    process.stderr.write(`Cannot start: ${(error as Error)?.stack ?? String(error)}\n`);
  }
  process.exit(1);
});
