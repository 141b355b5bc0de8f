#!/usr/bin/env node
// `npm run bench`: every benchmark in bench/, one after another (each prints its own ratios),
// then one summary table of every ratio they recorded (bench/lib/measure.ts recordRatio), each
// beside its goal when it has one. Nothing passes or fails on time: the table only says so.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const benches = [
  'rls',
  'auth',
  'api',
  'responses',
  'domain',
  'import',
  'sync-endpoint',
  'sync',
  'noisy-neighbour',
  'web',
  'register-on-demand',
];
const summaryDir = mkdtempSync(path.join(tmpdir(), 'sertantai-bench-'));
const summaryFile = path.join(summaryDir, 'ratios.jsonl');
const failed = [];
for (const name of process.argv.slice(2).length ? process.argv.slice(2) : benches) {
  console.log(`\n=== bench/${name}.ts`);
  const args = ['--import', 'tsx', ...(name === 'sync' ? ['--expose-gc'] : []), `bench/${name}.ts`];
  const result = spawnSync(process.execPath, args, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, BENCH_SUMMARY_FILE: summaryFile },
  });
  if (result.status !== 0) failed.push(name);
}

let lines = [];
try {
  lines = readFileSync(summaryFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
} catch {
  // no bench recorded a ratio
}
rmSync(summaryDir, { recursive: true, force: true });

const goalText = (goal) => (!goal ? '—' : 'atLeast' in goal ? `≥ ${goal.atLeast}` : `≤ ${goal.atMost}`);
const verdict = (value, goal) =>
  !goal ? '' : ('atLeast' in goal ? value >= goal.atLeast : value <= goal.atMost) ? 'met' : 'NOT met';
const rows = lines.map((r) => [
  r.bench,
  r.name,
  r.value.toFixed(2),
  goalText(r.goal),
  verdict(r.value, r.goal),
]);
const header = ['bench', 'ratio or figure (same run)', 'value', 'goal', ''];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
const line = (cells) =>
  cells.map((cell, i) => (i === 2 ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ');
console.log(
  '\n=== summary: every ratio (and the few absolute figures the issues set goals for), measured side by side within each bench; on a shared machine these are upper bounds of the cost',
);
console.log(line(header));
for (const row of rows) console.log(line(row));
if (failed.length > 0) console.log(`\nbenches that exited with an error: ${failed.join(', ')}`);
process.exit(failed.length > 0 ? 1 : 0);
