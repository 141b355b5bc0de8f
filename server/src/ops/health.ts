// Owns GET /health (200 ok, 503 when the database or the sync engine is down) and GET /metrics.
import type { FastifyInstance } from 'fastify';
import type { Database } from '../db/database.ts';
import type { Metrics } from './metrics.ts';
import { withTimeout } from './with-timeout.ts';

/** A component that can report whether it is working (the sync engine registers one). */
export type HealthCheck = { name: string; check: () => Promise<{ ok: boolean; detail?: unknown }> };

export function databaseHealth(db: Database): HealthCheck {
  return {
    name: 'database',
    check: async () => {
      await db.appPool.query('SELECT 1');
      return { ok: true };
    },
  };
}

export function registerOpsRoutes(app: FastifyInstance, metrics: Metrics, checks: HealthCheck[]) {
  app.get('/health', { logLevel: 'warn' }, async (_request, reply) => {
    const results: Record<string, unknown> = {};
    let healthy = true;
    await Promise.all(
      checks.map(async ({ name, check }) => {
        try {
          const result = await withTimeout(check(), 3000);
          results[name] =
            result.detail === undefined
              ? result.ok
                ? 'ok'
                : 'down'
              : { ok: result.ok, ...Object(result.detail) };
          healthy &&= result.ok;
        } catch (error) {
          results[name] = { ok: false, error: (error as Error).message };
          healthy = false;
        }
      }),
    );
    return reply
      .code(healthy ? 200 : 503)
      .header('cache-control', 'no-store')
      .send({
        status: healthy ? 'ok' : 'unavailable',
        checks: results,
        uptime_seconds: Math.round(process.uptime()),
      });
  });

  app.get('/metrics', { logLevel: 'warn' }, async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
