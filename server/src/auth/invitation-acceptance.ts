// Owns accepting a one-time link (an invitation or a password reset): the token is checked,
// spent, and the password set — creating the invited user, or, for a reset, ending the
// member's other sessions — and the holder is signed in.
import { tenantTransaction } from '../db/tenant.ts';
import { unauthorized } from '../http/errors.ts';
import { afterRevocation, enforceLimit, openSession, withAccessToken } from './issue-tokens.ts';
import { hashPassword } from './passwords.ts';
import { hashKey, REFRESH_TOKEN_PATTERN, tokenHash } from './refresh-tokens.ts';
import { revokeSessions } from './revocation.ts';
import type { IdentityServiceDeps, IssuedTokens, RequestMeta } from './types.ts';
import { directoryLookup, loadOrganization, USER_COLUMNS, type UserRow } from './users.ts';

export type InvitationAcceptance = { token: string; password: string };

export async function acceptInvitation(
  deps: IdentityServiceDeps,
  input: InvitationAcceptance,
  meta: RequestMeta,
): Promise<IssuedTokens> {
  enforceLimit(deps, meta, 'invitation', await deps.limits.tokenRequest(meta.ip));
  const invalid = (reason: string) => {
    deps.metrics.failures.inc({ reason: 'invalid_invitation' });
    meta.log.info(
      { event: 'auth.invitation_accept', result: 'invalid', reason, ip: meta.ip },
      'invitation refused',
    );
    // The same answer when the address meanwhile has an account: the token holder may be the
    // inviting admin, who must not learn that way which addresses have accounts.
    return unauthorized('INVALID_TOKEN', 'This invitation is not valid, was already used, or has expired.');
  };
  if (!REFRESH_TOKEN_PATTERN.test(input.token)) throw invalid('malformed');
  const hash = tokenHash(input.token);
  const entry = await directoryLookup(deps.db, 'invitation', hashKey(hash));
  if (!entry) throw invalid('unknown');
  const passwordHash = await hashPassword(input.password);
  const outcome = await tenantTransaction(
    deps.db.appPool,
    { orgId: entry.organization_id, requestId: meta.requestId },
    async (tx) => {
      const { rows } = await tx.query(
        `SELECT id, kind, user_id, email, role, name FROM invitations
          WHERE token_hash = $1 AND accepted_at IS NULL AND expires_at > now() FOR UPDATE`,
        [hash],
      );
      const link = rows[0];
      if (!link) return { kind: 'invalid' as const, reason: 'used_or_expired' };
      await tx.query('UPDATE invitations SET accepted_at = now() WHERE id = $1', [link.id]);
      let user: UserRow | undefined;
      let revoked: string[] = [];
      if (link.user_id) {
        user = (
          await tx.query(
            `UPDATE users SET password_hash = $2, confirmed_at = COALESCE(confirmed_at, now())
              WHERE id = $1 RETURNING ${USER_COLUMNS}`,
            [link.user_id, passwordHash],
          )
        ).rows[0];
        if (link.kind === 'password_reset')
          revoked = await revokeSessions(tx, 'password_reset', 'user', link.user_id);
      } else {
        if (await directoryLookup(deps.db, 'email', link.email))
          return { kind: 'invalid' as const, reason: 'email_taken' };
        user = (
          await tx.query(
            // The member keeps the id it was listed under while invited.
            `INSERT INTO users (id, organization_id, email, name, password_hash, role, confirmed_at)
             VALUES ($1, $2, $3, $4, $5, $6, now()) RETURNING ${USER_COLUMNS}`,
            [link.id, entry.organization_id, link.email, link.name, passwordHash, link.role],
          )
        ).rows[0];
        await tx.query('UPDATE invitations SET user_id = $2 WHERE id = $1', [link.id, user!.id]);
      }
      if (!user) return { kind: 'invalid' as const, reason: 'no_user' };
      const session = await openSession(deps, tx, user, meta);
      return {
        kind: 'ok' as const,
        revoked,
        issued: { user, organization: await loadOrganization(tx), ...session },
      };
    },
  ).catch((error: { code?: string; constraint?: string }) => {
    // Two organisations' invitations for one address accepted at the same moment: one wins.
    if (error.code === '23505' && error.constraint === 'users_email_key') {
      return { kind: 'invalid' as const, reason: 'email_taken' };
    }
    throw error;
  });
  if (outcome.kind === 'invalid') throw invalid(outcome.reason);
  afterRevocation(deps, outcome.revoked, 'password_reset');
  meta.log.info(
    {
      event: 'auth.invitation_accept',
      result: 'ok',
      user_id: outcome.issued.user.id,
      org_id: outcome.issued.user.organization_id,
      sessions_revoked: outcome.revoked.length,
      ip: meta.ip,
    },
    'invitation accepted',
  );
  return withAccessToken(deps, outcome.issued);
}
