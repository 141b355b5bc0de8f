// Starts the test database once per run: the embedded PostgreSQL (default) or the server in
// TEST_DATABASE_URL, then a fresh database in it, migrated. Tests get its URL via inject().
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../src/db/database.ts';
import { startEmbeddedPostgres } from '../src/db/embedded.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const externalUrl = process.env.TEST_DATABASE_URL;
  // Each run gets its own embedded cluster (initdb takes about a second), so runs started at
  // the same time never stop each other's server.
  const runDir = path.join(TEST_DATA_ROOT, `run-${process.pid}-${randomBytes(3).toString('hex')}`);
  if (!externalUrl) removeAbandonedRuns();
  const embedded = externalUrl ? undefined : await startEmbeddedPostgres(runDir);
  const server = embedded ?? { url: externalUrl!, stop: async () => {} };
  const name = `sertantai_test_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: server.url });
  admin.on('error', (error) => console.error(`test database admin connection lost: ${error.message}`));
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(server.url);
  url.pathname = `/${name}`;
  // Migrate once up front so the test files start on a ready schema.
  const db = await openDatabase({
    databaseUrl: url.toString(),
    dataDir: '',
    requireLogicalWal: false,
  });
  await db.close();
  project.provide('databaseUrl', url.toString());

  return async () => {
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [name]);
    // A walsender (a persisted engine's permanent slot) may take a moment to end.
    for (let attempt = 0; attempt < 50; attempt++) {
      const { rows } = await admin.query(
        'SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = $1 AND active',
        [name],
      );
      if (rows.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await admin.query(
      `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = $1 AND NOT active`,
      [name],
    );
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.query(`DROP ROLE IF EXISTS ${name}_app`);
    await admin.end();
    await server.stop();
    if (embedded) rmSync(runDir, { recursive: true, force: true });
  };
}

const TEST_DATA_ROOT = path.resolve(import.meta.dirname, '../../.data-test');

/** Deletes the clusters of earlier runs that died without cleaning up. */
function removeAbandonedRuns() {
  if (!existsSync(TEST_DATA_ROOT)) return;
  for (const entry of readdirSync(TEST_DATA_ROOT)) {
    const pid = Number(/^run-(\d+)-/.exec(entry)?.[1]);
    if (!pid || isAlive(pid)) continue;
    rmSync(path.join(TEST_DATA_ROOT, entry), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
