#!/usr/bin/env node
// `npm start`, the one command in both modes:
//   production (NODE_ENV=production): runs the build from `npm run build` (dist/main.js, web/build)
//     with production dependencies only; refuses in one line when there is no build.
//   development: rebuilds the web app (for the main server) only when its sources changed since the last build (a hash
//     of web sources, the shared core and the lock file, kept in web/build), then runs the server
//     from its TypeScript sources through tsx. Either way the server runs in this process, so
//     signals reach it directly.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isWebBuildCurrent, writeWebBuildStamp } from './web-build-stamp.mjs';

const root = path.resolve(import.meta.dirname, '..');
// `npm start` runs main; `start:auth`, `db:migrate`, `db:status` and `admin` name another entry
// point (main-auth, db/cli, admin/cli), taken off argv so the entry reads its own arguments from argv[2] on.
const ENTRIES = ['main', 'main-auth', 'db/cli', 'admin/cli'];
const entry = ENTRIES.includes(process.argv[2]) ? process.argv.splice(2, 1)[0] : 'main';

if (process.env.NODE_ENV === 'production') {
  const bundle = path.join(root, 'dist', `${entry}.js`);
  if (!existsSync(bundle)) {
    process.stderr.write(`Cannot start: no production build (${bundle}); run \`npm run build\` first\n`);
    process.exit(1);
  }
  process.setSourceMapsEnabled(true); // stack traces name server/src files, not bundle lines
  await import(pathToFileURL(bundle).href);
} else {
  if (entry === 'main' && !isWebBuildCurrent(root)) {
    process.stdout.write('Building the web app (its sources changed since the last build)…\n');
    const built = spawnSync('npx', ['vite', 'build', '--logLevel', 'warn'], {
      cwd: path.join(root, 'web'),
      stdio: 'inherit',
    });
    if (built.status !== 0) {
      process.stderr.write('Cannot start: the web app did not build (see above)\n');
      process.exit(1);
    }
    writeWebBuildStamp(root);
  }
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(path.join(root, 'server', 'src', `${entry}.ts`)).href);
}
