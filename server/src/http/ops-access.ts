// Owns who may read the operations details: /metrics and the details of /health (database,
// engine, pool figures). The bare liveness answer of /health ({status}, 200/503) is public.
// - METRICS_TOKEN set: a Bearer token equal to it is required, wherever the route is served.
// - else the METRICS_PORT listener is trusted (it is meant for a private address);
// - else, on the app's own port: open in development and test (as before), closed in
//   production (then /metrics is not served there at all).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import { type AppError, notFound, unauthorized } from './errors.ts';
import { bearerToken } from './request-auth.ts';

export type OpsListener = 'app' | 'metrics';

/** Undefined when the request may read the details; otherwise the error to answer /metrics with. */
export type OpsAccess = (request: FastifyRequest) => AppError | undefined;

const digest = (text: string) => createHash('sha256').update(text).digest();

export function opsAccess(
  config: Pick<Config, 'env' | 'metricsToken' | 'metricsPort'>,
  listener: OpsListener,
): OpsAccess {
  if (config.metricsToken !== undefined) {
    const expected = digest(config.metricsToken);
    return (request) => {
      const given = bearerToken(request);
      if (given === undefined) {
        return unauthorized('MISSING_TOKEN', 'This route needs Authorization: Bearer <METRICS_TOKEN>.');
      }
      return timingSafeEqual(digest(given), expected)
        ? undefined
        : unauthorized('INVALID_TOKEN', 'The metrics token is not valid.');
    };
  }
  const open = listener === 'metrics' || (config.env !== 'production' && config.metricsPort === undefined);
  return open ? () => undefined : (request) => notFound(`Route ${request.method} /metrics`);
}
