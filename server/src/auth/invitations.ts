// Owns one-time links that let someone set a password: invitations (a new member) and password
// resets (an existing member, made by an owner or admin). Tokens are returned once and stored
// only as hashes; they expire (INVITATION_TTL, PASSWORD_RESET_TTL) and work once.
//
// An invitation carries the e-mail, role and name; the user row is created only when it is
// accepted. So inviting an address answers the same whether or not that address has an account
// in another organisation (no enumeration), and an unaccepted invitation holds no address (no
// squatting): it expires, and any organisation may invite the address meanwhile. The first
// acceptance wins; a later one is refused like a used link.

import type { Role } from '@sertantai/core';
import { type Tx, tenantTransaction } from '../db/tenant.ts';
import { conflict, forbidden, notFound } from '../http/errors.ts';
import type { AuthContext } from '../http/request-auth.ts';
import { contextOf } from '../http/tenant-context.ts';
import { enforceLimit } from './issue-tokens.ts';
import { newOpaqueToken, tokenHash } from './refresh-tokens.ts';
import type { IdentityServiceDeps, RequestMeta } from './types.ts';
import { lockMember, type UserRow } from './users.ts';

export type NewInvitation = { email: string; role: Role; name?: string | undefined };
export type IssuedLink = { token: string; expires_at: Date };
/** A member as listed: a user, or an open invitation (id = the invitation's id). */
export type MemberRow = UserRow & { invitation_pending: boolean; invitation_expires_at: Date | null };

const PENDING_COLUMNS = `id, organization_id, email, name, role, NULL::timestamptz AS confirmed_at,
  created_at, created_at AS updated_at, true AS invitation_pending, expires_at AS invitation_expires_at`;

const alreadyMember = () =>
  conflict('This address is already a member of your organisation.', { field: 'email' });
const alreadyInvited = (invitationId: string) =>
  conflict('This address already has an open invitation: re-send it instead.', {
    field: 'email',
    reason: 'already_invited',
    member_id: invitationId,
  });

/** Owners and admins invite, re-send and reset, within limits per actor and per organisation. */
async function checkInviteLimit(deps: IdentityServiceDeps, auth: AuthContext, meta: RequestMeta) {
  enforceLimit(deps, meta, 'invite', await deps.limits.invitation(auth.userId, auth.orgId));
}

async function insertLink(
  tx: Tx,
  values: {
    id?: string;
    orgId: string;
    kind: 'invitation' | 'password_reset';
    userId: string | null;
    email: string | null;
    role: Role | null;
    name: string | null;
    invitedBy: string;
    ttlSeconds: number;
  },
) {
  const token = newOpaqueToken();
  const { rows } = await tx.query(
    `INSERT INTO invitations (id, organization_id, kind, user_id, email, role, name, token_hash,
                              invited_by_user_id, expires_at)
     VALUES (COALESCE($1, gen_random_uuid()), $2, $3, $4, $5, $6, $7, $8, $9, now() + make_interval(secs => $10))
     RETURNING ${PENDING_COLUMNS}`,
    [
      values.id ?? null,
      values.orgId,
      values.kind,
      values.userId,
      values.email,
      values.role,
      values.name,
      tokenHash(token),
      values.invitedBy,
      values.ttlSeconds,
    ],
  );
  const row = rows[0] as MemberRow;
  return { row, link: { token, expires_at: row.invitation_expires_at as Date } };
}

export async function invite(
  deps: IdentityServiceDeps,
  auth: AuthContext,
  input: NewInvitation,
  email: string,
  meta: RequestMeta,
): Promise<{ data: MemberRow; invitation: IssuedLink }> {
  await checkInviteLimit(deps, auth, meta);
  const result = await tenantTransaction(deps.db.appPool, contextOf(auth, meta.requestId), async (tx) => {
    // RLS shows this organisation's users only: another organisation's account stays invisible.
    const member = await tx.query('SELECT id FROM users WHERE email = $1', [email]);
    if (member.rowCount) throw alreadyMember();
    await tx.query(
      `DELETE FROM invitations WHERE email = $1 AND accepted_at IS NULL AND expires_at <= now()`,
      [email],
    );
    const open = await tx.query('SELECT id FROM invitations WHERE email = $1 AND accepted_at IS NULL', [
      email,
    ]);
    if (open.rowCount) throw alreadyInvited(open.rows[0].id);
    return insertLink(tx, {
      orgId: auth.orgId,
      kind: 'invitation',
      userId: null,
      email,
      role: input.role,
      name: input.name?.trim() || null,
      invitedBy: auth.userId,
      ttlSeconds: deps.config.invitationTtl,
    });
  }).catch((error: { code?: string; constraint?: string }) => {
    if (error.code === '23505' && error.constraint === 'invitations_open_email_idx') {
      throw conflict('This address already has an open invitation: re-send it instead.', { field: 'email' });
    }
    throw error;
  });
  meta.log.info(
    { event: 'auth.member_invited', by_user_id: auth.userId, invitation_id: result.row.id, role: input.role },
    'member invited',
  );
  return { data: result.row, invitation: result.link };
}

