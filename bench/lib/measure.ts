// Shared benchmark helpers: run an async operation in a closed loop at a fixed concurrency
// for a fixed time, and print throughput, latency percentiles and ratios side by side.
// Machines are shared and noisy: compare figures taken in the same run, never across runs.
import { appendFileSync } from 'node:fs';
import path from 'node:path';

/** Seconds per measured case: BENCH_SECONDS, or the benchmark's own default. */
export function benchSeconds(fallback: number): number {
  return Number(process.env.BENCH_SECONDS ?? fallback);
}

export type LoopResult = { ops: number; opsPerSec: number; p50Ms: number; p99Ms: number };

export function percentile(sortedMs: number[], p: number): number {
  if (sortedMs.length === 0) return Number.NaN;
  return sortedMs[Math.min(sortedMs.length - 1, Math.floor((p / 100) * sortedMs.length))]!;
}

export async function timeLoop(
  operation: () => Promise<unknown>,
  { seconds = 3, concurrency = 4, warmupOps = 50 } = {},
): Promise<LoopResult> {
  for (let i = 0; i < warmupOps; i++) await operation();
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        await operation();
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return loopResult(latencies, started);
}

/** Throughput and p50/p99 of the latencies of a loop that began at `startedMs` (performance.now()). */
export function loopResult(latencies: number[], startedMs: number): LoopResult {
  const elapsed = (performance.now() - startedMs) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    ops: latencies.length,
    opsPerSec: latencies.length / elapsed,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

/** A goal for a ratio: at least (higher is better) or at most (lower is better) `value`. */
export type Goal = { atLeast: number } | { atMost: number };

/**
 * Records a ratio for `npm run bench`'s closing summary (scripts/bench.mjs passes the file in
 * BENCH_SUMMARY_FILE; a bench run on its own only prints). One JSON line per ratio, so every
 * bench process appends without coordinating with the others.
 */
export function recordRatio(name: string, value: number, goal?: Goal) {
  const file = process.env.BENCH_SUMMARY_FILE;
  if (!file) return;
  const bench = path.basename(process.argv[1] ?? 'bench', '.ts');
  appendFileSync(file, `${JSON.stringify({ bench, name, value, goal: goal ?? null })}\n`);
}

export function printTable(
  results: Array<LoopResult & { name: string }>,
  ratios: Array<[string, string] | [string, string, Goal]> = [],
) {
  const width = Math.max(...results.map((r) => r.name.length));
  console.log(
    `\n${'case'.padEnd(width)}  ${'ops/s'.padStart(9)}  ${'p50 ms'.padStart(8)}  ${'p99 ms'.padStart(8)}`,
  );
  for (const r of results) {
    console.log(
      `${r.name.padEnd(width)}  ${r.opsPerSec.toFixed(0).padStart(9)}  ${r.p50Ms.toFixed(2).padStart(8)}  ${r.p99Ms.toFixed(2).padStart(8)}`,
    );
  }
  if (ratios.length > 0) console.log('\nratios (throughput, same run):');
  for (const [a, b, goal] of ratios) {
    const ra = results.find((r) => r.name === a);
    const rb = results.find((r) => r.name === b);
    if (!ra || !rb) continue;
    const value = ra.opsPerSec / rb.opsPerSec;
    const target = goal ? `  (goal ${goalText(goal)})` : '';
    console.log(`  ${a}  /  ${b}  =  ${value.toFixed(2)}${target}`);
    recordRatio(`${a} / ${b}`, value, goal);
  }
}

export function goalText(goal: Goal): string {
  return 'atLeast' in goal ? `≥ ${goal.atLeast}` : `≤ ${goal.atMost}`;
}
