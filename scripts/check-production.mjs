#!/usr/bin/env node
// The production path end to end, as an operator runs it, on a copy of this tree:
//   npm ci → npm run build → npm ci --omit=dev → NODE_ENV=production npm start
// against the machine's PostgreSQL on 127.0.0.1:5432 (a database of its own, dropped after),
// then /health must answer 200, / must serve the built web app and `npm run db:status` must
// work, with no devDependency installed. Also: production without DATABASE_URL is refused in one line naming EMBEDDED_DB.
// With wal_level other than logical on 5432, the server runs in proxy mode against a stand-in
// Electric health route (the built-in engine needs logical WAL); it says which.
// Slow (two installs and a build), so `.ci/run` runs it apart from `npm test`. Prints
// "N passed, N failed"; skips (0 failed) with a message when PostgreSQL on 5432 is absent.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const ADMIN_URL = process.env.CHECK_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const results = [];
const check = (name, ok, detail = '') => {
  results.push(ok);
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? `: ${detail}` : ''}`);
};
const psql = (sql) => execFileSync('psql', [ADMIN_URL, '-Atc', sql], { encoding: 'utf8' }).trim();

try {
  psql('select 1');
} catch {
  console.log('skip production check: no PostgreSQL on 127.0.0.1:5432 (psql could not connect)');
  console.log('0 passed, 0 failed');
  process.exit(0);
}

const work = mkdtempSync(path.join(tmpdir(), 'sertantai-production-'));
const tree = path.join(work, 'tree');
const database = `sertantai_prod_${randomBytes(4).toString('hex')}`;
let server;
let electric;
try {
  // The files git would ship (tracked, plus new ones not ignored), edits included.
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
  })
    .split('\0')
    .filter((file) => file && existsSync(path.join(root, file)));
  for (const file of files) {
    mkdirSync(path.dirname(path.join(tree, file)), { recursive: true });
    cpSync(path.join(root, file), path.join(tree, file));
  }
  const npm = (args) => spawnSync('npm', args, { cwd: tree, stdio: 'inherit' }).status === 0;
  check('npm ci', npm(['ci', '--prefer-offline', '--no-audit', '--no-fund']));
  check('npm run build', npm(['run', 'build']));
  check('npm ci --omit=dev', npm(['ci', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund']));
  const devOnly = ['tsx', 'vite', 'typescript', 'esbuild'].filter((name) =>
    existsSync(path.join(tree, 'node_modules', name)),
  );
  check('no devDependency installed', devOnly.length === 0, devOnly.join(', '));

  const secret = randomBytes(32).toString('base64url');
  const refused = spawnSync('npm', ['start', '--silent'], {
    cwd: tree,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      SHARED_TOKEN_SECRET: secret,
      INTERNAL_SYNC_SECRET: randomBytes(32).toString('base64url'),
    },
  });
  const refusal = refused.stderr.trim();
  check(
    'production refuses the embedded database in one line',
    refused.status === 1 && refusal.split('\n').length === 1 && /EMBEDDED_DB=true/.test(refusal),
    refusal,
  );

  psql(`CREATE DATABASE ${database}`);
  const env = {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    PORT: '0',
    DATABASE_URL: ADMIN_URL.replace(/\/postgres$/, `/${database}`),
    SHARED_TOKEN_SECRET: secret,
    INTERNAL_SYNC_SECRET: randomBytes(32).toString('base64url'),
    LOG_LEVEL: 'warn',
  };
  if (psql('show wal_level') !== 'logical') {
    electric = createServer((_request, response) => response.end('{"status":"active"}'));
    await new Promise((resolve) => electric.listen(0, '127.0.0.1', resolve));
    env.ELECTRIC_URL = `http://127.0.0.1:${electric.address().port}`;
    console.log('note: wal_level is not logical on 5432, so the server runs in proxy mode (ELECTRIC_URL)');
  }
  server = spawn('npm', ['start', '--silent'], { cwd: tree, env, detached: true });
  const url = await new Promise((resolve) => {
    let output = '';
    const timer = setTimeout(() => resolve(undefined), 120_000);
    const read = (chunk) => {
      output += chunk;
      const match = /is running at (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1].replace('localhost', '127.0.0.1'));
      }
    };
    server.stdout.on('data', read);
    server.stderr.on('data', (chunk) => process.stderr.write(chunk));
    server.on('exit', () => resolve(undefined));
  });
  check('NODE_ENV=production npm start listens', url !== undefined);
  if (url) {
    const health = await fetch(`${url}/health`);
    check('/health answers 200', health.status === 200, `${health.status} ${await health.text()}`);
    const page = await fetch(`${url}/`);
    const html = await page.text();
    check(
      '/ serves the built web app',
      page.status === 200 && html.includes('/_app/immutable/'),
      `${page.status}`,
    );
  }
  const status = spawnSync('npm', ['run', 'db:status', '--silent'], { cwd: tree, encoding: 'utf8', env });
  check(
    'npm run db:status runs the production build',
    status.status === 0 && /applied/.test(status.stdout),
    status.stderr.trim(),
  );
} catch (error) {
  check('production check ran', false, error.message);
} finally {
  if (server?.pid) {
    try {
      process.kill(-server.pid, 'SIGTERM'); // npm and the server under it
    } catch {}
    await new Promise((resolve) => (server.exitCode === null ? server.once('exit', resolve) : resolve()));
  }
  electric?.close();
  try {
    psql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${database}'`);
    // The engine's permanent slot (persisted shape logs) would keep the database from being dropped.
    psql(
      `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '${database}' AND NOT active`,
    );
    psql(`DROP DATABASE IF EXISTS ${database}`);
    psql(`DROP ROLE IF EXISTS ${database}_app`);
  } catch {}
  rmSync(work, { recursive: true, force: true });
}
const passed = results.filter(Boolean).length;
console.log(`${passed} passed, ${results.length - passed} failed`);
process.exit(results.length === passed ? 0 : 1);
