// Owns who belongs to an organisation: the caller's own account (me), listing, adding (with a
// password, or by invitation), changing and removing members, and accepting an invitation.
// An organisation always keeps at least one owner; a changed role ends the member's sessions.
import { tenantTransaction } from '../db/tenant.ts';
import { conflict, forbidden, unauthorized } from '../http/errors.ts';
import { contextOf } from '../http/tenant-context.ts';
import type { AuthContext } from './authenticate.ts';
import { afterRevocation, enforceLimit, openSession, withAccessToken } from './issue-tokens.ts';
import { hashPassword } from './passwords.ts';
import { hashKey, newOpaqueToken, REFRESH_TOKEN_PATTERN, tokenHash } from './refresh-tokens.ts';
import { revokeSessions } from './revocation.ts';
import type { IdentityServiceDeps, IssuedTokens, RequestMeta } from './service.ts';
import type { Role } from './tokens.ts';
import {
  directoryLookup,
  emailTaken,
  loadOrganization,
  loadUser,
  lockMember,
  lockOwners,
  mapEmailConflict,
  normaliseEmail,
  type OrganizationRow,
  prefixed,
  USER_COLUMNS,
  type UserRow,
} from './users.ts';

export const INVITATION_TTL_DAYS = 7;

const lastOwner = () =>
  conflict('An organisation needs at least one owner: make someone else owner first.', {
    reason: 'last_owner',
  });

/** Without a password the member is invited: the answer carries the invitation token. */
export type NewMember = {
  email: string;
  role: Role;
  password?: string | undefined;
  name?: string | undefined;
};
export type AddedMember = { user: UserRow; invitation?: { token: string; expires_at: Date } };
export type MemberChange = { role?: Role | undefined; name?: string | null | undefined };
export type InvitationAcceptance = { token: string; password: string };

export async function me(
  deps: IdentityServiceDeps,
  auth: AuthContext,
  requestId: string,
): Promise<{ user: UserRow; organization: OrganizationRow }> {
  return tenantTransaction(
    deps.db.appPool,
    contextOf(auth, requestId),
    async (tx) => {
      const user = await loadUser(tx, auth.userId);
      if (!user) throw unauthorized('TOKEN_REVOKED', 'This account no longer exists. Sign in again.');
      return { user, organization: await loadOrganization(tx) };
    },
    { readOnly: true },
  );
}

export async function listMembers(deps: IdentityServiceDeps, auth: AuthContext, requestId: string) {
  return tenantTransaction(
    deps.db.appPool,
    contextOf(auth, requestId),
    async (tx) => {
      const { rows } = await tx.query(
        `SELECT ${prefixed('u', USER_COLUMNS)},
                u.password_hash IS NULL AS invitation_pending
           FROM users u ORDER BY u.created_at, u.email`,
      );
      return rows as Array<UserRow & { invitation_pending: boolean }>;
    },
    { readOnly: true },
  );
}

export async function addMember(
  deps: IdentityServiceDeps,
  auth: AuthContext,
  input: NewMember,
  meta: RequestMeta,
): Promise<AddedMember> {
  if (input.role === 'owner' && auth.role !== 'owner') {
    throw forbidden('Only an owner can add another owner.');
  }
  const email = normaliseEmail(input.email);
  if (await directoryLookup(deps.db, 'email', email)) throw emailTaken();
  const passwordHash = input.password === undefined ? null : await hashPassword(input.password);
  const result = await tenantTransaction(deps.db.appPool, contextOf(auth, meta.requestId), async (tx) => {
    const user = (
      await tx.query(
        `INSERT INTO users (organization_id, email, name, password_hash, role, confirmed_at)
           VALUES ($1, $2, $3, $4, $5, CASE WHEN $4::text IS NULL THEN NULL ELSE now() END)
           RETURNING ${USER_COLUMNS}`,
        [auth.orgId, email, input.name?.trim() || null, passwordHash, input.role],
      )
    ).rows[0] as UserRow;
    if (passwordHash !== null) return { user };
    const token = newOpaqueToken();
    const { rows } = await tx.query(
      `INSERT INTO invitations (organization_id, user_id, token_hash, invited_by_user_id, expires_at)
         VALUES ($1, $2, $3, $4, now() + make_interval(days => $5)) RETURNING expires_at`,
      [auth.orgId, user.id, tokenHash(token), auth.userId, INVITATION_TTL_DAYS],
    );
    return { user, invitation: { token, expires_at: rows[0].expires_at as Date } };
  }).catch(mapEmailConflict);
  meta.log.info(
    {
      event: 'auth.member_added',
      by_user_id: auth.userId,
      user_id: result.user.id,
      role: input.role,
      invited: result.invitation !== undefined,
      org_id: auth.orgId,
    },
    'member added',
  );
  return result;
}