/** A new token for an open (or expired) invitation; the old token stops working. */
export async function resendInvitation(
  deps: IdentityServiceDeps,
  auth: AuthContext,
  memberId: string,
  meta: RequestMeta,
): Promise<{ data: MemberRow; invitation: IssuedLink }> {
  await checkInviteLimit(deps, auth, meta);
  const result = await tenantTransaction(deps.db.appPool, contextOf(auth, meta.requestId), async (tx) => {
    const { rows } = await tx.query(
      `DELETE FROM invitations
        WHERE id = (SELECT id FROM invitations
                     WHERE kind = 'invitation' AND accepted_at IS NULL AND (id = $1 OR user_id = $1)
                     ORDER BY created_at DESC LIMIT 1 FOR UPDATE)
        RETURNING id, user_id, email, role, name`,
      [memberId],
    );
    const old = rows[0];
    if (!old) throw notFound('Open invitation');
    if (old.role === 'owner' && auth.role !== 'owner') throw forbidden('Only an owner can invite an owner.');
    // A row from before migration 072 points at a waiting user: keep it that way.
    const legacy = old.user_id ? await lockMember(tx, old.user_id) : undefined;
    return insertLink(tx, {
      id: old.id,
      orgId: auth.orgId,
      kind: 'invitation',
      userId: old.user_id,
      email: old.email,
      role: old.role,
      name: old.name,
      invitedBy: auth.userId,
      ttlSeconds: deps.config.invitationTtl,
    }).then(({ row, link }) => ({
      row: legacy ? { ...row, ...legacy, invitation_pending: true } : row,
      link,
    }));
  });
  meta.log.info(
    { event: 'auth.invitation_resent', by_user_id: auth.userId, invitation_id: result.row.id },
    'invitation re-sent',
  );
  return { data: result.row, invitation: result.link };
}

/** A one-time link with which a member sets a new password; accepting it ends their sessions. */
export async function createPasswordReset(
  deps: IdentityServiceDeps,
  auth: AuthContext,
  memberId: string,
  meta: RequestMeta,
): Promise<{ data: UserRow; reset: IssuedLink }> {
  await checkInviteLimit(deps, auth, meta);
  const result = await tenantTransaction(deps.db.appPool, contextOf(auth, meta.requestId), async (tx) => {
    const member = await lockMember(tx, memberId);
    if (member.role === 'owner' && auth.role !== 'owner') {
      throw forbidden('Only an owner can reset an owner’s password.');
    }
    await tx.query(
      `DELETE FROM invitations WHERE user_id = $1 AND kind = 'password_reset' AND accepted_at IS NULL`,
      [memberId],
    );
    const { link } = await insertLink(tx, {
      orgId: auth.orgId,
      kind: 'password_reset',
      userId: memberId,
      email: null,
      role: null,
      name: null,
      invitedBy: auth.userId,
      ttlSeconds: deps.config.passwordResetTtl,
    });
    return { data: member, reset: link };
  });
  meta.log.info(
    { event: 'auth.password_reset_link', by_user_id: auth.userId, user_id: memberId },
    'password reset link made',
  );
  return result;
}

/**
 * Ends every open link (invitation or password reset) `issuerId` made: called when they are
 * removed or their role is lowered. A reset link works for whoever holds it, and its maker held
 * it: without this, an admin removed (or made a viewer) could still, within the link's lifetime,
 * set a colleague's password and sign in as them — back in, with the colleague's role.
 */
export async function revokeLinksIssuedBy(tx: Tx, issuerId: string): Promise<number> {
  const { rowCount } = await tx.query(
    'DELETE FROM invitations WHERE invited_by_user_id = $1 AND accepted_at IS NULL',
    [issuerId],
  );
  return rowCount ?? 0;
}

/**
 * Ends the open password-reset links made for `memberId`: called when their role changes. A
 * link is checked against the member's role when it is made (an admin cannot make one for an
 * owner); without this, an admin's link for a member who is then made owner signed the admin
 * in as that owner.
 */
export async function revokeResetLinksFor(tx: Tx, memberId: string): Promise<void> {
  await tx.query(
    `DELETE FROM invitations WHERE user_id = $1 AND kind = 'password_reset' AND accepted_at IS NULL`,
    [memberId],
  );
}

/** Open invitations, listed beside the users by listMembers. */
export async function openInvitations(tx: Tx): Promise<MemberRow[]> {
  const { rows } = await tx.query(
    `SELECT ${PENDING_COLUMNS} FROM invitations
      WHERE kind = 'invitation' AND accepted_at IS NULL AND user_id IS NULL`,
  );
  return rows;
}

/**
 * Cancels an open invitation by its id; false when there is none. An invitation to be an owner
 * is an owner's business, as inviting, re-sending it and removing an owner are: 403 for others.
 */
export async function cancelInvitation(tx: Tx, auth: AuthContext, invitationId: string): Promise<boolean> {
  const { rows } = await tx.query(
    `SELECT role FROM invitations
      WHERE id = $1 AND kind = 'invitation' AND accepted_at IS NULL AND user_id IS NULL FOR UPDATE`,
    [invitationId],
  );
  if (!rows[0]) return false;
  if (rows[0].role === 'owner' && auth.role !== 'owner') {
    throw forbidden('Only an owner can cancel an invitation to be an owner.');
  }
  await tx.query('DELETE FROM invitations WHERE id = $1', [invitationId]);
  return true;
}
