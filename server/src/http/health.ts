// Owns GET /health (200 ok; 503 when the database or the sync engine is down, or while requests
// are being shed: status "overloaded" with the reason), GET /metrics, and health_check_up{check}:
// the same checks run at scrape time, so alerts see what the load balancer sees. Anyone gets the
// bare liveness answer {status}; the checks' details and /metrics only go to the audience
// http/ops-access.ts defines (METRICS_TOKEN, the METRICS_PORT listener, development).
import type { FastifyInstance } from 'fastify';
import client from 'prom-client';
import { z } from 'zod';
import type { Database } from '../db/database.ts';
import { boundedQuery } from '../db/overload.ts';
import type { Metrics } from '../ops/metrics.ts';
import { withTimeout } from '../ops/with-timeout.ts';
import type { OpsAccess } from './ops-access.ts';
import { errorBody, responses } from './responses.ts';
import type { Pressure } from './shedding.ts';

/** A component that can report whether it is working (the sync engine registers one). */
export type HealthCheck = { name: string; check: () => Promise<{ ok: boolean; detail?: unknown }> };

type CheckResult = { ok: boolean; report: unknown };

const CHECK_TIMEOUT_MS = 3000;

export function databaseHealth(db: Database): HealthCheck {
  return {
    name: 'database',
    check: async () => {
      await boundedQuery(db.appPool, 'SELECT 1');
      return { ok: true };
    },
  };
}

async function runCheck({ check }: HealthCheck): Promise<CheckResult> {
  try {
    const result = await withTimeout(check(), CHECK_TIMEOUT_MS);
    const state = result.ok ? 'ok' : 'down';
    return {
      ok: result.ok,
      report: result.detail === undefined ? state : { ok: result.ok, ...Object(result.detail) },
    };
  } catch (error) {
    return { ok: false, report: { ok: false, error: (error as Error).message } };
  }
}

/** health_check_up{check}, registered once per process (whatever the listeners). */
export function watchHealthChecks(metrics: Metrics, checks: HealthCheck[]) {
  new client.Gauge({
    name: 'health_check_up',
    help: 'Each /health check at scrape time: 1 working, 0 down (database, sync_engine)',
    labelNames: ['check'] as const,
    registers: [metrics.registry],
    async collect() {
      const results = await Promise.all(checks.map(runCheck));
      for (const [i, { name }] of checks.entries()) this.set({ check: name }, results[i]?.ok ? 1 : 0);
    },
  });
}

/** {status} for anyone; the checks, shedding and uptime for the operations audience. */
const healthAnswer = z.object({
  status: z.enum(['ok', 'overloaded', 'unavailable']),
  checks: z.record(z.string(), z.unknown()).optional(),
  shedding: z.unknown().optional(),
  uptime_seconds: z.number().int().optional(),
});
const healthSchema = {
  tags: ['operations'],
  summary:
    'Liveness and readiness: 200 ok, 503 unavailable or overloaded (details for the operations audience)',
  // 503 is the health answer, or the error shape if the route itself failed.
  response: responses({ 200: healthAnswer, 503: healthAnswer.or(errorBody) }),
};

export function registerOpsRoutes(
  app: FastifyInstance,
  metrics: Metrics,
  checks: HealthCheck[],
  access: OpsAccess,
  pressure: () => Pressure | undefined = () => undefined,
) {
  app.get('/health', { logLevel: 'warn', schema: healthSchema }, async (request, reply) => {
    const results = await Promise.all(checks.map(runCheck));
    const healthy = results.every((result) => result.ok);
    const shedding = pressure();
    if (shedding) reply.header('retry-after', '5');
    const status = healthy ? (shedding ? 'overloaded' : 'ok') : 'unavailable';
    const details = access(request) === undefined;
    return reply
      .code(healthy && !shedding ? 200 : 503)
      .header('cache-control', 'no-store')
      .send(
        details
          ? {
              status,
              checks: Object.fromEntries(checks.map(({ name }, i) => [name, results[i]?.report])),
              ...(shedding ? { shedding } : {}),
              uptime_seconds: Math.round(process.uptime()),
            }
          : { status },
      );
  });

  app.get('/metrics', { logLevel: 'warn' }, async (request, reply) => {
    const refused = access(request);
    if (refused) throw refused;
    reply.header('cache-control', 'no-store');
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
