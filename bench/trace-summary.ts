// Where the page's main thread spends a sign-in round, from a Chromium trace written by
// bench/register-on-demand.ts (BENCH_PROFILE): each task of the renderer's main thread after the
// click (performance.mark 'bench-click'), in ms after it, with what filled it (scripts by their
// file, style, layout, paint, parsing and compiling; for tasks of 20 ms or more the functions
// sampled most), and the requests sent and answered.
// Run: npx tsx bench/trace-summary.ts <file.trace.json> [until ms, 1000] [shortest task ms, 2]
import { readFileSync } from 'node:fs';

type TraceEvent = {
  name: string;
  cat: string;
  ph: string;
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  args?: { name?: string; data?: Record<string, unknown> };
};

const [file, untilArg = '1000', shortestArg = '2'] = process.argv.slice(2);
if (!file)
  throw new Error('usage: npx tsx bench/trace-summary.ts <file.trace.json> [until ms] [shortest task ms]');
const until = Number(untilArg);
const shortest = Number(shortestArg);
const trace = JSON.parse(readFileSync(file, 'utf8')) as { traceEvents: TraceEvent[] } | TraceEvent[];
const events = Array.isArray(trace) ? trace : trace.traceEvents;

const click = events.find((e) => e.name === 'bench-click' && e.cat.includes('blink.user_timing'));
if (!click) throw new Error('no bench-click mark in the trace');
const main = events.find(
  (e) => e.name === 'thread_name' && e.pid === click.pid && e.args?.name === 'CrRendererMain',
);
const tid = main?.tid ?? click.tid;
const at = (ts: number) => (ts - click.ts) / 1000;
const onMain = events.filter(
  (e) => e.pid === click.pid && e.tid === tid && e.ph === 'X' && e.dur !== undefined,
);

/** What an event is counted as: scripts by file, the rendering steps by name. */
function kindOf(e: TraceEvent): string | undefined {
  const data = e.args?.data ?? {};
  if (e.name === 'FunctionCall' || e.name === 'EvaluateScript' || e.name === 'v8.callFunction')
    return `script ${
      String(data.url ?? '')
        .split('/')
        .pop() || '(inline)'
    }`;
  if (e.name.startsWith('v8.compile') || e.name === 'v8.parseOnBackground') return 'compile';
  if (e.name === 'UpdateLayoutTree' || e.name === 'RecalculateStyles') return 'style';
  if (e.name === 'Layout') return 'layout';
  if (e.name === 'Paint' || e.name === 'PrePaint' || e.name === 'Layerize' || e.name === 'Commit')
    return 'paint';
  if (e.name === 'ParseHTML') return 'parse HTML';
  if (e.name === 'MinorGC' || e.name === 'MajorGC' || e.name === 'V8.GC_SCAVENGER') return 'gc';
  return undefined;
}

// The sampled CPU profile in the trace (ProfileChunk events): each sample's time and function,
// to say which functions filled a long task.
type ProfileNode = { id: number; parent?: number; callFrame: { functionName: string; url: string } };
const nodes = new Map<number, ProfileNode>();
const samples: { ts: number; node: number }[] = [];
// The main thread's profile (a service worker in the same process has its own).
const profileStart = events.find((e) => e.name === 'Profile' && e.pid === click.pid && e.tid === tid);
let sampleTs = Number((profileStart?.args?.data as { startTime?: number } | undefined)?.startTime ?? 0);
const mainProfile = (e: TraceEvent) => (e as { id?: string }).id === (profileStart as { id?: string })?.id;
for (const e of events.filter((x) => x.name === 'ProfileChunk' && x.pid === click.pid && mainProfile(x))) {
  const data = e.args?.data as
    | { cpuProfile?: { nodes?: ProfileNode[]; samples?: number[] }; timeDeltas?: number[] }
    | undefined;
  for (const node of data?.cpuProfile?.nodes ?? []) nodes.set(node.id, node);
  const ids = data?.cpuProfile?.samples ?? [];
  for (const [i, id] of ids.entries()) {
    sampleTs += data?.timeDeltas?.[i] ?? 0;
    samples.push({ ts: sampleTs, node: id });
  }
}
const nameOf = (node: ProfileNode | undefined) =>
  node
    ? `${node.callFrame.functionName || '(anonymous)'}@${(node.callFrame.url ?? '').split('/').pop() || '-'}`
    : '?';
/**
 * The functions with the most samples between two trace times, counting a sample for every
 * function on its stack (what each function and everything it called took).
 */
function topFunctions(from: number, to: number, count: number): string {
  const inclusive = new Map<string, number>();
  let total = 0;
  for (const sample of samples) {
    if (sample.ts < from || sample.ts > to) continue;
    total++;
    const seen = new Set<string>();
    for (let node = nodes.get(sample.node); node; node = node.parent ? nodes.get(node.parent) : undefined) {
      const name = nameOf(node);
      if (seen.has(name) || name.startsWith('(root)')) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + 1);
    }
  }
  return [...inclusive]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, n]) => `${name} ${Math.round((100 * n) / Math.max(total, 1))}%`)
    .join(', ');
}

const tasks = onMain
  .filter((e) => e.name === 'RunTask' || e.name === 'ThreadControllerImpl::RunTask')
  .filter((e) => at(e.ts) >= -1 && at(e.ts) <= until && (e.dur ?? 0) / 1000 >= shortest)
  .sort((a, b) => a.ts - b.ts);

console.log(`${file}: main thread tasks of ≥ ${shortest} ms after the click, ms after it`);
let busy = 0;
for (const task of tasks) {
  const end = task.ts + (task.dur ?? 0);
  const inside = onMain.filter((e) => e !== task && e.ts >= task.ts && e.ts + (e.dur ?? 0) <= end);
  const byKind = new Map<string, number>();
  for (const e of inside) {
    const kind = kindOf(e);
    if (kind) byKind.set(kind, (byKind.get(kind) ?? 0) + (e.dur ?? 0) / 1000);
  }
  busy += (task.dur ?? 0) / 1000;
  const parts = [...byKind]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([kind, ms]) => `${kind} ${ms.toFixed(1)}`)
    .join(', ');
  console.log(
    `  ${at(task.ts).toFixed(0).padStart(5)}→${at(end).toFixed(0).padEnd(5)} ${((task.dur ?? 0) / 1000).toFixed(1).padStart(6)} ms  ${parts}`,
  );
  if ((task.dur ?? 0) >= 20_000 && samples.length > 0)
    console.log(`               most sampled: ${topFunctions(task.ts, end, 24)}`);
}
console.log(`  main thread busy in these tasks: ${busy.toFixed(0)} ms`);

console.log('requests (sent → answer finished), ms after the click:');
const sent = new Map<string, { url: string; start: number }>();
for (const e of events.filter((x) => x.pid === click.pid || x.cat.includes('devtools.timeline'))) {
  const data = e.args?.data ?? {};
  const id = String(data.requestId ?? '');
  if (e.name === 'ResourceSendRequest' && id) sent.set(id, { url: String(data.url ?? ''), start: at(e.ts) });
  if (e.name === 'ResourceFinish' && sent.has(id)) {
    const { url, start } = sent.get(id)!;
    if (start >= 0 && start <= until) {
      const u = new URL(url);
      console.log(
        `  ${start.toFixed(0).padStart(5)}→${at(e.ts).toFixed(0).padEnd(5)} ${u.pathname}${u.search.slice(0, 90)}`,
      );
    }
  }
}
