// Owns making the embedded PostgreSQL runnable wherever the clone and DATA_DIR are. PostgreSQL
// refuses to run as root, so as root it runs as the `postgres` system user (created if absent),
// and that user must reach the binaries and the cluster directory. A clone under a 0700
// directory (/root/...) or a DATA_DIR made by `mktemp -d` hides both from it, so:
//   - binaries it cannot run are copied once to a shared cache (os.tmpdir(), mode 0755);
//   - a DATA_DIR it cannot enter is made traversable (o+x, nothing listable) when only DATA_DIR
//     itself is closed; when a parent is closed the cluster lives in /var/lib/sertantai-embedded
//     and DATA_DIR/pg is a symbolic link to it;
//   - the cluster directory is owned by that user.
// When none of this works the start is refused in one line that says what to do.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { binariesAt, type PostgresBinaries, type RunAs } from './embedded-process.ts';
import { DatabaseStartupError } from './errors.ts';

const SERVER_USER = 'postgres';
export const RELOCATED_CLUSTERS_ROOT = '/var/lib/sertantai-embedded';

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** The user PostgreSQL runs as: this process's own, or `postgres` when this process is root. */
export function serverUser(): RunAs {
  if (!isRoot()) return undefined;
  if (!userExists(SERVER_USER)) {
    const made = spawnSync('useradd', [
      '--system',
      '--user-group',
      '--no-create-home',
      '--shell',
      '/usr/sbin/nologin',
      SERVER_USER,
    ]);
    if (made.status !== 0 || !userExists(SERVER_USER)) {
      throw new DatabaseStartupError(
        `running as root, the embedded PostgreSQL needs a '${SERVER_USER}' user and it could not be created; ` +
          `create it (useradd --system ${SERVER_USER}), run as another user, or set DATABASE_URL`,
      );
    }
  }
  const id = (flag: string) => Number(execFileSync('id', [flag, SERVER_USER], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g'), name: SERVER_USER };
}

function userExists(name: string): boolean {
  return spawnSync('id', ['-u', name]).status === 0;
}

/** `test <flags> <target>` as `runAs`: the exact check the kernel will make for that user. */
function canAs(runAs: RunAs, flags: string[], target: string): boolean {
  const args = flags.flatMap((flag, i) => (i === 0 ? [flag, target] : ['-a', flag, target]));
  return spawnSync('test', args, runAs ? { uid: runAs.uid, gid: runAs.gid } : {}).status === 0;
}

/** Binaries `runAs` can execute: the packaged ones, or a copy in a shared cache. */
export function reachableBinaries(packaged: PostgresBinaries, runAs: RunAs): PostgresBinaries {
  if (!runAs || canAs(runAs, ['-x'], packaged.postgres)) return packaged;
  const cache = path.join(os.tmpdir(), `sertantai-postgres-${packaged.version}`);
  const copy = binariesAt(cache, packaged.version);
  if (!existsSync(copy.postgres)) {
    const staging = `${cache}.${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    cpSync(packaged.dir, staging, { recursive: true, verbatimSymlinks: true });
    chmodSync(staging, 0o755);
    try {
      renameSync(staging, cache); // atomic: a concurrent start either wins or finds the copy
    } catch {
      rmSync(staging, { recursive: true, force: true });
    }
  }
  if (!canAs(runAs, ['-x'], copy.postgres)) {
    throw new DatabaseStartupError(
      `the '${runAs.name}' user cannot run the embedded PostgreSQL from ${packaged.dir} nor from ${cache}; ` +
        'clone the project where that user can read it, or set DATABASE_URL',
    );
  }
  return copy;
}

/** The cluster directory for DATA_DIR, reachable and owned by `runAs`; may be relocated (see above). */
export function reachableClusterDir(
  dataDir: string,
  runAs: RunAs,
): { clusterDir: string; relocated: boolean } {
  const inDataDir = path.join(dataDir, 'pg');
  if (!runAs) {
    mkdirSync(inDataDir, { recursive: true, mode: 0o700 });
    return { clusterDir: inDataDir, relocated: false };
  }
  if (!canAs(runAs, ['-x'], dataDir) && canAs(runAs, ['-x'], path.dirname(dataDir))) {
    chmodSync(dataDir, statSync(dataDir).mode | 0o001); // traverse only: nothing in it becomes listable
  }
  let clusterDir = inDataDir;
  let relocated = false;
  if (!canAs(runAs, ['-x'], dataDir)) {
    clusterDir = relocatedClusterDir(dataDir, inDataDir);
    relocated = true;
  }
  mkdirSync(clusterDir, { recursive: true, mode: 0o700 });
  if (statSync(clusterDir).uid !== runAs.uid) chownTree(clusterDir, runAs);
  if (!canAs(runAs, ['-w', '-x'], clusterDir)) {
    throw new DatabaseStartupError(
      `the '${runAs.name}' user cannot write the embedded cluster in ${clusterDir}; ` +
        `set DATA_DIR to a directory it can reach (e.g. DATA_DIR=/var/lib/sertantai), or set DATABASE_URL`,
    );
  }
  return { clusterDir, relocated };
}

/** /var/lib/sertantai-embedded/<hash of DATA_DIR>, linked from DATA_DIR/pg so it is found again. */
function relocatedClusterDir(dataDir: string, link: string): string {
  const target = path.join(
    RELOCATED_CLUSTERS_ROOT,
    createHash('sha256').update(dataDir).digest('hex').slice(0, 16),
  );
  const linkStat = lstatSync(link, { throwIfNoEntry: false });
  if (linkStat?.isSymbolicLink()) return readlinkSync(link);
  if (linkStat) {
    throw new DatabaseStartupError(
      `the '${SERVER_USER}' user cannot reach ${dataDir} (a parent directory is closed to it) and ${link} exists; ` +
        'set DATA_DIR to a directory it can reach (e.g. DATA_DIR=/var/lib/sertantai), or set DATABASE_URL',
    );
  }
  mkdirSync(RELOCATED_CLUSTERS_ROOT, { recursive: true, mode: 0o755 });
  chmodSync(RELOCATED_CLUSTERS_ROOT, 0o755);
  mkdirSync(target, { recursive: true, mode: 0o700 });
  symlinkSync(target, link);
  return target;
}

function chownTree(dir: string, runAs: NonNullable<RunAs>) {
  chownSync(dir, runAs.uid, runAs.gid);
  spawnSync('chown', ['-R', `${runAs.uid}:${runAs.gid}`, dir]);
}
