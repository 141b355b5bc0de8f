#!/usr/bin/env node
// `npm run conformance [electric-checkout]`: runs the official Electric TypeScript client's own
// integration tests (packages/typescript-client/test/integration.test.ts and client.test.ts)
// against the built-in engine in conformance mode (server/src/sync/conformance/), and prints a
// pass/fail table. Nothing of Electric's is kept in this repository: the tests are extracted
// from a local checkout (ELECTRIC_REPO or the first argument; a git directory) into a temporary
// directory, at the tag of the installed @electric-sql/client when the checkout has it, else at
// ELECTRIC_REF (default HEAD). Only the harness is adapted: the database connection
// (makePgClient), the server URL (ELECTRIC_URL), the vitest configuration. Tests that cannot
// apply are listed with their reason in docs/conformance.md ("Not applicable" table).
// Without the checkout it prints why and exits 0 (CI has no GitHub access).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

const root = path.resolve(import.meta.dirname, '..');
const repo = process.argv[2] ?? process.env.ELECTRIC_REPO ?? '/work/.mirror/electric-sql+electric/repo';
const PKG = 'packages/typescript-client';
const TEST_FILES = ['test/integration.test.ts', 'test/client.test.ts'];
// What the tests need that the product does not install (Electric's own pins), and vitest (the
// product's version) beside them, since vitest loads jsdom from where it is installed.
const EXTRA_DEPS = {
  vitest: JSON.parse(readFileSync(path.join(root, 'node_modules/vitest/package.json'), 'utf8')).version,
  uuid: '10.0.0',
  'cache-control-parser': '2.0.6',
  'vitest-localstorage-mock': '0.1.2',
  jsdom: '26.1.0',
};

const git = (...args) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' }).trim();

function skip(reason) {
  console.log(`conformance: skipped: ${reason}`);
  process.exit(0);
}

if (!existsSync(repo)) skip(`no Electric checkout at ${repo} (set ELECTRIC_REPO or pass its path)`);
try {
  git('rev-parse', '--git-dir');
} catch {
  skip(`${repo} is not a git checkout of electric-sql/electric`);
}

const installed = JSON.parse(
  readFileSync(path.join(root, 'node_modules/@electric-sql/client/package.json'), 'utf8'),
).version;
const tag = `@electric-sql/client@${installed}`;
const hasTag = (() => {
  try {
    git('rev-parse', '--verify', '-q', `refs/tags/${tag}`);
    return true;
  } catch {
    return false;
  }
})();
const ref = hasTag ? tag : (process.env.ELECTRIC_REF ?? 'HEAD');
const testedVersion = JSON.parse(git('show', `${ref}:${PKG}/package.json`)).version;
console.log(
  `conformance: installed client ${installed}; ` +
    (hasTag
      ? `testing tag ${tag}`
      : `tag ${tag} not in the checkout, testing ${ref} (client ${testedVersion})`),
);

