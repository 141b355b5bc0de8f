// The server side of bench/sync.ts, in its own process so client work does not share its event
// loop: the built-in engine's internal protocol route on loopback. Talks to its parent over IPC.
import Fastify from 'fastify';
import { type Database, openDatabase } from '../server/src/db/database.ts';
import { createLogger } from '../server/src/ops/logger.ts';
import { createMetrics } from '../server/src/ops/metrics.ts';
import { createShapeEngine } from '../server/src/sync/engine/index.ts';
import { tenantScope } from '../server/src/sync/tenant-scope.ts';

const db: Database = await openDatabase({
  databaseUrl: process.env.BENCH_DATABASE_URL,
  dataDir: '',
  requireLogicalWal: true,
  appPoolSize: 20,
});
const secret = 'bench-internal-secret-bench-internal-secret'; // the route asks for 32 bytes or more
const engine = createShapeEngine({
  db,
  log: createLogger('warn', 'bench-engine'),
  metrics: createMetrics(),
  secret,
  scope: tenantScope(db),
  // The 100k-row snapshot of one organisation would spend its default share of snapshot time
  // (10 s a minute) on a loaded machine and be refused: the bench measures speed, not that policy.
  options: { liveTimeoutMs: 20_000, snapshotTimeoutMs: 120_000, snapshotMsPerOrgPerMinute: 600_000 },
});
const app = Fastify({ logger: false });
engine.registerRoutes(app);
const url = await app.listen({ port: 0, host: '127.0.0.1' });
// Replication runs before the first timed request: a cold sync measures the shape, not the slot.
await engine.start();

process.on('message', async (message: { cmd: string }) => {
  if (message.cmd === 'memory') {
    globalThis.gc?.();
    const usage = process.memoryUsage();
    process.send?.({
      cmd: 'memory',
      heapUsed: usage.heapUsed,
      rss: usage.rss,
      cpuMs: process.cpuUsage().user / 1000 + process.cpuUsage().system / 1000,
      ...engine.health().detail,
    });
  } else if (message.cmd === 'reset') {
    // Every log dropped, replication started again: the next request of a shape is cold.
    await engine.engine.standDown();
    await engine.start();
    globalThis.gc?.();
    process.send?.({ cmd: 'reset' });
  } else if (message.cmd === 'stop') {
    await app.close();
    await db.close();
    process.exit(0);
  }
});
process.send?.({ cmd: 'ready', url: `${url}/internal/electric/v1/shape`, secret });
