// Owns the runtime role, the one every request runs as: not superuser, not BYPASSRLS, owns
// nothing. The grants of the migrations belong to `<database>_app`. Without APP_DATABASE_URL
// that role logs in itself, with a random password generated once and kept in
// sertantai_private.runtime_role_credentials: a schema only the owner can reach, so every
// process of the deployment finds the same password and the runtime role cannot read it.
// With APP_DATABASE_URL its user and password are the ones the server logs in with (the
// operator writes the same pair into the pooler, e.g. PgBouncer's userlist): the server makes
// that role match, and when it is not `<database>_app` itself, a member of it (INHERIT) so it
// holds the same grants. Nothing here is derived from SHARED_TOKEN_SECRET, so rotating that
// secret never touches the database.
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { RUNTIME_ROLE_LOCK } from './advisory-locks.ts';
import { DatabaseStartupError } from './errors.ts';
import { quoteIdent } from './quote-ident.ts';

export type RuntimeCredentials = { role: string; password: string };
/** The login role and password, and the role holding the grants (`<database>_app`). */
export type RuntimeRole = RuntimeCredentials & { grantsRole: string };

/** Role names are cluster-wide; one per database keeps test databases and apps apart. */
export function runtimeRoleName(databaseName: string): string {
  const base = databaseName.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  return `${base.slice(0, 50)}_app`;
}

/** The runtime role's user and password as written in APP_DATABASE_URL. */
export function credentialsFromUrl(appDatabaseUrl: string): RuntimeCredentials {
  const url = new URL(appDatabaseUrl);
  return { role: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
}

/**
 * Makes the runtime role exist with the right attributes and password, and returns its
 * credentials. `fromUrl` is APP_DATABASE_URL's pair; without it the stored (or a new random)
 * password of `<database>_app` is used. `owner` must be the DATABASE_URL connection.
 */
export async function ensureRuntimeRole(
  owner: pg.ClientBase,
  databaseName: string,
  fromUrl: RuntimeCredentials | undefined,
): Promise<RuntimeRole> {
  const grantsRole = runtimeRoleName(databaseName);
  // Several processes may boot at once: ALTER ROLE concurrently fails ("tuple concurrently updated").
  await owner.query('SELECT pg_advisory_lock($1)', [RUNTIME_ROLE_LOCK]);
  try {
    const login = fromUrl ?? (await storedCredentials(owner, grantsRole));
    await refuseUnsafeRole(owner, login.role);
    const password = `PASSWORD '${login.password.replaceAll("'", "''")}'`;
    if (login.role === grantsRole) {
      await upsertRole(owner, grantsRole, `LOGIN NOINHERIT ${password}`);
    } else {
      if (!(await roleExists(owner, grantsRole))) await upsertRole(owner, grantsRole, 'NOLOGIN NOINHERIT');
      await upsertRole(owner, login.role, `LOGIN INHERIT ${password}`);
      await owner.query(`GRANT ${quoteIdent(grantsRole)} TO ${quoteIdent(login.role)}`);
    }
    await owner.query(`GRANT CONNECT ON DATABASE ${quoteIdent(databaseName)} TO ${quoteIdent(login.role)}`);
    return { ...login, grantsRole };
  } finally {
    await owner.query('SELECT pg_advisory_unlock($1)', [RUNTIME_ROLE_LOCK]);
  }
}

async function roleExists(owner: pg.ClientBase, role: string): Promise<boolean> {
  const { rowCount } = await owner.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
  return rowCount !== 0;
}

/** Creates or alters `role`: never superuser, BYPASSRLS, CREATEDB, CREATEROLE or REPLICATION. */
async function upsertRole(owner: pg.ClientBase, role: string, attributes: string) {
  const verb = (await roleExists(owner, role)) ? 'ALTER' : 'CREATE';
  await owner.query(
    `${verb} ROLE ${quoteIdent(role)} NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION ${attributes}`,
  );
}

/** The runtime role must never be the owner or a privileged role: ALTER ROLE would strip it. */
async function refuseUnsafeRole(owner: pg.ClientBase, role: string) {
  const { rows } = await owner.query<{ is_owner: boolean; privileged: boolean | null }>(
    `SELECT $1 = current_user AS is_owner,
            (SELECT rolsuper OR rolbypassrls OR rolcreaterole OR rolreplication FROM pg_roles WHERE rolname = $1) AS privileged`,
    [role],
  );
  if (rows[0]?.is_owner || rows[0]?.privileged) {
    throw new DatabaseStartupError(
      `APP_DATABASE_URL names the role '${role}', which is the DATABASE_URL user or a privileged role; ` +
        'give it a role of its own (the server creates it), e.g. sertantai_app',
    );
  }
}

async function storedCredentials(owner: pg.ClientBase, role: string): Promise<RuntimeCredentials> {
  await owner.query(`CREATE SCHEMA IF NOT EXISTS sertantai_private;
    REVOKE ALL ON SCHEMA sertantai_private FROM PUBLIC;
    CREATE TABLE IF NOT EXISTS sertantai_private.runtime_role_credentials (
      role name PRIMARY KEY, password text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
    REVOKE ALL ON sertantai_private.runtime_role_credentials FROM PUBLIC`);
  const { rows } = await owner.query<{ password: string }>(
    `INSERT INTO sertantai_private.runtime_role_credentials (role, password) VALUES ($1, $2)
       ON CONFLICT (role) DO UPDATE SET role = EXCLUDED.role
       RETURNING password`,
    [role, randomBytes(32).toString('base64url')],
  );
  return { role, password: rows[0]!.password };
}
