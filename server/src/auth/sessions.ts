// Owns a session after it starts: refresh-token rotation (with a short grace for concurrent
// refreshes, and reuse detection that signs the session out) and logout, by access token or by
// refresh token.

import { tenantTransaction } from '../db/tenant.ts';
import { type AppError, unauthorized } from '../http/errors.ts';
import type { AuthContext } from '../http/request-auth.ts';
import { contextOf } from '../http/tenant-context.ts';
import { afterRevocation, enforceLimit, withAccessToken } from './issue-tokens.ts';
import type { LimitVerdict } from './rate-limit.ts';
import { hashKey, REFRESH_TOKEN_PATTERN, successorToken, tokenHash } from './refresh-tokens.ts';
import { revokeSessions } from './revocation.ts';
import type { IdentityServiceDeps, IssuedTokens, RequestMeta } from './types.ts';
import { directoryLookup, loadOrganization, loadUser, type OrganizationRow, type UserRow } from './users.ts';

/** A second refresh of the same token within this many seconds gets the same successor. */
export const REFRESH_GRACE_SECONDS = 10;

const invalidRefresh = () => unauthorized('INVALID_TOKEN', 'The refresh token is not valid.');

type RefreshOutcome =
  | { kind: 'invalid' }
  | { kind: 'revoked' | 'expired'; sessionId: string }
  | { kind: 'limited'; verdict: LimitVerdict }
  | { kind: 'reused'; sessionId: string; userId: string; revoked: string[] }
  | {
      kind: 'ok';
      result: 'ok' | 'grace';
      user: UserRow;
      organization: OrganizationRow;
      sessionId: string;
      refreshToken: string;
    };

export async function refresh(
  deps: IdentityServiceDeps,
  refreshToken: string,
  meta: RequestMeta,
): Promise<IssuedTokens> {
  const { limits, metrics } = deps;
  enforceLimit(deps, meta, 'refresh', await limits.tokenRequest(meta.ip));
  const reject = (result: string, error: AppError): never => {
    metrics.refreshes.inc({ result });
    metrics.failures.inc({ reason: `refresh_${result}` });
    meta.log.info({ event: 'auth.refresh', result, ip: meta.ip }, 'refresh refused');
    throw error;
  };
  if (!REFRESH_TOKEN_PATTERN.test(refreshToken)) return reject('invalid', invalidRefresh());
  const hash = tokenHash(refreshToken);
  const entry = await directoryLookup(deps.db, 'refresh_token', hashKey(hash));
  if (!entry) return reject('invalid', invalidRefresh());

  const ttl = deps.config.refreshTokenTtl;
  const outcome = await tenantTransaction(
    deps.db.appPool,
    { orgId: entry.organization_id, requestId: meta.requestId },
    async (tx): Promise<RefreshOutcome> => {
      const { rows } = await tx.query(
        `SELECT rt.id, rt.session_id, rt.used_at IS NOT NULL AS used, rt.revoked_at IS NOT NULL AS revoked,
                rt.created_at + make_interval(secs => $2) <= now() AS expired,
                now() - rt.used_at <= make_interval(secs => $3) AS in_grace,
                s.user_id, s.revoked_at IS NOT NULL AS session_revoked, s.expires_at <= now() AS session_expired
           FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id
          WHERE rt.token_hash = $1
          FOR UPDATE OF rt`,
        [hash, ttl, REFRESH_GRACE_SECONDS],
      );
      const token = rows[0];
      if (!token) return { kind: 'invalid' };
      if (token.session_revoked || token.revoked) return { kind: 'revoked', sessionId: token.session_id };
      if (token.expired || token.session_expired) return { kind: 'expired', sessionId: token.session_id };
      const successor = successorToken(deps.config.tokenSecret, refreshToken);
      if (token.used) {
        if (token.in_grace) {
          // A concurrent (or retried) refresh of the same token: hand back the same successor
          // while that successor is still unused, instead of treating it as theft.
          const child = await tx.query(
            `SELECT id FROM refresh_tokens
              WHERE parent_id = $1 AND token_hash = $2 AND used_at IS NULL AND revoked_at IS NULL`,
            [token.id, tokenHash(successor)],
          );
          if (child.rowCount === 1) {
            const user = await loadUser(tx, token.user_id);
            if (user) {
              return {
                kind: 'ok',
                result: 'grace',
                user,
                organization: await loadOrganization(tx),
                sessionId: token.session_id,
                refreshToken: successor,
              };
            }
          }
        }
        const revoked = await revokeSessions(tx, 'reuse_detected', 'id', token.session_id);
        return { kind: 'reused', sessionId: token.session_id, userId: token.user_id, revoked };
      }
      const verdict = await limits.refresh(token.session_id, tx);
      if (!verdict.ok) return { kind: 'limited', verdict };
      const user = await loadUser(tx, token.user_id);
      if (!user) return { kind: 'invalid' };
      await tx.query('UPDATE refresh_tokens SET used_at = now() WHERE id = $1', [token.id]);
      await tx.query(
        `INSERT INTO refresh_tokens (organization_id, session_id, token_hash, parent_id) VALUES ($1, $2, $3, $4)`,
        [entry.organization_id, token.session_id, tokenHash(successor), token.id],
      );
      await tx.query(
        `UPDATE sessions SET last_refreshed_at = now(), expires_at = now() + make_interval(secs => $2) WHERE id = $1`,
        [token.session_id, ttl],
      );
      return {
        kind: 'ok',
        result: 'ok',
        user,
        organization: await loadOrganization(tx),
        sessionId: token.session_id,
        refreshToken: successor,
      };
    },
  );

  switch (outcome.kind) {
    case 'invalid':
      return reject('invalid', invalidRefresh());
    case 'revoked':
      return reject(
        'revoked',
        unauthorized('TOKEN_REVOKED', 'This session has been signed out. Sign in again.'),
      );
    case 'expired':
      return reject(
        'expired',
        unauthorized('TOKEN_EXPIRED', 'The refresh token has expired. Sign in again.'),
      );
    case 'limited':
      metrics.refreshes.inc({ result: 'rate_limited' });
      return enforceLimit(deps, meta, 'refresh', outcome.verdict) as never;
    case 'reused': {
      // The revocation above has committed; only now is the request refused.
      afterRevocation(deps, outcome.revoked, 'reuse_detected');
      meta.log.warn(
        {
          event: 'auth.refresh_reuse_detected',
          session_id: outcome.sessionId,
          user_id: outcome.userId,
          ip: meta.ip,
        },
        'spent refresh token presented again: session revoked',
      );
      return reject(
        'reused',
        unauthorized(
          'REFRESH_TOKEN_REUSED',
          'This refresh token was already used. The session has been signed out for safety; sign in again.',
        ),
      );
    }
    case 'ok': {
      metrics.refreshes.inc({ result: outcome.result });
      meta.log.info(
        {
          event: 'auth.refresh',
          result: outcome.result,
          user_id: outcome.user.id,
          session_id: outcome.sessionId,
          ip: meta.ip,
        },
        'tokens refreshed',
      );
      return withAccessToken(deps, outcome);
    }
  }
}

