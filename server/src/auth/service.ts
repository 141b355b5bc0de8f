// Owns the identity service's contract: what routes.ts calls (registration, login, refresh-token
// rotation with reuse detection, logout, invitations and member management, the own account)
// and what it needs. The behaviour lives by idea beside it — login.ts, sessions.ts, members.ts,
// invitations.ts, account.ts, with the shared
// steps in issue-tokens.ts and users.ts and the shared types in types.ts. Every tenant row is read and written inside
// tenantTransaction as the runtime role; the tenant of a login or refresh is found first
// through directory_lookup (e-mail or token hash → organisation).
import type { AuthContext } from '../http/request-auth.ts';
import { changePassword, type PasswordChange } from './account.ts';
import { acceptInvitation, type InvitationAcceptance } from './invitation-acceptance.ts';
import { createPasswordReset, resendInvitation } from './invitations.ts';
import { type Credentials, login, type Registration, register } from './login.ts';
import {
  type AddedMember,
  addMember,
  listMembers,
  type MemberChange,
  me,
  type NewMember,
  removeMember,
  updateMember,
} from './members.ts';
import { logout, logoutByRefreshToken, refresh } from './sessions.ts';
import type { IdentityServiceDeps, IssuedTokens, RequestMeta } from './types.ts';
import type { OrganizationRow, UserRow } from './users.ts';

export { REFRESH_GRACE_SECONDS } from './sessions.ts';
export { normaliseEmail, type OrganizationRow, slugFor, type UserRow } from './users.ts';

export class IdentityService {
  constructor(private readonly deps: IdentityServiceDeps) {}

  register(input: Registration, meta: RequestMeta): Promise<IssuedTokens> {
    return register(this.deps, input, meta);
  }

  login(input: Credentials, meta: RequestMeta): Promise<IssuedTokens> {
    return login(this.deps, input, meta);
  }

  refresh(refreshToken: string, meta: RequestMeta): Promise<IssuedTokens> {
    return refresh(this.deps, refreshToken, meta);
  }

  /** Revokes the caller's session (local) or all the user's sessions (global). */
  logout(auth: AuthContext, scope: 'local' | 'global', meta: RequestMeta): Promise<number> {
    return logout(this.deps, auth, scope, meta);
  }

  /** Logout by the refresh token (cookie mode without a Bearer token). Unknown tokens do nothing. */
  logoutByRefreshToken(refreshToken: string, scope: 'local' | 'global', meta: RequestMeta): Promise<void> {
    return logoutByRefreshToken(this.deps, refreshToken, scope, meta);
  }

  me(auth: AuthContext, requestId: string): Promise<{ user: UserRow; organization: OrganizationRow }> {
    return me(this.deps, auth, requestId);
  }

  listMembers(auth: AuthContext, requestId: string) {
    return listMembers(this.deps, auth, requestId);
  }

  addMember(auth: AuthContext, input: NewMember, meta: RequestMeta): Promise<AddedMember> {
    return addMember(this.deps, auth, input, meta);
  }

  updateMember(
    auth: AuthContext,
    memberId: string,
    input: MemberChange,
    meta: RequestMeta,
  ): Promise<UserRow> {
    return updateMember(this.deps, auth, memberId, input, meta);
  }

  removeMember(auth: AuthContext, memberId: string, meta: RequestMeta): Promise<void> {
    return removeMember(this.deps, auth, memberId, meta);
  }

  acceptInvitation(input: InvitationAcceptance, meta: RequestMeta): Promise<IssuedTokens> {
    return acceptInvitation(this.deps, input, meta);
  }

  /** A new token for an open invitation (the old one dies). */
  resendInvitation(auth: AuthContext, memberId: string, meta: RequestMeta) {
    return resendInvitation(this.deps, auth, memberId, meta);
  }

  /** A one-time link with which a member sets a new password. */
  createPasswordReset(auth: AuthContext, memberId: string, meta: RequestMeta) {
    return createPasswordReset(this.deps, auth, memberId, meta);
  }

  changePassword(auth: AuthContext, input: PasswordChange, meta: RequestMeta) {
    return changePassword(this.deps, auth, input, meta);
  }
}