// Node's json reporter names and the "Not applicable" table of docs/conformance.md.
function notApplicable() {
  const text = readFileSync(path.join(root, 'docs/conformance.md'), 'utf8');
  const section = text.split(/^## Not applicable/m)[1]?.split(/^## /m)[0] ?? '';
  const list = new Map();
  for (const line of section.split('\n')) {
    const cells = line.split(' | ');
    if (!line.startsWith('| ') || cells.length < 2 || line.startsWith('| test') || line.startsWith('|--'))
      continue;
    list.set(
      cells[0].slice(2).replaceAll('\\|', '|').trim(),
      cells
        .slice(1)
        .join(' | ')
        .replace(/\s*\|\s*$/, ''),
    );
  }
  return list;
}

const work = mkdtempSync(path.join(tmpdir(), 'electric-conformance-'));
const pkgDir = path.join(work, PKG);
const baseUrl =
  process.env.CONFORMANCE_BASE_URL ??
  process.env.TEST_DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/postgres';
const dbName = `electric_conformance_${process.pid}`;
const dbUrl = (() => {
  const url = new URL(baseUrl);
  url.pathname = `/${dbName}`;
  return url.toString();
})();
let server;

async function cleanup() {
  server?.kill('SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 500));
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect().catch(() => {});
  await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).catch(() => {});
  await admin.end().catch(() => {});
  if (!process.env.CONFORMANCE_KEEP) rmSync(work, { recursive: true, force: true });
}

try {
  // 1. The tests at the chosen ref, into a temporary directory (never into the product).
  const archive = execFileSync('git', ['-C', repo, 'archive', ref, '--', PKG, 'tsconfig.base.json'], {
    maxBuffer: 1 << 28,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  execFileSync('tar', ['-x', '-C', work], { input: archive });
  // 2. Dependencies: the product's node_modules (pg, the client's own @microsoft/fetch-event-source)
  //    one level up, and the few missing ones from the npm registry.
  symlinkSync(path.join(root, 'node_modules'), path.join(work, 'node_modules'), 'dir');
  const depsDir = path.join(work, 'packages');
  writeFileSync(
    path.join(depsDir, 'package.json'),
    JSON.stringify({ private: true, dependencies: EXTRA_DEPS }),
  );
  execFileSync(
    'npm',
    ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--legacy-peer-deps', '--no-package-lock'],
    { cwd: depsDir, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  // 3. The harness: the database connection of makePgClient, and a vitest configuration.
  const helpers = path.join(pkgDir, 'test/support/test-helpers.ts');
  const original = readFileSync(helpers, 'utf8');
  const adapted = original.replace(
    /host: `localhost`,\s*port: 54321,\s*password: `password`,\s*user: `postgres`,\s*database: `electric`,/,
    'connectionString: process.env.DATABASE_URL,',
  );
  if (adapted === original) throw new Error('the harness changed: makePgClient was not adapted');
  writeFileSync(helpers, adapted);
  writeFileSync(
    path.join(pkgDir, 'conformance.vitest.config.mjs'),
    `export default {
  server: { fs: { allow: [${JSON.stringify(work)}] } },
  test: {
    globalSetup: 'test/support/global-setup.ts',
    setupFiles: ['vitest-localstorage-mock'],
    environment: 'jsdom',
    fileParallelism: false,
    testTimeout: 30000,
    reporters: ['default', 'json'],
    outputFile: { json: 'conformance-results.json' },
  },
};
`,
  );
  // 4. A database of its own, and the engine in conformance mode on it.
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${dbName}"`);
  await admin.end();
  server = spawn(path.join(root, 'node_modules/.bin/tsx'), ['server/src/sync/conformance/main.ts'], {
    cwd: root,
    env: { ...process.env, CONFORMANCE_DATABASE_URL: dbUrl, PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'test' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const electricUrl = await new Promise((resolve, reject) => {
    let seen = '';
    server.stdout.on('data', (chunk) => {
      seen += chunk;
      const match = /listening on (\S+)/.exec(seen);
      if (match) resolve(match[1]);
    });
    server.once('exit', (code) => reject(new Error(`the conformance engine exited (${code})`)));
  });
  console.log(`conformance: engine at ${electricUrl}, database ${dbName}`);
  // 5. The official tests.
  const started = Date.now();
  await new Promise((resolve) => {
    const run = spawn(
      path.join(depsDir, 'node_modules/.bin/vitest'),
      ['run', '--config', 'conformance.vitest.config.mjs', ...TEST_FILES],
      {
        cwd: pkgDir,
        env: { ...process.env, ELECTRIC_URL: electricUrl, DATABASE_URL: dbUrl, NODE_ENV: 'test' },
        stdio: process.env.CONFORMANCE_VERBOSE ? 'inherit' : 'ignore',
      },
    );
    run.once('exit', resolve);
  });
  const resultsFile = path.join(pkgDir, 'conformance-results.json');
  if (!existsSync(resultsFile)) throw new Error('vitest wrote no results');
  const results = JSON.parse(readFileSync(resultsFile, 'utf8'));
  const na = notApplicable();
  const counts = { passed: 0, failed: 0, na: 0, skipped: 0 };
  const rows = [];
  for (const file of results.testResults) {
    const name = path.basename(file.name);
    for (const test of file.assertionResults) {
      const title = test.fullName;
      if (test.status === 'passed') {
        counts.passed++;
        rows.push(['pass', name, title, '']);
      } else if (na.has(title)) {
        counts.na++;
        rows.push(['n/a', name, title, na.get(title)]);
      } else if (test.status === 'failed') {
        counts.failed++;
        const why = (test.failureMessages?.[0] ?? '').split('\n')[0].slice(0, 160);
        rows.push(['FAIL', name, title, why]);
      } else {
        counts.skipped++;
        rows.push([test.status, name, title, 'skipped by the suite itself']);
      }
    }
    if (file.assertionResults.length === 0 && file.status === 'failed') {
      counts.failed++;
      rows.push(['FAIL', name, '(file)', (file.message ?? '').split('\n')[0].slice(0, 160)]);
    }
  }
  for (const [status, file, title, why] of rows) {
    console.log(`${status.padEnd(5)} ${file.padEnd(22)} ${title}${why ? `  — ${why}` : ''}`);
  }
  const seconds = Math.round((Date.now() - started) / 1000);
  console.log(
    `\nconformance (client ${testedVersion}, ${seconds} s): ${counts.passed} passed / ${counts.failed} failed / ` +
      `${counts.na} not applicable${counts.skipped ? ` / ${counts.skipped} skipped by the suite` : ''}`,
  );
  process.exitCode = counts.failed > 0 ? 1 : 0;
} catch (error) {
  console.error(`conformance: ${error.message}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
