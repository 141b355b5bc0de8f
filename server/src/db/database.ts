// Owns the connection to PostgreSQL: DATABASE_URL or the embedded server, the runtime role,
// migrations, and the pools. DATABASE_URL is the direct owner connection: migrations, logical
// replication, health, and anything that needs session state (advisory locks, LISTEN). Every
// request runs as the runtime role through tenantTransaction on appPool, which goes through
// APP_DATABASE_URL when it is set (a pooler such as PgBouncer in transaction mode is fine:
// only transaction-local settings reach it, and unnamed statements unless DB_PREPARED_STATEMENTS
// is on, which it is not by default with APP_DATABASE_URL).
import pg from 'pg';
import { type EmbeddedDatabase, startEmbeddedPostgres } from './embedded.ts';
import { DatabaseStartupError } from './errors.ts';
import { migrate } from './migrate.ts';
import { setStatementTimeout } from './overload.ts';
import { setPreparedStatements } from './prepared.ts';
import { credentialsFromUrl, ensureRuntimeRole } from './runtime-role.ts';
import { parseTimestamptz } from './timestamptz.ts';

export { DatabaseStartupError } from './errors.ts';
export { runtimeRoleName } from './runtime-role.ts';

// numeric → number, date → 'YYYY-MM-DD' (never a local-midnight Date), int8 counts → number.
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (value) => Number.parseFloat(value));
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number.parseInt(value, 10));
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);
// timestamptz → the same Date as pg's parser, read by position when the session is in UTC.
pg.types.setTypeParser(pg.types.builtins.TIMESTAMPTZ, parseTimestamptz);

export type Database = {
  /** Runtime role: not superuser, not BYPASSRLS, not owner. Reach tenant tables only via tenantTransaction. */
  appPool: pg.Pool;
  /** Owner/migrator, direct: migrations, replication setup, health, session advisory locks. Never for request data. */
  ownerPool: pg.Pool;
  ownerUrl: string;
  /** What appPool connects to: APP_DATABASE_URL (maybe a pooler) or the runtime role on DATABASE_URL's server. */
  appUrl: string;
  /** The runtime role on DATABASE_URL's server, never through a pooler: for LISTEN. */
  appDirectUrl: string;
  /** The role holding the runtime grants (`<database>_app`); appUrl's user is it or a member of it. */
  appRole: string;
  databaseName: string;
  /** 'embedded' or the host:port/db of DATABASE_URL, for start-up messages. */
  description: string;
  close: () => Promise<void>;
};

