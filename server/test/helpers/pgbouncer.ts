// Starts a real PgBouncer (Debian's /usr/sbin/pgbouncer) in transaction mode on a free loopback
// port, with its own configuration and userlist in a temporary directory, in front of one
// PostgreSQL database. For the pooler tests (and anything else that must prove it survives a
// transaction-mode pooler). As root it runs as `postgres`: PgBouncer refuses to run as root.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

export const PGBOUNCER = process.env.PGBOUNCER_PATH ?? '/usr/sbin/pgbouncer';
export const havePgBouncer = existsSync(PGBOUNCER);

export type PgBouncer = {
  port: number;
  url: (user: string, password: string) => string;
  stop: () => Promise<void>;
};

/** PgBouncer in front of `databaseUrl`'s database; `users` are the login pairs it accepts and uses. */
export async function startPgBouncer(databaseUrl: string, users: Record<string, string>): Promise<PgBouncer> {
  const target = new URL(databaseUrl);
  const database = decodeURIComponent(target.pathname.slice(1));
  const dir = mkdtempSync(path.join(tmpdir(), 'sertantai-pgbouncer-'));
  const port = await freePort();
  const quote = (value: string) => `"${value.replaceAll('"', '""')}"`;
  writeFileSync(
    path.join(dir, 'userlist.txt'),
    Object.entries(users)
      .map(([user, password]) => `${quote(user)} ${quote(password)}`)
      .join('\n'),
  );
  writeFileSync(
    path.join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `${database} = host=${target.hostname} port=${target.port || 5432} dbname=${database}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = scram-sha-256',
      `auth_file = ${path.join(dir, 'userlist.txt')}`,
      'pool_mode = transaction',
      'max_client_conn = 500',
      'default_pool_size = 10',
      'ignore_startup_parameters = extra_float_digits',
      `stats_users = ${Object.keys(users).join(', ')}`,
      `pidfile = ${path.join(dir, 'pgbouncer.pid')}`,
      '',
    ].join('\n'),
  );
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const id = (flag: string) =>
      Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
    chmodSync(dir, 0o755);
    for (const file of ['userlist.txt', 'pgbouncer.ini']) chownSync(path.join(dir, file), id('-u'), id('-g'));
    chownSync(dir, id('-u'), id('-g'));
  }
  const child = spawn(PGBOUNCER, [...(asRoot ? ['-u', 'postgres'] : []), path.join(dir, 'pgbouncer.ini')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr?.on('data', (chunk) => (log += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitForPort(port, child, () => log);
  return {
    port,
    url: (user, password) =>
      `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type Pooler = {
  bouncer: PgBouncer;
  /** The app's login role through the pooler: `<database>_<suffix>`. */
  role: string;
  password: string;
  /** APP_DATABASE_URL: the app's requests through the pooler. */
  appUrl: string;
  /** Stops PgBouncer and drops the role. */
  close: () => Promise<void>;
};

/**
 * PgBouncer in front of `databaseUrl`'s database with a login role of its own for the app's
 * requests (the server makes it a member of `<database>_app` when it starts with this
 * APP_DATABASE_URL); `close` stops it and drops the role.
 */
export async function startPooler(databaseUrl: string, suffix: string): Promise<Pooler> {
  const database = new URL(databaseUrl).pathname.slice(1);
  const role = `${database}_${suffix}`;
  const password = randomBytes(24).toString('base64url');
  const bouncer = await startPgBouncer(databaseUrl, { [role]: password });
  return {
    bouncer,
    role,
    password,
    appUrl: bouncer.url(role, password),
    close: async () => {
      await bouncer.stop();
      const admin = new pg.Client({ connectionString: databaseUrl });
      await admin.connect();
      try {
        await admin.query(`REVOKE CONNECT ON DATABASE "${database}" FROM "${role}"`);
        await admin.query(`DROP ROLE IF EXISTS "${role}"`);
      } finally {
        await admin.end();
      }
    },
  };
}

async function waitForPort(port: number, child: ReturnType<typeof spawn>, log: () => string) {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (child.exitCode !== null) throw new Error(`pgbouncer exited: ${log()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = createServer().listen(port, '127.0.0.1');
      socket.once('listening', () => socket.close(() => resolve(false)));
      socket.once('error', () => resolve(true)); // taken: PgBouncer listens
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`pgbouncer did not listen on ${port}: ${log()}`);
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
