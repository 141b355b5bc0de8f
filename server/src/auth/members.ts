// Owns who belongs to an organisation: the caller's own account (me), listing (users and open
// invitations), adding (with a password, or by invitation: invitations.ts), changing and
// removing members. An organisation always keeps at least one owner; a changed role ends the
// member's sessions, and a removal or a lower role ends the open links the member made.
//
// Adding with a password creates an account, as POST /auth/register does: both answer 409 for
// an address that has an account anywhere (the unique e-mail cannot be hidden there), and both
// are rate-limited. Inviting never reveals it (see invitations.ts).

import { type Role, roleAtLeast } from '@sertantai/core';
import { tenantTransaction } from '../db/tenant.ts';
import { conflict, forbidden, unauthorized } from '../http/errors.ts';
import type { AuthContext } from '../http/request-auth.ts';
import { contextOf } from '../http/tenant-context.ts';
import {
  cancelInvitation,
  type IssuedLink,
  invite,
  type MemberRow,
  openInvitations,
  revokeLinksIssuedBy,
  revokeResetLinksFor,
} from './invitations.ts';
import { afterRevocation, enforceLimit } from './issue-tokens.ts';
import { hashPassword } from './passwords.ts';
import { revokeSessions } from './revocation.ts';
import type { IdentityServiceDeps, RequestMeta } from './types.ts';
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
export type AddedMember = { user: UserRow | MemberRow; invitation?: IssuedLink };
export type MemberChange = { role?: Role | undefined; name?: string | null | undefined };

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
    async (tx): Promise<MemberRow[]> => {
      const { rows } = await tx.query(
        `SELECT ${prefixed('u', USER_COLUMNS)},
                u.password_hash IS NULL AS invitation_pending,
                (SELECT max(i.expires_at) FROM invitations i
                  WHERE i.user_id = u.id AND i.kind = 'invitation' AND i.accepted_at IS NULL
                    AND u.password_hash IS NULL) AS invitation_expires_at
           FROM users u`,
      );
      const members = [...(rows as MemberRow[]), ...(await openInvitations(tx))];
      return members.sort(
        (a, b) => a.created_at.getTime() - b.created_at.getTime() || a.email.localeCompare(b.email),
      );
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
  if (input.password === undefined) {
    const { data, invitation } = await invite(deps, auth, input, email, meta);
    return { user: data, invitation };
  }
  enforceLimit(deps, meta, 'invite', await deps.limits.invitation(auth.userId, auth.orgId));
  if (await directoryLookup(deps.db, 'email', email)) throw emailTaken();
  const passwordHash = await hashPassword(input.password);
  const result = await tenantTransaction(deps.db.appPool, contextOf(auth, meta.requestId), async (tx) => {
    const user = (
      await tx.query(
        `INSERT INTO users (organization_id, email, name, password_hash, role, confirmed_at)
           VALUES ($1, $2, $3, $4, $5, now())
           RETURNING ${USER_COLUMNS}`,
        [auth.orgId, email, input.name?.trim() || null, passwordHash, input.role],
      )
    ).rows[0] as UserRow;
    return { user };
  }).catch(mapEmailConflict);
  meta.log.info(
    {
      event: 'auth.member_added',
      by_user_id: auth.userId,
      user_id: result.user.id,
      role: input.role,
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
    // The links they made with their old rights end with those rights, and links made for them
    // were allowed for their old role only.
    if (!roleAtLeast(newRole, target.role)) await revokeLinksIssuedBy(tx, memberId);
    if (newRole !== target.role) await revokeResetLinksFor(tx, memberId);
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
    // An open invitation is listed as a member: removing it cancels it.
    if (await cancelInvitation(tx, auth, memberId)) return [];
    const owners = await lockOwners(tx);
    const target = await lockMember(tx, memberId);
    if (auth.role !== 'owner' && target.role === 'owner') {
      throw forbidden('Only an owner can remove an owner.');
    }
    if (target.role === 'owner' && owners.length <= 1) {
      throw lastOwner();
    }
    const ids = await revokeSessions(tx, 'member_removed', 'user', memberId);
    await revokeLinksIssuedBy(tx, memberId);
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
