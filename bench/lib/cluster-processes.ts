// The processes of the cluster drill, each started here and stopped by stopAll(): a fresh
// database on the machine's PostgreSQL (dropped at the end), app processes (`server/src/main.ts`
// under tsx, production settings, one PORT each, the same DATABASE_URL and secrets), HAProxy
// round-robin on 127.0.0.1 with a config generated into a temp dir, and PgBouncer in
// transaction mode for APP_DATABASE_URL. Only loopback addresses are used.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, createWriteStream, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

const root = path.resolve(import.meta.dirname, '../..');
/** The apps run in production, where /health details (the leader role) need the metrics token. */
export const DRILL_METRICS_TOKEN = randomBytes(32).toString('base64url');
const children = new Set<ChildProcess>();
const cleanups: Array<() => Promise<void>> = [];

export const workDir = mkdtempSync(path.join(tmpdir(), 'sertantai-drill-'));
chmodSync(workDir, 0o755); // PgBouncer runs as postgres and reads its config here

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** The path of an installed program (Debian puts haproxy and pgbouncer in /usr/sbin). */
export function tool(name: 'haproxy' | 'pgbouncer'): string | undefined {
  if (existsSync(`/usr/sbin/${name}`)) return `/usr/sbin/${name}`;
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

/** A new database for the drill; dropped (with its runtime role) by stopAll(). */
export async function freshDatabase(adminUrl: string): Promise<string> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const wal = (await admin.query('SHOW wal_level')).rows[0].wal_level;
  if (wal !== 'logical') {
    await admin.end();
    throw new Error(
      `wal_level is ${wal} at ${adminUrl}: the built-in engine needs logical (ALTER SYSTEM SET wal_level = logical and restart, as .ci/run does)`,
    );
  }
  const name = `sertantai_drill_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  cleanups.push(async () => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
    // The engine's permanent slot (persisted shape logs) would keep the database from being
    // dropped; its walsender may take a moment to end after the processes did.
    for (let attempt = 0; attempt < 50; attempt++) {
      const { rows } = await client.query(
        `SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = $1 AND active`,
        [name],
      );
      if (rows.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await client.query(
      'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = $1 AND NOT active',
      [name],
    );
    await client.query(`DROP DATABASE IF EXISTS ${name}`);
    await client.query(`DROP ROLE IF EXISTS ${name}_app`);
    await client.end();
  });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * PgBouncer in transaction mode in front of `databaseUrl`; returns APP_DATABASE_URL for it: the
 * runtime role `<database>_app` with `password` (the server makes the role match; PgBouncer
 * passes the pair on to PostgreSQL).
 */
export async function startPgBouncer(databaseUrl: string, password: string): Promise<string> {
  const target = new URL(databaseUrl);
  const port = await freePort();
  const dbName = target.pathname.slice(1);
  const ini = path.join(workDir, 'pgbouncer.ini');
  const role = `${dbName}_app`;
  writeFileSync(path.join(workDir, 'userlist.txt'), `"${role}" "${password}"\n`);
  chmodSync(path.join(workDir, 'userlist.txt'), 0o644);
  writeFileSync(
    ini,
    [
      '[databases]',
      `${dbName} = host=${target.hostname} port=${target.port || 5432} dbname=${dbName}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = plain',
      `auth_file = ${path.join(workDir, 'userlist.txt')}`,
      'pool_mode = transaction',
      'max_client_conn = 1000',
      'default_pool_size = 20',
      'ignore_startup_parameters = extra_float_digits,options,application_name',
      '',
    ].join('\n'),
  );
  chmodSync(ini, 0o644);
  // PgBouncer refuses to run as root: drop to postgres when we are root.
  const asRoot = process.getuid?.() === 0;
  startChild('pgbouncer', tool('pgbouncer') ?? 'pgbouncer', [...(asRoot ? ['-u', 'postgres'] : []), ini]);
  await waitForPort(port);
  const pooled = new URL(databaseUrl);
  pooled.port = String(port);
  pooled.username = role;
  pooled.password = password;
  return pooled.toString();
}

