// Owns the identity service's behaviour: registration, login, refresh-token rotation with reuse
// detection, logout, invitations and member management. Every tenant row is read and written
// inside tenantTransaction as the runtime role; the tenant of a login or refresh is found first
// through directory_lookup (e-mail or token hash → organisation).
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import { type Tx, tenantTransaction } from '../db/tenant.ts';
import { type AppError, conflict, forbidden, notFound, rateLimited, unauthorized } from '../http/errors.ts';
import type { AuthContext } from './authenticate.ts';
import { insertDefaultStrategies } from './default-strategies.ts';
import type { AuthMetrics } from './metrics.ts';
import { hashPassword, verifyDummyPassword, verifyPassword } from './passwords.ts';
import type { AuthRateLimits, LimitVerdict } from './rate-limit.ts';
import {
  hashKey,
  newOpaqueToken,
  REFRESH_TOKEN_PATTERN,
  successorToken,
  tokenHash,
} from './refresh-tokens.ts';
import { type RevocationCache, type RevocationReason, revokeSessions } from './revocation.ts';
import { type Role, signAccessToken, type TokenSettings } from './tokens.ts';

/** A second refresh of the same token within this many seconds gets the same successor. */
export const REFRESH_GRACE_SECONDS = 10;
export const INVITATION_TTL_DAYS = 7;

const USER_COLUMNS = 'id, organization_id, email, name, role, confirmed_at, created_at, updated_at';
const ORG_COLUMNS = 'id, name, slug, recent_threshold_days, close_threshold_distance, created_at, updated_at';

export type UserRow = {
  id: string;
  organization_id: string;
  email: string;
  name: string | null;
  role: Role;
  confirmed_at: Date | null;
  created_at: Date;
  updated_at: Date;
};
export type OrganizationRow = Record<string, unknown> & { id: string; name: string; slug: string };

/** Who is asking: for session rows, rate limits and log lines. */
export type RequestMeta = {
  ip: string;
  userAgent: string | undefined;
  requestId: string;
  log: FastifyBaseLogger;
};

export type IssuedTokens = {
  user: UserRow;
  organization: OrganizationRow;
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  sessionId: string;
};

export type IdentityServiceDeps = {
  config: Config;
  db: Database;
  revocation: RevocationCache;
  limits: AuthRateLimits;
  metrics: AuthMetrics;
  tokenSettings: TokenSettings;
};

const invalidCredentials = () =>
  unauthorized('INVALID_CREDENTIALS', 'The e-mail address or password is not correct.');
const invalidRefresh = () => unauthorized('INVALID_TOKEN', 'The refresh token is not valid.');

export class IdentityService {
  constructor(private readonly deps: IdentityServiceDeps) {}

  private get pool() {
    return this.deps.db.appPool;
  }

  // ---------------------------------------------------------------- register / login

