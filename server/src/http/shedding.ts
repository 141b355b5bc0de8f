// Owns load shedding: when the event loop falls behind or the V8 heap nears its limit, every
// request (but /health and /metrics) is refused with 503 OVERLOADED and Retry-After in its
// onRequest hook — before its body is read or its handler runs, so a write is either refused
// whole or done whole. @fastify/under-pressure samples the process; /health reports the reason.
import underPressure from '@fastify/under-pressure';
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../ops/metrics.ts';
import { overloaded } from './errors.ts';

export type SheddingOptions = {
  /** Event-loop delay (ms, mean over a sample) above which requests are shed; 0: never. */
  eventLoopDelayMs: number;
  /** V8 heap in use (bytes) above which requests are shed; 0: never. */
  heapUsedBytes: number;
};

export type ShedReason = 'event_loop' | 'memory';

/** What /health reports while requests are being shed. */
export type Pressure = { reason: ShedReason; event_loop_delay_ms: number; heap_used_bytes: number };

const EXEMPT_ROUTES = new Set(['/health', '/metrics']);
const SAMPLE_INTERVAL_MS = 500;
const RETRY_AFTER_SECONDS = 5;

/** Registers shedding on `app` (before any route) and returns a reader of the current pressure. */
export async function installShedding(
  app: FastifyInstance,
  options: SheddingOptions,
  metrics: Metrics,
): Promise<() => Pressure | undefined> {
  await app.register(underPressure, {
    maxEventLoopDelay: options.eventLoopDelayMs,
    maxHeapUsedBytes: options.heapUsedBytes,
    sampleInterval: SAMPLE_INTERVAL_MS,
    retryAfter: RETRY_AFTER_SECONDS,
    // A rejected promise goes to the error handler (one error shape); a resolved one lets it pass.
    pressureHandler: async (request, _reply, type) => {
      if (EXEMPT_ROUTES.has(request.routeOptions.url ?? '')) return;
      const reason = reasonOf(type);
      metrics.requestsShed.inc({ reason });
      request.log.warn({ shed: { reason } }, 'request shed: the server is overloaded');
      throw overloaded(
        'The server is overloaded right now. Nothing was done; please try again shortly.',
        RETRY_AFTER_SECONDS,
        { reason },
      );
    },
  });
  return () => {
    const usage = app.memoryUsage();
    let reason: ShedReason | undefined;
    if (options.eventLoopDelayMs > 0 && usage.eventLoopDelay > options.eventLoopDelayMs)
      reason = 'event_loop';
    else if (options.heapUsedBytes > 0 && usage.heapUsed > options.heapUsedBytes) reason = 'memory';
    if (!reason) return undefined;
    return {
      reason,
      event_loop_delay_ms: Math.round(usage.eventLoopDelay),
      heap_used_bytes: usage.heapUsed,
    };
  };
}

function reasonOf(type: string): ShedReason {
  return type === 'heapUsedBytes' || type === 'rssBytes' ? 'memory' : 'event_loop';
}
