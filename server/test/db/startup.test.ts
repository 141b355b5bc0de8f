// Start-up problems print one clear line and exit non-zero, before anything listens.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { serverProblems } from '../../src/db/database.ts';
import { openTestDatabase } from '../helpers/app.ts';
import { TEST_SECRET } from '../helpers/constants.ts';

const root = path.resolve(import.meta.dirname, '../../..');

function startServer(
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', PORT: '0', LOG_LEVEL: 'silent', SEED: 'false', ...env },
    });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.stdout.on('data', (chunk) => (stdout += chunk));
    const timer = setTimeout(() => child.kill('SIGTERM'), 60_000); // a loaded machine transpiles slowly
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout });
    });
  });
}

describe('start-up problems', () => {
  let db: Database;
  let limitedUrl: string;
  const limitedRole = `limited_${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    db = await openTestDatabase();
    await db.ownerPool.query(`CREATE ROLE ${limitedRole} LOGIN PASSWORD 'limited-password' NOCREATEROLE`);
    const url = new URL(db.ownerUrl);
    url.username = limitedRole;
    url.password = 'limited-password';
    limitedUrl = url.toString();
  });
  afterAll(async () => {
    await db.ownerPool.query(`DROP ROLE IF EXISTS ${limitedRole}`);
    await db.close();
  });

  it.each([
    ['a malformed DATABASE_URL', { DATABASE_URL: 'mysql://nope' }, /DATABASE_URL: must be a postgres/],
    [
      'an unreachable server',
      { DATABASE_URL: 'postgres://x@127.0.0.1:1/none' },
      /cannot reach PostgreSQL at 127\.0\.0\.1:1\/none/,
    ],
    [
      'a short secret',
      { SHARED_TOKEN_SECRET: 'too-short' },
      /SHARED_TOKEN_SECRET: must be at least 32 bytes/,
    ],
    [
      'production without a secret',
      { NODE_ENV: 'production', SHARED_TOKEN_SECRET: '' },
      /SHARED_TOKEN_SECRET/,
    ],
  ])(
    '%s',
    async (_name, env, message) => {
      const result = await startServer({ SHARED_TOKEN_SECRET: TEST_SECRET, DATA_DIR: '.data-test', ...env });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(message);
      expect(result.stdout).not.toContain('is running at');
    },
    90_000,
  );

  it('a user that cannot create the runtime role', async () => {
    const result = await startServer({
      SHARED_TOKEN_SECRET: TEST_SECRET,
      DATABASE_URL: limitedUrl,
      ELECTRIC_URL: 'http://127.0.0.1:1',
    });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/cannot create roles.*grant it CREATEROLE/);
  }, 90_000);
});

describe('serverProblems', () => {
  const good = { version: 150018, walLevel: 'logical', canCreateRoles: true };
  it('accepts PostgreSQL 15 with logical WAL and CREATEROLE', () => {
    expect(serverProblems(good, true, 'db')).toEqual([]);
  });
  it('needs wal_level=logical only for the built-in sync engine', () => {
    expect(serverProblems({ ...good, walLevel: 'replica' }, true, 'db')[0]).toMatch(
      /wal_level is 'replica'.*ELECTRIC_URL/,
    );
    expect(serverProblems({ ...good, walLevel: 'replica' }, false, 'db')).toEqual([]);
  });
  it('refuses PostgreSQL older than 15', () => {
    expect(serverProblems({ ...good, version: 140010 }, false, 'db')[0]).toMatch(/PostgreSQL 15 or newer/);
  });
});
