// Owns starting a session with credentials: registering a new organisation with its owner, and
// logging in. A login does the same database and argon2 work whether or not the e-mail exists.
import { randomUUID } from 'node:crypto';
import { tenantRead, tenantTransaction } from '../db/tenant.ts';
import { AppError, unauthorized } from '../http/errors.ts';
import { insertDefaultStrategies } from './default-strategies.ts';
import { enforceLimit, openSession, withAccessToken } from './issue-tokens.ts';
import { hashPassword, verifyDummyPassword, verifyPassword } from './passwords.ts';
import type { IdentityServiceDeps, IssuedTokens, RequestMeta } from './types.ts';
import {
  directoryLookup,
  emailTaken,
  loadOrganization,
  mapEmailConflict,
  normaliseEmail,
  ORG_COLUMNS,
  type OrganizationRow,
  slugFor,
  USER_COLUMNS,
  type UserRow,
} from './users.ts';

export type Registration = {
  email: string;
  password: string;
  organization_name: string;
  name?: string | undefined;
};
export type Credentials = { email: string; password: string };

const registrationClosed = () =>
  new AppError(
    403,
    'REGISTRATION_CLOSED',
    'Sign-up is closed on this server: ask an administrator of your organisation for an invitation.',
  );

const invalidCredentials = () =>
  unauthorized('INVALID_CREDENTIALS', 'The e-mail address or password is not correct.');

export async function register(
  deps: IdentityServiceDeps,
  input: Registration,
  meta: RequestMeta,
): Promise<IssuedTokens> {
  if (!deps.config.allowRegistration) throw registrationClosed();
  const email = normaliseEmail(input.email);
  enforceLimit(deps, meta, 'register', await deps.limits.registration(meta.ip, email));
  if (await directoryLookup(deps.db, 'email', email)) throw emailTaken();
  const passwordHash = await hashPassword(input.password);
  const orgId = randomUUID();
  const userId = randomUUID();
  const organizationName = input.organization_name.trim();
  const issued = await tenantTransaction(
    deps.db.appPool,
    { orgId, userId, requestId: meta.requestId },
    async (tx) => {
      const organization = (
        await tx.query(
          `INSERT INTO organizations (id, name, slug) VALUES ($1, $2, $3) RETURNING ${ORG_COLUMNS}`,
          [orgId, organizationName, slugFor(organizationName)],
        )
      ).rows[0] as OrganizationRow;
      const user = (
        await tx.query(
          `INSERT INTO users (id, organization_id, email, name, password_hash, role, confirmed_at)
           VALUES ($1, $2, $3, $4, $5, 'owner', now()) RETURNING ${USER_COLUMNS}`,
          [userId, orgId, email, input.name?.trim() || null, passwordHash],
        )
      ).rows[0] as UserRow;
      await insertDefaultStrategies(tx, orgId);
      const session = await openSession(deps, tx, user, meta);
      return { user, organization, ...session };
    },
  ).catch(mapEmailConflict);
  meta.log.info(
    { event: 'auth.register', user_id: userId, org_id: orgId, session_id: issued.sessionId, ip: meta.ip },
    'organisation registered',
  );
  return withAccessToken(deps, issued);
}

export async function login(
  deps: IdentityServiceDeps,
  input: Credentials,
  meta: RequestMeta,
): Promise<IssuedTokens> {
  const email = normaliseEmail(input.email);
  const { limits } = deps;
  const verdict = await limits.loginGate(email, meta.ip);
  if (!verdict.ok) deps.metrics.logins.inc({ result: 'rate_limited' });
  enforceLimit(deps, meta, 'login', verdict);

  const entry = await directoryLookup(deps.db, 'email', email);
  // For an unknown e-mail the same read runs against a random organisation (it finds
  // nothing), so both failures cost the same database work as well as the same argon2 work.
  // One statement in one round trip (tenantRead: BEGIN, settings, read and COMMIT together).
  const [found] = await tenantRead<UserRow & { password_hash: string | null }>(
    deps.db.appPool,
    { orgId: entry?.organization_id ?? randomUUID(), requestId: meta.requestId },
    `SELECT ${USER_COLUMNS}, password_hash FROM users WHERE id = $1`,
    [entry?.entity_id ?? randomUUID()],
    { operation: 'auth_lookup' },
  );
  const ok = found?.password_hash
    ? await verifyPassword(found.password_hash, input.password)
    : await verifyDummyPassword(input.password);
  if (!ok || !found) {
    await limits.loginFailed(email, meta.ip);
    deps.metrics.logins.inc({ result: 'failed' });
    deps.metrics.failures.inc({ reason: 'invalid_credentials' });
    meta.log.info(
      {
        event: 'auth.login',
        result: 'failed',
        reason: !found ? 'unknown_email' : found.password_hash ? 'wrong_password' : 'no_password',
        user_id: found?.id,
        ip: meta.ip,
      },
      'login failed',
    );
    throw invalidCredentials();
  }
  const { password_hash: _hash, ...user } = found;
  const epoch = deps.revocation.notificationEpoch;
  // The failure count is cleared while the session is opened (independent writes, one round
  // trip less); the answer waits for both.
  const [, issued] = await Promise.all([
    limits.loginSucceeded(email, meta.ip),
    tenantTransaction(
      deps.db.appPool,
      { orgId: user.organization_id, userId: user.id, requestId: meta.requestId },
      async (tx) => {
        const [organization, session] = await Promise.all([
          loadOrganization(tx),
          openSession(deps, tx, user, meta),
        ]);
        return { user, organization, ...session };
      },
    ),
  ]);
  deps.revocation.markOpened(issued.sessionId, epoch);
  deps.metrics.logins.inc({ result: 'ok' });
  meta.log.info(
    {
      event: 'auth.login',
      result: 'ok',
      user_id: user.id,
      org_id: user.organization_id,
      session_id: issued.sessionId,
      ip: meta.ip,
    },
    'login succeeded',
  );
  return withAccessToken(deps, issued);
}
