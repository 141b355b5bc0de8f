// Row-writing factories for tests. Every row is written through tenantTransaction, as the
// runtime role, exactly as the application writes it.
import { randomUUID } from 'node:crypto';
import type { Role } from '@sertantai/core';
import { signAccessToken } from '../../src/auth/tokens.ts';
import type { Config } from '../../src/config.ts';
import type { Database } from '../../src/db/database.ts';
import { tenantTransaction } from '../../src/db/tenant.ts';

export type TestOrganization = { id: string; name: string; slug: string };
export type TestUser = {
  id: string;
  email: string;
  role: Role;
  orgId: string;
  sessionId: string;
  token: string;
};

export async function buildOrganization(
  db: Database,
  name = `Org ${randomUUID().slice(0, 8)}`,
): Promise<TestOrganization> {
  const id = randomUUID();
  const slug = `org-${id.slice(0, 12)}`;
  await tenantTransaction(db.appPool, { orgId: id }, (tx) =>
    tx.query('INSERT INTO organizations (id, name, slug) VALUES ($1, $2, $3)', [id, name, slug]),
  );
  return { id, name, slug };
}

/** A user with an open session and a valid access token for it. */
export async function buildUser(
  db: Database,
  config: Config,
  org: TestOrganization | { id: string },
  role: Role = 'owner',
  email = `user-${randomUUID().slice(0, 8)}@example.test`,
): Promise<TestUser> {
  const userId = randomUUID();
  const sessionId = randomUUID();
  await tenantTransaction(db.appPool, { orgId: org.id }, async (tx) => {
    await tx.query(
      `INSERT INTO users (id, organization_id, email, role, confirmed_at) VALUES ($1, $2, $3, $4, now())`,
      [userId, org.id, email, role],
    );
    await tx.query(
      `INSERT INTO sessions (id, organization_id, user_id, expires_at) VALUES ($1, $2, $3, now() + interval '1 day')`,
      [sessionId, org.id, userId],
    );
  });
  const { token } = await signAccessToken(
    {
      secret: config.tokenSecret,
      issuer: config.tokenIssuer,
      audience: config.tokenAudience,
      accessTokenTtl: 900,
    },
    { userId, orgId: org.id, role, sessionId },
  );
  return { id: userId, email, role, orgId: org.id, sessionId, token };
}

export const bearer = (user: { token: string }) => ({ authorization: `Bearer ${user.token}` });

/** Inserts one row into a tenant table as the runtime role; returns its id. Test-trusted names only. */
export async function insertRow(
  db: Database,
  orgId: string,
  table: string,
  values: Record<string, unknown>,
): Promise<string> {
  const row: Record<string, unknown> = { id: randomUUID(), organization_id: orgId, ...values };
  const names = Object.keys(row);
  await tenantTransaction(db.appPool, { orgId }, (tx) =>
    tx.query(
      `INSERT INTO "${table}" (${names.map((n) => `"${n}"`).join(', ')}) VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')})`,
      Object.values(row),
    ),
  );
  return row.id as string;
}
