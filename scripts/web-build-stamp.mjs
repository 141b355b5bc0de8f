// Owns knowing whether web/build matches its sources: a SHA-256 over the web app's sources and
// configuration, the shared core it imports (packages/core) and the lock file (dependency
// versions), written into web/build after a successful build. Content, not modification times, so a checkout or a
// copy of the tree does not force a rebuild and an edit always does.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const INPUTS = [
  'web/src',
  'web/static',
  'web/svelte.config.js',
  'web/vite.config.ts',
  'web/tsconfig.json',
  'packages/core/src',
  'packages/core/package.json',
  'package-lock.json',
];
const STAMP = 'web/build/.source-hash';

export function webSourceHash(root) {
  const hash = createHash('sha256');
  const visit = (relative) => {
    const full = path.join(root, relative);
    if (!existsSync(full)) return;
    if (statSync(full).isDirectory()) {
      for (const name of readdirSync(full).sort()) visit(path.join(relative, name));
      return;
    }
    hash.update(`${relative}\0`);
    hash.update(readFileSync(full));
    hash.update('\0');
  };
  for (const input of INPUTS) visit(input);
  return hash.digest('hex');
}

export function isWebBuildCurrent(root) {
  const stamp = path.join(root, STAMP);
  if (!existsSync(path.join(root, 'web/build/index.html')) || !existsSync(stamp)) return false;
  return readFileSync(stamp, 'utf8').trim() === webSourceHash(root);
}

export function writeWebBuildStamp(root) {
  writeFileSync(path.join(root, STAMP), `${webSourceHash(root)}\n`);
}

// `node scripts/web-build-stamp.mjs` (after `vite build` in `npm run build`) records the stamp.
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  writeWebBuildStamp(path.resolve(import.meta.dirname, '..'));
}
