// Composition root: config → logger → database (migrated) → seed → HTTP server.
// `npm start` runs this; it prints the URL, the database in use and the demo logins.
import { buildApp } from './app.ts';
import { systemClock } from './clock.ts';
import { ConfigError, loadConfig } from './config.ts';
import { DatabaseStartupError, openDatabase } from './db/database.ts';
import { MigrationError } from './db/migrate.ts';
import { allFeatures } from './features.ts';
import { createLogger } from './ops/logger.ts';
import { createMetrics } from './ops/metrics.ts';
import { seedDemoData } from './seed/seed.ts';

async function main() {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const db = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    secret: config.tokenSecret,
    requireLogicalWal: config.electricUrl === undefined,
    log: (line) => log.debug({ component: 'postgres' }, line),
  });
  const seeded = config.seed ? await seedDemoData(db, systemClock) : undefined;
  const app = await buildApp({ config, db, log, metrics: createMetrics(), clock: systemClock }, allFeatures);

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

  const address = await app.listen({ port: config.port, host: config.host });
  const lines = [
    '',
    `  Sertantai Controls is running at ${address.replace('127.0.0.1', 'localhost')}`,
    `  Database: ${db.description}`,
    config.electricUrl ? `  Sync: proxying to Electric at ${config.electricUrl}` : '  Sync: built-in engine',
  ];
  if (seeded && seeded.logins.length > 0) {
    lines.push('', '  Demo logins (seeded):');
    for (const login of seeded.logins) {
      lines.push(
        `    ${login.organization.padEnd(22)} ${login.role.padEnd(7)} ${login.email.padEnd(32)} ${login.password}`,
      );
    }
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);
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
