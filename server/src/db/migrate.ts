// Owns schema migrations: numbered SQL files in server/migrations applied in order, each in
// its own transaction, under an advisory lock (several processes may start at once), recorded
// with a SHA-256 checksum so that editing an applied file is caught.
// Written by hand rather than with a library: the well-kept runners (node-pg-migrate,
// postgrator) either want JavaScript migrations or lack one of lock + checksum + role
// substitution, and the whole job is the ~80 lines below.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { PROJECT_ROOT } from '../paths.ts';
import { MIGRATION_LOCK } from './advisory-locks.ts';
import { quoteIdent } from './quote-ident.ts';

export const MIGRATIONS_DIR = path.join(PROJECT_ROOT, 'server', 'migrations');

export type Migration = { version: number; name: string; sql: string; checksum: string };
export type MigrationStatus = Migration & { appliedAt: Date | null };

export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((file) => /^\d+_[\w-]+\.sql$/.test(file))
    .sort()
    .map((file) => {
      const sql = readFileSync(path.join(dir, file), 'utf8');
      return {
        version: Number.parseInt(file, 10),
        name: file,
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      };
    });
}

export class MigrationError extends Error {}

/** Applies pending migrations; returns the names applied. `client` must be the owner. */
export async function migrate(
  client: pg.ClientBase,
  appRole: string,
  dir = MIGRATIONS_DIR,
): Promise<string[]> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now())`);
    const applied = await appliedChecksums(client);
    const done: string[] = [];
    for (const migration of readMigrations(dir)) {
      const recorded = applied.get(migration.version);
      if (recorded !== undefined) {
        if (recorded !== migration.checksum) {
          throw new MigrationError(
            `migration ${migration.name} was changed after it was applied; add a new migration instead`,
          );
        }
        continue;
      }
      await client.query('BEGIN');
      try {
        await client.query(migration.sql.replaceAll('{{app_role}}', quoteIdent(appRole)));
        await client.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
          migration.version,
          migration.name,
          migration.checksum,
        ]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new MigrationError(`migration ${migration.name} failed: ${(error as Error).message}`);
      }
      done.push(migration.name);
    }
    return done;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
  }
}

export async function migrationStatus(
  client: pg.ClientBase,
  dir = MIGRATIONS_DIR,
): Promise<MigrationStatus[]> {
  const exists = await client.query(`SELECT to_regclass('schema_migrations') IS NOT NULL AS ok`);
  const rows = exists.rows[0].ok
    ? (await client.query('SELECT version, applied_at FROM schema_migrations')).rows
    : [];
  const appliedAt = new Map<number, Date>(rows.map((row) => [row.version, row.applied_at]));
  return readMigrations(dir).map((migration) => ({
    ...migration,
    appliedAt: appliedAt.get(migration.version) ?? null,
  }));
}

async function appliedChecksums(client: pg.ClientBase): Promise<Map<number, string>> {
  const { rows } = await client.query('SELECT version, checksum FROM schema_migrations');
  return new Map(rows.map((row) => [row.version as number, row.checksum as string]));
}
