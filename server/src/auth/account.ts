// Owns what a signed-in user does to their own account: changing the password. The current
// password is required and counts as a login attempt (a stolen access token cannot be used to
// guess it faster than a login could); the change ends every other session of the user.
import { tenantTransaction } from '../db/tenant.ts';
import { validationError } from '../http/errors.ts';
import type { AuthContext } from '../http/request-auth.ts';
import { contextOf } from '../http/tenant-context.ts';
import { afterRevocation, enforceLimit } from './issue-tokens.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { revokeSessions } from './revocation.ts';
import type { IdentityServiceDeps, RequestMeta } from './types.ts';

export type PasswordChange = { current_password: string; new_password: string };

export async function changePassword(
  deps: IdentityServiceDeps,
  auth: AuthContext,
  input: PasswordChange,
  meta: RequestMeta,
): Promise<{ sessions_ended: number }> {
  const context = contextOf(auth, meta.requestId);
  const found = await tenantTransaction(
    deps.db.appPool,
    context,
    async (tx) => {
      const { rows } = await tx.query('SELECT email, password_hash FROM users WHERE id = $1', [auth.userId]);
      return rows[0] as { email: string; password_hash: string | null } | undefined;
    },
    { readOnly: true },
  );
  if (!found) throw validationError('This account no longer exists.');
  enforceLimit(deps, meta, 'password_change', await deps.limits.loginGate(found.email, meta.ip));
  if (!found.password_hash || !(await verifyPassword(found.password_hash, input.current_password))) {
    await deps.limits.loginFailed(found.email, meta.ip);
    meta.log.info(
      { event: 'auth.password_change', result: 'wrong_password', user_id: auth.userId },
      'refused',
    );
    // Not a 401: the caller's token is fine, and a 401 would sign the browser out.
    throw validationError('The current password is not correct.', {
      issues: [{ path: 'body.current_password', message: 'is not correct' }],
    });
  }
  const newHash = await hashPassword(input.new_password);
  const revoked = await tenantTransaction(deps.db.appPool, context, async (tx) => {
    await tx.query('UPDATE users SET password_hash = $2 WHERE id = $1', [auth.userId, newHash]);
    return revokeSessions(tx, 'password_changed', 'user', auth.userId, auth.sessionId);
  });
  await deps.limits.loginSucceeded(found.email, meta.ip);
  afterRevocation(deps, revoked, 'password_changed');
  meta.log.info(
    { event: 'auth.password_change', result: 'ok', user_id: auth.userId, sessions_revoked: revoked.length },
    'password changed',
  );
  return { sessions_ended: revoked.length };
}
