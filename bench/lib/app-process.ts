// The whole application (every feature, the built-in sync engine, default limits) in a process
// of its own, for benchmarks whose clients must not share the server's event loop. Started by
// startAppProcess(); talks to its parent over IPC: 'ready' with its URL, 'stop' to close.
import { fork } from 'node:child_process';
import { buildApp } from '../../server/src/app.ts';
import { systemClock } from '../../server/src/clock.ts';
import { loadConfig } from '../../server/src/config.ts';
import { openDatabase } from '../../server/src/db/database.ts';
import { allFeatures } from '../../server/src/features.ts';
import { createLogger } from '../../server/src/ops/logger.ts';
import { createMetrics } from '../../server/src/ops/metrics.ts';

export type AppProcess = { url: string; stop: () => Promise<void> };

/** Forks this file as the server of `databaseUrl`; resolves once it listens. */
export async function startAppProcess(
  databaseUrl: string,
  secret: string,
  /** More settings for the app's config (e.g. SYNC_ON_DEMAND_CONTROLS). */
  settings: Record<string, string> = {},
): Promise<AppProcess> {
  const child = fork(import.meta.filename, [], {
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      BENCH_DATABASE_URL: databaseUrl,
      BENCH_SECRET: secret,
      BENCH_APP_CHILD: '1',
      BENCH_APP_SETTINGS: JSON.stringify(settings),
    },
  });
  const kill = () => child.kill('SIGKILL');
  process.on('exit', kill);
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`app process exited (${code}) before it listened`)));
    child.on('message', (message: { cmd: string; url: string }) => {
      if (message.cmd === 'ready') resolve(message.url);
    });
  });
  return {
    url,
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ cmd: 'stop' });
      const timer = setTimeout(kill, 15_000);
      await exited;
      clearTimeout(timer);
      process.off('exit', kill);
    },
  };
}

if (process.env.BENCH_APP_CHILD === '1') {
  const config = loadConfig({
    NODE_ENV: 'test',
    SHARED_TOKEN_SECRET: process.env.BENCH_SECRET,
    DATABASE_URL: process.env.BENCH_DATABASE_URL,
    LOG_LEVEL: 'silent',
    SEED: 'false',
    ...(JSON.parse(process.env.BENCH_APP_SETTINGS ?? '{}') as Record<string, string>),
  });
  const db = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: '',
    requireLogicalWal: true,
    statementTimeoutMs: config.limits.statementTimeoutMs,
    acquireTimeoutMs: config.limits.acquireTimeoutMs,
    preparedStatements: config.preparedStatements,
  });
  const log = createLogger('silent');
  const app = await buildApp({ config, db, log, metrics: createMetrics(), clock: systemClock }, allFeatures);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  process.on('message', async (message: { cmd: string }) => {
    if (message.cmd !== 'stop') return;
    await app.close();
    await db.close();
    process.exit(0);
  });
  process.send?.({ cmd: 'ready', url });
}
