// Owns issuing and withdrawing credentials, the steps every identity command shares: the
// rate-limit gate in front of a credential check, a new session with its first refresh token,
// the signed access token, and the bookkeeping after sessions are revoked.
import { randomUUID } from 'node:crypto';
import type { Tx } from '../db/tenant.ts';
import { rateLimited } from '../http/errors.ts';
import type { LimitVerdict } from './rate-limit.ts';
import { newOpaqueToken, tokenHash } from './refresh-tokens.ts';
import type { RevocationReason } from './revocation.ts';
import { signAccessToken } from './tokens.ts';
import type { IdentityServiceDeps, IssuedTokens, RequestMeta } from './types.ts';
import type { OrganizationRow, UserRow } from './users.ts';

/** Throws 429 (counted and logged) when the verdict says no. */
export function enforceLimit(
  deps: IdentityServiceDeps,
  meta: RequestMeta,
  action: string,
  verdict: LimitVerdict,
) {
  if (verdict.ok) return;
  deps.metrics.failures.inc({ reason: 'rate_limited' });
  meta.log.warn(
    { event: 'auth.rate_limited', action, ip: meta.ip, retry_after: verdict.retryAfterSeconds },
    'rate limit reached',
  );
  throw rateLimited(verdict.retryAfterSeconds);
}

/** Call after the revoking transaction has committed, so this process refuses them at once. */
export function afterRevocation(
  deps: IdentityServiceDeps,
  sessionIds: string[],
  reason: RevocationReason,
  count = sessionIds.length,
) {
  deps.revocation.markRevoked(sessionIds);
  if (count > 0) deps.metrics.sessionsRevoked.inc({ reason }, count);
}

export async function openSession(deps: IdentityServiceDeps, tx: Tx, user: UserRow, meta: RequestMeta) {
  const sessionId = randomUUID();
  const refreshToken = newOpaqueToken();
  // Both inserts are written at once (the app pool pipelines; they run in order, the token
  // after its session): one round trip instead of two.
  const session = tx.query(
    `INSERT INTO sessions (id, organization_id, user_id, expires_at, user_agent, ip)
     VALUES ($1, $2, $3, now() + make_interval(secs => $4), $5, $6)`,
    [
      sessionId,
      user.organization_id,
      user.id,
      deps.config.refreshTokenTtl,
      meta.userAgent?.slice(0, 500) ?? null,
      meta.ip,
    ],
  );
  const token = tx.query(
    `INSERT INTO refresh_tokens (organization_id, session_id, token_hash) VALUES ($1, $2, $3)`,
    [user.organization_id, sessionId, tokenHash(refreshToken)],
  );
  await Promise.all([session, token]);
  return { sessionId, refreshToken };
}

export async function withAccessToken(
  deps: IdentityServiceDeps,
  issued: {
    user: UserRow;
    organization: OrganizationRow;
    sessionId: string;
    refreshToken: string;
  },
): Promise<IssuedTokens> {
  const { token } = await signAccessToken(deps.tokenSettings, {
    userId: issued.user.id,
    orgId: issued.user.organization_id,
    role: issued.user.role,
    sessionId: issued.sessionId,
  });
  return {
    user: issued.user,
    organization: issued.organization,
    accessToken: token,
    refreshToken: issued.refreshToken,
    expiresIn: deps.tokenSettings.accessTokenTtl,
    sessionId: issued.sessionId,
  };
}
