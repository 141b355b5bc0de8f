// Owns the identity service's Prometheus counters, registered on the app's registry.
import client from 'prom-client';
import type { Metrics } from '../ops/metrics.ts';

export type AuthMetrics = ReturnType<typeof createAuthMetrics>;

export function createAuthMetrics(metrics: Metrics) {
  const registers = [metrics.registry];
  const counters = {
    failures: new client.Counter({
      name: 'auth_failures_total',
      help: 'Refused authentication attempts and tokens, by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    refreshes: new client.Counter({
      name: 'token_refresh_total',
      help: 'Refresh-token presentations, by result (ok, grace, reused, invalid, expired, revoked)',
      labelNames: ['result'] as const,
      registers,
    }),
    sessionsRevoked: new client.Counter({
      name: 'sessions_revoked_total',
      help: 'Sessions revoked, by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    logins: new client.Counter({
      name: 'logins_total',
      help: 'Login attempts, by result (ok, failed, rate_limited)',
      labelNames: ['result'] as const,
      registers,
    }),
  };
  // Series alerts look for start at 0, so the first occurrence is an increase Prometheus sees.
  for (const reason of ['invalid_credentials', 'rate_limited', 'missing_token'])
    counters.failures.inc({ reason }, 0);
  for (const result of ['ok', 'reused', 'invalid']) counters.refreshes.inc({ result }, 0);
  for (const result of ['ok', 'failed', 'rate_limited']) counters.logins.inc({ result }, 0);
  return counters;
}
