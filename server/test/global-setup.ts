// Starts the test database once per run: the embedded PostgreSQL (default) or the server in
// TEST_DATABASE_URL, then a fresh database in it, migrated. Tests get its URL via inject().
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../src/db/database.ts';
import { startEmbeddedPostgres } from '../src/db/embedded.ts';
import { TEST_SECRET } from './helpers/constants.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const externalUrl = process.env.TEST_DATABASE_URL;
  const server = externalUrl
    ? { url: externalUrl, stop: async () => {} }
    : await startEmbeddedPostgres(path.resolve(import.meta.dirname, '../../.data-test'));
  const name = `sertantai_test_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(server.url);
  url.pathname = `/${name}`;
  // Migrate once up front so the test files start on a ready schema.
  const db = await openDatabase({
    databaseUrl: url.toString(),
    dataDir: '',
    secret: TEST_SECRET,
    requireLogicalWal: false,
  });
  await db.close();
  project.provide('databaseUrl', url.toString());

  return async () => {
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [name]);
    await admin.query(
      `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = $1 AND NOT active`,
      [name],
    );
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.query(`DROP ROLE IF EXISTS ${name}_app`);
    await admin.end();
    await server.stop();
  };
}