/** HAProxy on 127.0.0.1: `frontends` name → the app ports it balances round-robin. */
export async function startHaproxy(frontends: Record<string, number[]>): Promise<Record<string, string>> {
  const lines = [
    'global',
    '  maxconn 4096',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 90s',
    '  timeout server 90s',
    // A loaded machine answers /health slowly; a dead process is refused at once anyway.
    '  retries 3',
    '  option redispatch',
  ];
  const urls: Record<string, string> = {};
  for (const [name, ports] of Object.entries(frontends)) {
    const port = await freePort();
    urls[name] = `http://127.0.0.1:${port}`;
    lines.push(`frontend ${name}`, `  bind 127.0.0.1:${port}`, `  default_backend ${name}_apps`);
    // TCP checks: a dead process refuses connections and leaves the rotation within ~2 s; a
    // slow but live one stays (an HTTP check timing out on a loaded machine would turn slowness
    // into 503s). A lone server is not checked at all.
    lines.push(`backend ${name}_apps`, '  balance roundrobin', '  default-server inter 1s fall 2 rise 1');
    const check = ports.length > 1 ? ' check' : '';
    for (const appPort of ports) lines.push(`  server app${appPort} 127.0.0.1:${appPort}${check}`);
  }
  const file = path.join(workDir, 'haproxy.cfg');
  writeFileSync(file, `${lines.join('\n')}\n`);
  startChild('haproxy', tool('haproxy') ?? 'haproxy', ['-db', '-f', file]);
  for (const url of Object.values(urls)) await waitForPort(Number(new URL(url).port));
  return urls;
}

export type AppProcess = { port: number; url: string; child: ChildProcess };

/** One `server/src/main.ts` process on `port` with the shared environment. */
export function startApp(port: number, env: Record<string, string>): AppProcess {
  const child = startChild(`app-${port}`, process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
    ...env,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: path.join(workDir, `data-${port}`),
  });
  return { port, url: `http://127.0.0.1:${port}`, child };
}

/** Waits until GET /health answers 200; returns its sync_leader check. */
export async function waitHealthy(app: { url: string }, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const health = await leaderOf(app);
    if (health) return health;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${app.url} not healthy within ${timeoutMs} ms (log: ${workDir})`);
}

/** The process's role from /health, or undefined when it does not answer 200. */
export async function leaderOf(app: { url: string }): Promise<{ role: string } | undefined> {
  try {
    const response = await fetch(`${app.url}/health`, {
      headers: { authorization: `Bearer ${DRILL_METRICS_TOKEN}` },
      signal: AbortSignal.timeout(10_000),
    });
    if (response.status !== 200) return undefined;
    const body = (await response.json()) as { checks: { sync_leader: { role: string } } };
    return body.checks.sync_leader;
  } catch {
    return undefined;
  }
}

/** Crashes a process (SIGKILL: no clean shutdown, its connections just die). */
export async function killHard(app: AppProcess) {
  const exited = new Promise((resolve) => app.child.once('exit', resolve));
  app.child.kill('SIGKILL');
  await exited;
}

function startChild(name: string, command: string, args: string[], env: Record<string, string> = {}) {
  const log = createWriteStream(path.join(workDir, `${name}.log`), { flags: 'a' });
  const child = spawn(command, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

async function waitForPort(port: number, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      socket.once('connect', () => resolve(true)).once('error', () => resolve(false));
      socket.connect(port, '127.0.0.1');
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms (logs: ${workDir})`);
}

/** Stops every process started here (TERM, then KILL after 5 s), drops the database, and
 * removes the temp dir unless `keepLogs` (then its path is printed). */
export async function stopAll(keepLogs = false) {
  await Promise.all(
    [...children].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup().catch((error) => console.error(`cleanup: ${(error as Error).message}`));
  }
  if (keepLogs) console.log(`logs kept in ${workDir}`);
  else rmSync(workDir, { recursive: true, force: true });
}
