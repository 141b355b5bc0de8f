// Owns the operator's commands (`npm run admin`): create an organisation with its owner, make a
// password-reset link or set a password, end every session of a user, list organisations.
// They run on the owner connection but still inside tenantTransaction, so row-level security,
// the audit trail and the directory triggers apply exactly as for a request; sessions ended
// here are announced on the revocation channel, so running servers refuse their tokens at once.
import { randomUUID } from 'node:crypto';
import { insertDefaultStrategies } from '../auth/default-strategies.ts';
import { hashPassword, PASSWORD_MAX, PASSWORD_MIN } from '../auth/passwords.ts';
import { newOpaqueToken, tokenHash } from '../auth/refresh-tokens.ts';
import { revokeSessions } from '../auth/revocation.ts';
import { normaliseEmail, slugFor } from '../auth/users.ts';
import type { Database } from '../db/database.ts';
import { tenantTransaction } from '../db/tenant.ts';

export class AdminError extends Error {}

export type IssuedLink = { token: string; expiresAt: Date };

function checkPassword(password: string) {
  if (password.length < PASSWORD_MIN || password.length > PASSWORD_MAX) {
    throw new AdminError(`the password must be ${PASSWORD_MIN}–${PASSWORD_MAX} characters`);
  }
}

async function findUser(db: Database, email: string) {
  const { rows } = await db.ownerPool.query(
    'SELECT organization_id, entity_id FROM directory_lookup($1, $2)',
    ['email', normaliseEmail(email)],
  );
  if (!rows[0]) throw new AdminError(`no account with the e-mail ${normaliseEmail(email)}`);
  return { orgId: rows[0].organization_id as string, userId: rows[0].entity_id as string };
}

async function insertResetLink(
  tx: { query: Database['ownerPool']['query'] },
  orgId: string,
  userId: string,
  ttlSeconds: number,
): Promise<IssuedLink> {
  const token = newOpaqueToken();
  await tx.query(
    `DELETE FROM invitations WHERE user_id = $1 AND kind = 'password_reset' AND accepted_at IS NULL`,
    [userId],
  );
  const { rows } = await tx.query(
    `INSERT INTO invitations (organization_id, kind, user_id, token_hash, expires_at)
     VALUES ($1, 'password_reset', $2, $3, now() + make_interval(secs => $4)) RETURNING expires_at`,
    [orgId, userId, tokenHash(token), ttlSeconds],
  );
  return { token, expiresAt: rows[0].expires_at };
}

/** A new organisation and its owner: with a password, or (without) a one-time link to set one. */
export async function createOrganization(
  db: Database,
  input: { name: string; ownerEmail: string; password?: string | undefined; linkTtlSeconds: number },
) {
  const name = input.name.trim();
  if (name.length < 1 || name.length > 200)
    throw new AdminError('the organisation name must be 1–200 characters');
  const email = normaliseEmail(input.ownerEmail);
  if (!/^[^@\s]+@[^@\s]+$/.test(email) || email.length > 254)
    throw new AdminError(`not an e-mail address: ${email}`);
  if (input.password !== undefined) checkPassword(input.password);
  const taken = await db.ownerPool.query('SELECT 1 FROM directory_lookup($1, $2)', ['email', email]);
  if (taken.rowCount) throw new AdminError(`${email} already has an account`);
  const passwordHash = input.password === undefined ? null : await hashPassword(input.password);
  const orgId = randomUUID();
  const userId = randomUUID();
  return tenantTransaction(db.ownerPool, { orgId, userId }, async (tx) => {
    const { rows } = await tx.query(
      'INSERT INTO organizations (id, name, slug) VALUES ($1, $2, $3) RETURNING id, name, slug',
      [orgId, name, slugFor(name)],
    );
    await tx.query(
      `INSERT INTO users (id, organization_id, email, password_hash, role, confirmed_at)
       VALUES ($1, $2, $3, $4, 'owner', CASE WHEN $4::text IS NULL THEN NULL ELSE now() END)`,
      [userId, orgId, email, passwordHash],
    );
    await insertDefaultStrategies(tx, orgId);
    const link =
      passwordHash === null ? await insertResetLink(tx, orgId, userId, input.linkTtlSeconds) : undefined;
    return { organization: rows[0] as { id: string; name: string; slug: string }, userId, link };
  });
}

/** Sets the password (or, without one, makes a one-time link); ends the user's sessions. */
export async function resetPassword(
  db: Database,
  input: { email: string; password?: string | undefined; linkTtlSeconds: number },
) {
  if (input.password !== undefined) checkPassword(input.password);
  const { orgId, userId } = await findUser(db, input.email);
  const passwordHash = input.password === undefined ? null : await hashPassword(input.password);
  return tenantTransaction(db.ownerPool, { orgId }, async (tx) => {
    if (passwordHash === null)
      return { link: await insertResetLink(tx, orgId, userId, input.linkTtlSeconds), ended: 0 };
    await tx.query(
      'UPDATE users SET password_hash = $2, confirmed_at = COALESCE(confirmed_at, now()) WHERE id = $1',
      [userId, passwordHash],
    );
    return { link: undefined, ended: (await revokeSessions(tx, 'password_reset', 'user', userId)).length };
  });
}

export async function endSessions(db: Database, email: string): Promise<number> {
  const { orgId, userId } = await findUser(db, email);
  return tenantTransaction(
    db.ownerPool,
    { orgId },
    async (tx) => (await revokeSessions(tx, 'admin', 'user', userId)).length,
  );
}

export type OrganizationSummary = {
  id: string;
  name: string;
  slug: string;
  members: number;
  owners: string[];
};

export async function listOrganizations(db: Database): Promise<OrganizationSummary[]> {
  const { rows: ids } = await db.ownerPool.query('SELECT id FROM organization_ids() AS id');
  const result: OrganizationSummary[] = [];
  for (const { id } of ids) {
    const summary = await tenantTransaction(
      db.ownerPool,
      { orgId: id },
      async (tx) =>
        (
          await tx.query(
            // Explicit filters: the owner connection may be a superuser, which RLS does not bind.
            `SELECT o.id, o.name, o.slug,
                    (SELECT count(*)::int FROM users u WHERE u.organization_id = o.id) AS members,
                    COALESCE((SELECT array_agg(u.email ORDER BY u.email) FROM users u
                               WHERE u.organization_id = o.id AND u.role = 'owner'), '{}') AS owners
               FROM organizations o WHERE o.id = $1`,
            [id],
          )
        ).rows[0],
      { readOnly: true },
    );
    if (summary) result.push(summary);
  }
  return result.sort((a, b) => a.name.localeCompare(b.name));
}
