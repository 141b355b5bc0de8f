// Owns the user and organisation rows as the identity service reads them: the columns it
// returns, the directory lookup that finds a tenant before its transaction, the owner and
// member locks that keep an organisation with at least one owner, and e-mail rules.
import { randomUUID } from 'node:crypto';
import type { Role } from '@sertantai/core';
import type { Database } from '../db/database.ts';
import { boundedQuery } from '../db/overload.ts';
import { timed } from '../db/query-timing.ts';
import type { Tx } from '../db/tenant.ts';
import { conflict, notFound } from '../http/errors.ts';

export const USER_COLUMNS = 'id, organization_id, email, name, role, confirmed_at, created_at, updated_at';
export const ORG_COLUMNS =
  'id, name, slug, recent_threshold_days, close_threshold_distance, created_at, updated_at';

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

/** The organisation (and row id) an e-mail, refresh-token hash or invitation hash belongs to. */
export async function directoryLookup(
  db: Database,
  kind: 'email' | 'refresh_token' | 'invitation',
  key: string,
) {
  const { rows } = await timed(db.appPool, 'auth_lookup', () =>
    boundedQuery(db.appPool, 'SELECT organization_id, entity_id FROM directory_lookup($1, $2)', [kind, key]),
  );
  return rows[0] as { organization_id: string; entity_id: string } | undefined;
}

export async function loadUser(tx: Tx, userId: string): Promise<UserRow | undefined> {
  const { rows } = await tx.query(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [userId]);
  return rows[0];
}

/** The transaction's own organisation (RLS shows only that one). */
export async function loadOrganization(tx: Tx): Promise<OrganizationRow> {
  const { rows } = await tx.query(`SELECT ${ORG_COLUMNS} FROM organizations`);
  return rows[0];
}

export async function lockOwners(tx: Tx): Promise<string[]> {
  const { rows } = await tx.query(`SELECT id FROM users WHERE role = 'owner' ORDER BY id FOR UPDATE`);
  return rows.map((row) => row.id as string);
}

export async function lockMember(tx: Tx, memberId: string): Promise<UserRow> {
  const { rows } = await tx.query(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1 FOR UPDATE`, [memberId]);
  if (!rows[0]) throw notFound('Member');
  return rows[0];
}

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

export function prefixed(alias: string, columns: string): string {
  return columns
    .split(',')
    .map((column) => `${alias}.${column.trim()}`)
    .join(', ');
}

export const emailTaken = () =>
  conflict('An account with this e-mail address already exists.', { field: 'email' });

/** A concurrent registration of the same e-mail loses on the unique index: the same 409. */
export function mapEmailConflict(error: unknown): never {
  const pgError = error as { code?: string; constraint?: string };
  if (pgError.code === '23505' && pgError.constraint === 'users_email_key') throw emailTaken();
  throw error;
}
