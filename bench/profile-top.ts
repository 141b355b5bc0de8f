// The functions with the most self time in a Chromium CPU profile (bench/web.ts's BENCH_PROFILE),
// with their total time. Run: npx tsx bench/profile-top.ts <file.cpuprofile> [how many]
import { readFileSync } from 'node:fs';

type Node = {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
};
type Profile = { nodes: Node[]; samples: number[]; timeDeltas: number[] };

const [file, howMany = '25'] = process.argv.slice(2);
if (!file) throw new Error('usage: npx tsx bench/profile-top.ts <file.cpuprofile> [how many]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const selfTime = new Map<number, number>();
for (const [i, id] of profile.samples.entries()) {
  selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
const key = (n: Node) => {
  const f = n.callFrame;
  return `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}:${f.columnNumber + 1}`;
};
const self = new Map<string, number>();
const total = new Map<string, number>();
for (const [id, t] of selfTime) {
  const node = byId.get(id)!;
  self.set(key(node), (self.get(key(node)) ?? 0) + t);
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const k = key(byId.get(at)!);
    if (seen.has(k)) continue;
    seen.add(k);
    total.set(k, (total.get(k) ?? 0) + t);
  }
}
const all = [...selfTime.values()].reduce((a, b) => a + b, 0);
console.log(`${file}: ${(all / 1000).toFixed(0)} ms sampled`);
for (const [k, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(howMany)))
  console.log(
    `  self ${(t / 1000).toFixed(1).padStart(8)} ms  total ${((total.get(k) ?? 0) / 1000).toFixed(1).padStart(8)} ms  ${k}`,
  );
