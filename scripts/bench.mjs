#!/usr/bin/env node
// `npm run bench`: every benchmark in bench/, one after another (each prints its own ratios).
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const benches = ['rls', 'auth', 'api', 'domain', 'import', 'sync-endpoint', 'sync', 'noisy-neighbour', 'web'];
let failed = 0;
for (const name of process.argv.slice(2).length ? process.argv.slice(2) : benches) {
  console.log(`\n=== bench/${name}.ts`);
  const args = ['--import', 'tsx', ...(name === 'sync' ? ['--expose-gc'] : []), `bench/${name}.ts`];
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