export type DatabaseOptions = {
  databaseUrl: string | undefined;
  /** Request traffic as the runtime role (its user and password), e.g. through PgBouncer. */
  appDatabaseUrl?: string | undefined;
  dataDir: string;
  /** The built-in sync engine needs wal_level=logical. */
  requireLogicalWal: boolean;
  appPoolSize?: number;
  /** statement_timeout of every tenant transaction on the app pool (default 15 s). */
  statementTimeoutMs?: number;
  /** Longest wait for an app-pool connection before the request is refused (default 5 s). */
  acquireTimeoutMs?: number;
  /**
   * Hot reads as named prepared statements on the app pool (db/prepared.ts). Default: on without
   * appDatabaseUrl; off with it, since a transaction-mode pooler cannot keep them (config.ts).
   */
  preparedStatements?: boolean;
  log?: (line: string) => void;
  /** What an operator must see (a setting that cannot work where it is). */
  warn?: (line: string) => void;
};

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  let embedded: EmbeddedDatabase | undefined;
  let ownerUrl = options.databaseUrl;
  if (ownerUrl === undefined) {
    embedded = await startEmbeddedPostgres(options.dataDir, options.log);
    ownerUrl = await ensureEmbeddedDatabase(embedded.url);
  }
  const target = new URL(ownerUrl);
  const databaseName = decodeURIComponent(target.pathname.slice(1)) || 'postgres';
  const description = embedded
    ? `embedded PostgreSQL 15 (${options.dataDir}, port ${target.port})`
    : `${target.hostname}:${target.port || 5432}/${databaseName}`;

  const ownerPool = new pg.Pool({ connectionString: ownerUrl, max: 4, application_name: 'sertantai-owner' });
  let appRole = '';
  let appDirectUrl = '';
  try {
    const owner = await ownerPool.connect().catch((error: Error) => {
      throw new DatabaseStartupError(`cannot reach PostgreSQL at ${description}: ${error.message}`);
    });
    try {
      await checkServer(owner, options.requireLogicalWal, description);
      const credentials = await ensureRuntimeRole(
        owner,
        databaseName,
        options.appDatabaseUrl === undefined ? undefined : credentialsFromUrl(options.appDatabaseUrl),
      );
      appRole = credentials.grantsRole;
      const direct = new URL(ownerUrl);
      direct.username = encodeURIComponent(credentials.role);
      direct.password = encodeURIComponent(credentials.password);
      appDirectUrl = direct.toString();
      const applied = await migrate(owner, appRole);
      if (applied.length > 0) options.log?.(`applied migrations: ${applied.join(', ')}`);
    } finally {
      owner.release();
    }
  } catch (error) {
    await ownerPool.end();
    await embedded?.stop();
    throw error;
  }

  const appUrl = options.appDatabaseUrl ?? appDirectUrl;
  const appPoolConfig: pg.PoolConfig & { pipeline: boolean } = {
    connectionString: appUrl,
    max: options.appPoolSize ?? 20,
    application_name: 'sertantai-app',
    // No request waits forever for a connection: past this it is answered 503 OVERLOADED.
    connectionTimeoutMillis: options.acquireTimeoutMs ?? 5_000,
    // pg's pipeline mode (8.23+, not yet in @types/pg): statements issued without awaiting go
    // out together, so a tenant transaction's BEGIN and settings ride with its first statement
    // (db/tenant.ts). Code that awaits each statement behaves exactly as without it.
    pipeline: true,
  };
  const appPool = new pg.Pool(appPoolConfig);
  if (options.statementTimeoutMs !== undefined) setStatementTimeout(appPool, options.statementTimeoutMs);
  setPreparedStatements(appPool, options.preparedStatements ?? options.appDatabaseUrl === undefined, (line) =>
    (options.warn ?? options.log)?.(line),
  );
  // An idle client that errors (server restart) must not crash the process.
  appPool.on('error', (error) => options.log?.(`idle app connection error: ${error.message}`));
  ownerPool.on('error', (error) => options.log?.(`idle owner connection error: ${error.message}`));

  return {
    appPool,
    ownerPool,
    ownerUrl,
    appUrl,
    appDirectUrl,
    appRole,
    databaseName,
    description,
    close: async () => {
      await appPool.end();
      await ownerPool.end();
      await embedded?.stop();
    },
  };
}

async function ensureEmbeddedDatabase(superuserUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: superuserUrl });
  await client.connect();
  try {
    const exists = await client.query(`SELECT 1 FROM pg_database WHERE datname = 'sertantai'`);
    if (exists.rowCount === 0) await client.query('CREATE DATABASE sertantai');
  } finally {
    await client.end();
  }
  const url = new URL(superuserUrl);
  url.pathname = '/sertantai';
  return url.toString();
}

export type ServerFacts = { version: number; walLevel: string; canCreateRoles: boolean };

/** Why this server cannot host the app (empty when it can). Pure, so every rule is tested. */
export function serverProblems(
  facts: ServerFacts,
  requireLogicalWal: boolean,
  description: string,
): string[] {
  const problems: string[] = [];
  if (facts.version < 150000) problems.push(`PostgreSQL 15 or newer is required at ${description}`);
  if (requireLogicalWal && facts.walLevel !== 'logical') {
    problems.push(
      `wal_level is '${facts.walLevel}' at ${description}; the built-in sync engine needs wal_level=logical ` +
        '(set it and restart PostgreSQL, or set ELECTRIC_URL to use an external Electric service)',
    );
  }
  if (!facts.canCreateRoles) {
    problems.push(
      `the DATABASE_URL user cannot create roles at ${description}; grant it CREATEROLE so the runtime role can be made`,
    );
  }
  return problems;
}

async function checkServer(owner: pg.PoolClient, requireLogicalWal: boolean, description: string) {
  const { rows } = await owner.query(`SELECT current_setting('server_version_num')::int AS version,
      current_setting('wal_level') AS "walLevel",
      r.rolsuper OR r.rolcreaterole AS "canCreateRoles"
    FROM pg_roles r WHERE r.rolname = current_user`);
  const problems = serverProblems(rows[0], requireLogicalWal, description);
  if (problems.length > 0) throw new DatabaseStartupError(problems.join('; '));
}
