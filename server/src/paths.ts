// Owns where the project's files are at run time: the same answer whether the server runs from
// its sources (server/src, through tsx) or from the production bundle (dist/), so code never
// counts `../` from its own file.
import { existsSync } from 'node:fs';
import path from 'node:path';

function findProjectRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'server', 'migrations'))) {
      return dir;
    }
    if (path.dirname(dir) === dir)
      throw new Error(`no project root (package.json, server/migrations) above ${start}`);
  }
}

export const PROJECT_ROOT = findProjectRoot(import.meta.dirname);