  async register(
    input: { email: string; password: string; organization_name: string; name?: string | undefined },
    meta: RequestMeta,
  ): Promise<IssuedTokens> {
    const email = normaliseEmail(input.email);
    this.limit(meta, 'register', this.deps.limits.registerPerIp.take(meta.ip));
    this.limit(meta, 'register', this.deps.limits.registerPerEmail.take(email));
    if (await this.lookup('email', email)) throw emailTaken();
    const passwordHash = await hashPassword(input.password);
    const orgId = randomUUID();
    const userId = randomUUID();
    const organizationName = input.organization_name.trim();
    const issued = await tenantTransaction(
      this.pool,
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
        const session = await this.openSession(tx, user, meta);
        return { user, organization, ...session };
      },
    ).catch(mapEmailConflict);
    meta.log.info(
      { event: 'auth.register', user_id: userId, org_id: orgId, session_id: issued.sessionId, ip: meta.ip },
      'organisation registered',
    );
    return this.withAccessToken(issued);
  }

  async login(input: { email: string; password: string }, meta: RequestMeta): Promise<IssuedTokens> {
    const email = normaliseEmail(input.email);
    const { limits } = this.deps;
    const accountKey = `${email}|${meta.ip}`;
    for (const verdict of [
      limits.tokenPerIp.take(meta.ip),
      limits.loginPerAccountAndIp.check(accountKey),
      limits.loginPerAccount.check(email),
    ]) {
      if (!verdict.ok) this.deps.metrics.logins.inc({ result: 'rate_limited' });
      this.limit(meta, 'login', verdict);
    }

    const entry = await this.lookup('email', email);
    // For an unknown e-mail the same read runs against a random organisation (it finds
    // nothing), so both failures cost the same database work as well as the same argon2 work.
    const found = await tenantTransaction(
      this.pool,
      { orgId: entry?.organization_id ?? randomUUID(), requestId: meta.requestId },
      async (tx) => {
        const { rows } = await tx.query(`SELECT ${USER_COLUMNS}, password_hash FROM users WHERE id = $1`, [
          entry?.entity_id ?? randomUUID(),
        ]);
        return rows[0] as (UserRow & { password_hash: string | null }) | undefined;
      },
      { readOnly: true },
    );
    const ok = found?.password_hash
      ? await verifyPassword(found.password_hash, input.password)
      : await verifyDummyPassword(input.password);
    if (!ok || !found) {
      limits.loginPerAccountAndIp.fail(accountKey);
      limits.loginPerAccount.fail(email);
      this.deps.metrics.logins.inc({ result: 'failed' });
      this.deps.metrics.failures.inc({ reason: 'invalid_credentials' });
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
    limits.loginPerAccountAndIp.succeed(accountKey);
    const { password_hash: _hash, ...user } = found;
    const issued = await tenantTransaction(
      this.pool,
      { orgId: user.organization_id, userId: user.id, requestId: meta.requestId },
      async (tx) => ({
        user,
        organization: await this.organization(tx),
        ...(await this.openSession(tx, user, meta)),
      }),
    );
    this.deps.metrics.logins.inc({ result: 'ok' });
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
    return this.withAccessToken(issued);
  }

  // ---------------------------------------------------------------- refresh

  async refresh(refreshToken: string, meta: RequestMeta): Promise<IssuedTokens> {
    const { limits, metrics } = this.deps;
    this.limit(meta, 'refresh', limits.tokenPerIp.take(meta.ip));
    const reject = (result: string, error: AppError): never => {
      metrics.refreshes.inc({ result });
      metrics.failures.inc({ reason: `refresh_${result}` });
      meta.log.info({ event: 'auth.refresh', result, ip: meta.ip }, 'refresh refused');
      throw error;
    };
    if (!REFRESH_TOKEN_PATTERN.test(refreshToken)) return reject('invalid', invalidRefresh());
    const hash = tokenHash(refreshToken);
    const entry = await this.lookup('refresh_token', hashKey(hash));
    if (!entry) return reject('invalid', invalidRefresh());

    const ttl = this.deps.config.refreshTokenTtl;
    const outcome = await tenantTransaction(
      this.pool,
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
        const successor = successorToken(this.deps.config.tokenSecret, refreshToken);
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
              const user = await this.loadUser(tx, token.user_id);
              if (user) {
                return {
                  kind: 'ok',
                  result: 'grace',
                  user,
                  organization: await this.organization(tx),
                  sessionId: token.session_id,
                  refreshToken: successor,
                };
              }
            }
          }
          const revoked = await revokeSessions(tx, 'reuse_detected', 'id', token.session_id);
          return { kind: 'reused', sessionId: token.session_id, userId: token.user_id, revoked };
        }
        const verdict = limits.refreshPerSession.take(token.session_id);
        if (!verdict.ok) return { kind: 'limited', verdict };
        const user = await this.loadUser(tx, token.user_id);
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
          organization: await this.organization(tx),
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
        return this.limit(meta, 'refresh', outcome.verdict) as never;
      case 'reused': {
        // The revocation above has committed; only now is the request refused.
        this.afterRevocation(outcome.revoked, 'reuse_detected');
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
        return this.withAccessToken(outcome);
      }
    }
  }

  // ---------------------------------------------------------------- logout

  /** Revokes the caller's session (local) or all the user's sessions (global). */
  async logout(auth: AuthContext, scope: 'local' | 'global', meta: RequestMeta): Promise<number> {
    const revoked = await tenantTransaction(
      this.pool,
      { orgId: auth.orgId, userId: auth.userId, requestId: meta.requestId },
      (tx) =>
        scope === 'global'
          ? revokeSessions(tx, 'logout_global', 'user', auth.userId)
          : revokeSessions(tx, 'logout', 'id', auth.sessionId),
    );
    // The caller's own session is refused from now on even if it was revoked before.
    this.afterRevocation(
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
  async logoutByRefreshToken(
    refreshToken: string,
    scope: 'local' | 'global',
    meta: RequestMeta,
  ): Promise<void> {
    if (!REFRESH_TOKEN_PATTERN.test(refreshToken)) return;
    const hash = tokenHash(refreshToken);
    const entry = await this.lookup('refresh_token', hashKey(hash));
    if (!entry) return;
    const session = await tenantTransaction(
      this.pool,
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
    await this.logout(
      { orgId: entry.organization_id, userId: session.user_id, sessionId: session.id, role: 'viewer' },
      scope,
      meta,
    );
  }

  // ---------------------------------------------------------------- me

  async me(auth: AuthContext, requestId: string): Promise<{ user: UserRow; organization: OrganizationRow }> {
    return tenantTransaction(
      this.pool,
      { orgId: auth.orgId, userId: auth.userId, requestId },
      async (tx) => {
        const user = await this.loadUser(tx, auth.userId);
        if (!user) throw unauthorized('TOKEN_REVOKED', 'This account no longer exists. Sign in again.');
        return { user, organization: await this.organization(tx) };
      },
      { readOnly: true },
    );
  }

  // ---------------------------------------------------------------- members

  async listMembers(auth: AuthContext, requestId: string) {
    return tenantTransaction(
      this.pool,
      { orgId: auth.orgId, userId: auth.userId, requestId },
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

  async addMember(
    auth: AuthContext,
    input: { email: string; role: Role; password?: string | undefined; name?: string | undefined },
    meta: RequestMeta,
  ): Promise<{ user: UserRow; invitation?: { token: string; expires_at: Date } }> {
    if (input.role === 'owner' && auth.role !== 'owner') {
      throw forbidden('Only an owner can add another owner.');
    }
    const email = normaliseEmail(input.email);
    if (await this.lookup('email', email)) throw emailTaken();
    const passwordHash = input.password === undefined ? null : await hashPassword(input.password);
    const result = await tenantTransaction(
      this.pool,
      { orgId: auth.orgId, userId: auth.userId, requestId: meta.requestId },
      async (tx) => {
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
      },
    ).catch(mapEmailConflict);
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

  async updateMember(
    auth: AuthContext,
    memberId: string,
    input: { role?: Role | undefined; name?: string | null | undefined },
    meta: RequestMeta,
  ): Promise<UserRow> {
    const outcome = await tenantTransaction(
      this.pool,
      { orgId: auth.orgId, userId: auth.userId, requestId: meta.requestId },
      async (tx) => {
        const owners = await this.lockOwners(tx);
        const target = await this.lockMember(tx, memberId);
        const newRole = input.role ?? target.role;
        if (auth.role !== 'owner' && (target.role === 'owner' || newRole === 'owner')) {
          throw forbidden('Only an owner can change an owner or make someone an owner.');
        }
        if (target.role === 'owner' && newRole !== 'owner' && owners.length <= 1) {
          throw conflict('An organisation needs at least one owner: make someone else owner first.', {
            reason: 'last_owner',
          });
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
        const revoked =
          newRole !== target.role ? await revokeSessions(tx, 'role_changed', 'user', memberId) : [];
        return { user, revoked, from: target.role };
      },
    );
    this.afterRevocation(outcome.revoked, 'role_changed');
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

  async removeMember(auth: AuthContext, memberId: string, meta: RequestMeta): Promise<void> {
    const revoked = await tenantTransaction(
      this.pool,
      { orgId: auth.orgId, userId: auth.userId, requestId: meta.requestId },
      async (tx) => {
        const owners = await this.lockOwners(tx);
        const target = await this.lockMember(tx, memberId);
        if (auth.role !== 'owner' && target.role === 'owner') {
          throw forbidden('Only an owner can remove an owner.');
        }
        if (target.role === 'owner' && owners.length <= 1) {
          throw conflict('An organisation needs at least one owner: make someone else owner first.', {
            reason: 'last_owner',
          });
        }
        const ids = await revokeSessions(tx, 'member_removed', 'user', memberId);
        await tx.query('DELETE FROM users WHERE id = $1', [memberId]);
        return ids;
      },
    );
    this.afterRevocation(revoked, 'member_removed');
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

  async acceptInvitation(
    input: { token: string; password: string },
    meta: RequestMeta,
  ): Promise<IssuedTokens> {
    this.limit(meta, 'invitation', this.deps.limits.tokenPerIp.take(meta.ip));
    const invalid = () => {
      this.deps.metrics.failures.inc({ reason: 'invalid_invitation' });
      meta.log.info(
        { event: 'auth.invitation_accept', result: 'invalid', ip: meta.ip },
        'invitation refused',
      );
      return unauthorized('INVALID_TOKEN', 'This invitation is not valid, was already used, or has expired.');
    };
    if (!REFRESH_TOKEN_PATTERN.test(input.token)) throw invalid();
    const hash = tokenHash(input.token);
    const entry = await this.lookup('invitation', hashKey(hash));
    if (!entry) throw invalid();
    const passwordHash = await hashPassword(input.password);
    const issued = await tenantTransaction(
      this.pool,
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
          organization: await this.organization(tx),
          ...(await this.openSession(tx, user, meta)),
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
    return this.withAccessToken(issued);
  }

  // ---------------------------------------------------------------- helpers

  private limit(meta: RequestMeta, action: string, verdict: LimitVerdict) {
    if (verdict.ok) return;
    this.deps.metrics.failures.inc({ reason: 'rate_limited' });
    meta.log.warn(
      { event: 'auth.rate_limited', action, ip: meta.ip, retry_after: verdict.retryAfterSeconds },
      'rate limit reached',
    );
    throw rateLimited(verdict.retryAfterSeconds);
  }

  private afterRevocation(sessionIds: string[], reason: RevocationReason, count = sessionIds.length) {
    this.deps.revocation.markRevoked(sessionIds);
    if (count > 0) this.deps.metrics.sessionsRevoked.inc({ reason }, count);
  }

  private async lookup(kind: 'email' | 'refresh_token' | 'invitation', key: string) {
    const { rows } = await this.pool.query(
      'SELECT organization_id, entity_id FROM directory_lookup($1, $2)',
      [kind, key],
    );
    return rows[0] as { organization_id: string; entity_id: string } | undefined;
  }

  private async openSession(tx: Tx, user: UserRow, meta: RequestMeta) {
    const sessionId = randomUUID();
    const refreshToken = newOpaqueToken();
    await tx.query(
      `INSERT INTO sessions (id, organization_id, user_id, expires_at, user_agent, ip)
       VALUES ($1, $2, $3, now() + make_interval(secs => $4), $5, $6)`,
      [
        sessionId,
        user.organization_id,
        user.id,
        this.deps.config.refreshTokenTtl,
        meta.userAgent?.slice(0, 500) ?? null,
        meta.ip,
      ],
    );
    await tx.query(
      `INSERT INTO refresh_tokens (organization_id, session_id, token_hash) VALUES ($1, $2, $3)`,
      [user.organization_id, sessionId, tokenHash(refreshToken)],
    );
    return { sessionId, refreshToken };
  }

  private async withAccessToken(issued: {
    user: UserRow;
    organization: OrganizationRow;
    sessionId: string;
    refreshToken: string;
  }): Promise<IssuedTokens> {
    const { token } = await signAccessToken(this.deps.tokenSettings, {
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
      expiresIn: this.deps.tokenSettings.accessTokenTtl,
      sessionId: issued.sessionId,
    };
  }

  private async loadUser(tx: Tx, userId: string): Promise<UserRow | undefined> {
    const { rows } = await tx.query(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [userId]);
    return rows[0];
  }

  private async organization(tx: Tx): Promise<OrganizationRow> {
    const { rows } = await tx.query(`SELECT ${ORG_COLUMNS} FROM organizations`);
    return rows[0];
  }

  private async lockOwners(tx: Tx): Promise<string[]> {
    const { rows } = await tx.query(`SELECT id FROM users WHERE role = 'owner' ORDER BY id FOR UPDATE`);
    return rows.map((row) => row.id as string);
  }

  private async lockMember(tx: Tx, memberId: string): Promise<UserRow> {
    const { rows } = await tx.query(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1 FOR UPDATE`, [memberId]);
    if (!rows[0]) throw notFound('Member');
    return rows[0];
  }
}

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

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** A URL-safe slug from the organisation's name plus a random suffix (slugs are unique). */
export function slugFor(name: string): string {
  const base = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/g, '');
  return `${base || 'org'}-${randomUUID().slice(0, 8)}`;
}

function prefixed(alias: string, columns: string): string {
  return columns
    .split(',')
    .map((column) => `${alias}.${column.trim()}`)
    .join(', ');
}

const emailTaken = () => conflict('An account with this e-mail address already exists.', { field: 'email' });

function mapEmailConflict(error: unknown): never {
  const pgError = error as { code?: string; constraint?: string };
  if (pgError.code === '23505' && pgError.constraint === 'users_email_key') throw emailTaken();
  throw error;
}
