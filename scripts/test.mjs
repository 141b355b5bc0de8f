#!/usr/bin/env node
// `npm test`: every suite, one after another, then one closing line "N passed, N failed".
//   checks   type-checking (server and web) and lint, one count each
//   core     vitest unit tests of the shared core (packages/core)
//   server   vitest: unit + integration against a real PostgreSQL (embedded, or DATABASE_URL)
//   web      vitest unit tests of the web app
//   browser  Playwright in Debian's Chromium (skipped when Chromium is absent, unless
//            REQUIRE_BROWSER=1, which .ci/run sets)
// TEST_SUITES=core,server,web limits the run. Exit code is non-zero when anything failed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const wanted = (process.env.TEST_SUITES ?? 'checks,core,server,web,browser').split(',');
const outDir = mkdtempSync(path.join(tmpdir(), 'sertantai-test-'));
const env = { ...process.env };
if (env.DATABASE_URL && !env.TEST_DATABASE_URL) env.TEST_DATABASE_URL = env.DATABASE_URL;
delete env.DATABASE_URL; // the app under test always gets the per-run test database

let passed = 0;
let failed = 0;
let skipped = 0;
const summary = [];

function run(command, args, extraEnv = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...env, ...extraEnv } });
  return result.status === 0;
}

function check(name, command, args) {
  const ok = run(command, args);
  ok ? passed++ : failed++;
  summary.push(`${ok ? 'ok  ' : 'FAIL'} ${name}`);
}

function vitest(name, config) {
  const file = path.join(outDir, `${name}.json`);
  const ok = run('npx', [
    'vitest',
    'run',
    '--config',
    config,
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${file}`,
  ]);
  countJson(name, file, ok, (report) => ({
    passed: report.numPassedTests,
    failed: report.numFailedTests + (report.numFailedTestSuites ?? 0) - countFailedSuitesWithTests(report),
    skipped: report.numPendingTests + report.numTodoTests,
  }));
}

function countFailedSuitesWithTests(report) {
  // A suite that failed to load has no failed tests of its own; count it once.
  return (report.testResults ?? []).filter(
    (suite) => suite.status === 'failed' && suite.assertionResults?.some((t) => t.status === 'failed'),
  ).length;
}

function countJson(name, file, ok, read) {
  if (!existsSync(file)) {
    failed++;
    summary.push(`FAIL ${name}: no report (the runner crashed)`);
    return;
  }
  const counts = read(JSON.parse(readFileSync(file, 'utf8')));
  if (!ok && counts.failed === 0) counts.failed = 1; // a runner error outside any test
  passed += counts.passed;
  failed += counts.failed;
  skipped += counts.skipped;
  summary.push(
    `${counts.failed ? 'FAIL' : 'ok  '} ${name}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`,
  );
}

function chromiumPath() {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(
    Boolean,
  );
  return candidates.find((candidate) => existsSync(candidate));
}

if (wanted.includes('checks')) {
  check('typecheck server', 'npx', ['tsc', '-p', 'tsconfig.json']);
  if (existsSync(path.join(root, 'web/svelte.config.js'))) {
    check('typecheck web', 'npx', [
      'svelte-check',
      '--workspace',
      'web',
      '--threshold',
      'error',
      '--fail-on-warnings=false',
    ]);
  }
  check('lint', 'npx', ['biome', 'check', '--diagnostic-level=error', '.']);
}
if (wanted.includes('core')) vitest('core', 'packages/core/vitest.config.ts');
if (wanted.includes('server')) vitest('server', 'server/vitest.config.ts');
if (wanted.includes('web') && existsSync(path.join(root, 'web/vite.config.ts')))
  vitest('web', 'web/vite.config.ts');
if (wanted.includes('browser') && existsSync(path.join(root, 'e2e/playwright.config.ts'))) {
  const chromium = chromiumPath();
  if (!chromium && process.env.REQUIRE_BROWSER === '1') {
    failed++;
    summary.push('FAIL browser: Chromium not found and REQUIRE_BROWSER=1');
  } else if (!chromium) {
    summary.push('skip browser: Chromium not found (apt-get install chromium)');
  } else {
    const file = path.join(outDir, 'browser.json');
    const ok = run('npx', ['playwright', 'test', '--config', 'e2e/playwright.config.ts'], {
      CHROMIUM_PATH: chromium,
      PLAYWRIGHT_JSON_OUTPUT_NAME: file,
    });
    countJson('browser', file, ok, (report) => ({
      passed: report.stats.expected + (report.stats.flaky ?? 0),
      failed: report.stats.unexpected,
      skipped: report.stats.skipped,
    }));
  }
}

console.log(`\n${summary.join('\n')}\n`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