export async function updateMember(
  deps: IdentityServiceDeps,
  auth: AuthContext,
  memberId: string,
  input: MemberChange,
  meta: RequestMeta,
): Promise<UserRow> {
  const outcome = await tenantTransaction(deps.db.appPool, contextOf(auth, meta.requestId), async (tx) => {
    const owners = await lockOwners(tx);
    const target = await lockMember(tx, memberId);
    const newRole = input.role ?? target.role;
    if (auth.role !== 'owner' && (target.role === 'owner' || newRole === 'owner')) {
      throw forbidden('Only an owner can change an owner or make someone an owner.');
    }
    if (target.role === 'owner' && newRole !== 'owner' && owners.length <= 1) {
      throw lastOwner();
    }
    const user = (
      await tx.query(
        `UPDATE users SET role = $2, name = CASE WHEN $3::boolean THEN $4 ELSE name END
            WHERE id = $1 RETURNING ${USER_COLUMNS}`,
        [memberId, newRole, input.name !== undefined, input.name?.trim() || null],
      )
    ).rows[0] as UserRow;
    // Access tokens carry the role: a changed role ends the member's sessions so no token
    // keeps the old one. They sign in again (or refresh into a dead session).
    const revoked = newRole !== target.role ? await revokeSessions(tx, 'role_changed', 'user', memberId) : [];
    return { user, revoked, from: target.role };
  });
  afterRevocation(deps, outcome.revoked, 'role_changed');
  meta.log.info(
    {
      event: 'auth.member_updated',
      by_user_id: auth.userId,
      user_id: memberId,
      from_role: outcome.from,
      to_role: outcome.user.role,
      sessions_revoked: outcome.revoked.length,
    },
    'member updated',
  );
  return outcome.user;
}

export async function removeMember(
  deps: IdentityServiceDeps,
  auth: AuthContext,
  memberId: string,
  meta: RequestMeta,
): Promise<void> {
  const revoked = await tenantTransaction(deps.db.appPool, contextOf(auth, meta.requestId), async (tx) => {
    const owners = await lockOwners(tx);
    const target = await lockMember(tx, memberId);
    if (auth.role !== 'owner' && target.role === 'owner') {
      throw forbidden('Only an owner can remove an owner.');
    }
    if (target.role === 'owner' && owners.length <= 1) {
      throw lastOwner();
    }
    const ids = await revokeSessions(tx, 'member_removed', 'user', memberId);
    await tx.query('DELETE FROM users WHERE id = $1', [memberId]);
    return ids;
  });
  afterRevocation(deps, revoked, 'member_removed');
  meta.log.info(
    {
      event: 'auth.member_removed',
      by_user_id: auth.userId,
      user_id: memberId,
      sessions_revoked: revoked.length,
    },
    'member removed',
  );
}

export async function acceptInvitation(
  deps: IdentityServiceDeps,
  input: InvitationAcceptance,
  meta: RequestMeta,
): Promise<IssuedTokens> {
  enforceLimit(deps, meta, 'invitation', await deps.limits.tokenRequest(meta.ip));
  const invalid = () => {
    deps.metrics.failures.inc({ reason: 'invalid_invitation' });
    meta.log.info({ event: 'auth.invitation_accept', result: 'invalid', ip: meta.ip }, 'invitation refused');
    return unauthorized('INVALID_TOKEN', 'This invitation is not valid, was already used, or has expired.');
  };
  if (!REFRESH_TOKEN_PATTERN.test(input.token)) throw invalid();
  const hash = tokenHash(input.token);
  const entry = await directoryLookup(deps.db, 'invitation', hashKey(hash));
  if (!entry) throw invalid();
  const passwordHash = await hashPassword(input.password);
  const issued = await tenantTransaction(
    deps.db.appPool,
    { orgId: entry.organization_id, requestId: meta.requestId },
    async (tx) => {
      const { rows } = await tx.query(
        `SELECT id, user_id FROM invitations
          WHERE token_hash = $1 AND accepted_at IS NULL AND expires_at > now() FOR UPDATE`,
        [hash],
      );
      if (!rows[0]) return undefined;
      await tx.query('UPDATE invitations SET accepted_at = now() WHERE id = $1', [rows[0].id]);
      const user = (
        await tx.query(
          `UPDATE users SET password_hash = $2, confirmed_at = COALESCE(confirmed_at, now())
            WHERE id = $1 RETURNING ${USER_COLUMNS}`,
          [rows[0].user_id, passwordHash],
        )
      ).rows[0] as UserRow | undefined;
      if (!user) return undefined;
      return {
        user,
        organization: await loadOrganization(tx),
        ...(await openSession(deps, tx, user, meta)),
      };
    },
  );
  if (!issued) throw invalid();
  meta.log.info(
    {
      event: 'auth.invitation_accept',
      result: 'ok',
      user_id: issued.user.id,
      org_id: issued.user.organization_id,
      ip: meta.ip,
    },
    'invitation accepted',
  );
  return withAccessToken(deps, issued);
}