/** Revokes the caller's session (local) or all the user's sessions (global). */
export async function logout(
  deps: IdentityServiceDeps,
  auth: AuthContext,
  scope: 'local' | 'global',
  meta: RequestMeta,
): Promise<number> {
  const revoked = await tenantTransaction(deps.db.appPool, contextOf(auth, meta.requestId), (tx) =>
    scope === 'global'
      ? revokeSessions(tx, 'logout_global', 'user', auth.userId)
      : revokeSessions(tx, 'logout', 'id', auth.sessionId),
  );
  // The caller's own session is refused from now on even if it was revoked before.
  afterRevocation(
    deps,
    [...revoked, auth.sessionId],
    scope === 'global' ? 'logout_global' : 'logout',
    revoked.length,
  );
  meta.log.info(
    {
      event: 'auth.logout',
      scope,
      user_id: auth.userId,
      session_id: auth.sessionId,
      sessions: revoked.length,
      ip: meta.ip,
    },
    'logged out',
  );
  return revoked.length;
}

/** Logout by the refresh token (cookie mode without a Bearer token). Unknown tokens do nothing. */
export async function logoutByRefreshToken(
  deps: IdentityServiceDeps,
  refreshToken: string,
  scope: 'local' | 'global',
  meta: RequestMeta,
): Promise<void> {
  if (!REFRESH_TOKEN_PATTERN.test(refreshToken)) return;
  const hash = tokenHash(refreshToken);
  const entry = await directoryLookup(deps.db, 'refresh_token', hashKey(hash));
  if (!entry) return;
  const session = await tenantTransaction(
    deps.db.appPool,
    { orgId: entry.organization_id, requestId: meta.requestId },
    async (tx) => {
      const { rows } = await tx.query(
        `SELECT s.id, s.user_id FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id WHERE rt.token_hash = $1`,
        [hash],
      );
      return rows[0] as { id: string; user_id: string } | undefined;
    },
    { readOnly: true },
  );
  if (!session) return;
  await logout(
    deps,
    { orgId: entry.organization_id, userId: session.user_id, sessionId: session.id, role: 'viewer' },
    scope,
    meta,
  );
}
