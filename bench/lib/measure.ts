// Shared benchmark helpers: run an async operation in a closed loop at a fixed concurrency
// for a fixed time, and print throughput, latency percentiles and ratios side by side.
// Machines are shared and noisy: compare figures taken in the same run, never across runs.

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
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    ops: latencies.length,
    opsPerSec: latencies.length / elapsed,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

export function printTable(
  results: Array<LoopResult & { name: string }>,
  ratios: Array<[string, string]> = [],
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
  for (const [a, b] of ratios) {
    const ra = results.find((r) => r.name === a);
    const rb = results.find((r) => r.name === b);
    if (ra && rb) console.log(`  ${a}  /  ${b}  =  ${(ra.opsPerSec / rb.opsPerSec).toFixed(2)}`);
  }
}
