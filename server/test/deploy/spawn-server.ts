// Spawns a real server process (`node --import tsx server/src/main.ts` in `cwd`, or any command)
// and reports how its start ended: listening (with the URL it printed) or exited (with its
// stderr). Shared by the deployment tests, which start the server the way an operator does.
import { type ChildProcess, spawn } from 'node:child_process';

export type SpawnedServer = {
  child: ChildProcess;
  url: string | undefined;
  code: number | null;
  stdout: string;
  stderr: string;
  stop: () => Promise<void>;
};

export function spawnServer(options: {
  cwd: string;
  env: Record<string, string>;
  command?: string[];
  timeoutMs?: number;
}): Promise<SpawnedServer> {
  const [command, ...args] = options.command ?? [process.execPath, '--import', 'tsx', 'server/src/main.ts'];
  const child = spawn(command!, args, {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '', PORT: '0', LOG_LEVEL: 'warn', SEED: 'false', ...options.env },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const result: SpawnedServer = {
    child,
    url: undefined,
    code: null,
    stdout: '',
    stderr: '',
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(result), options.timeoutMs ?? 90_000);
    child.stdout?.on('data', (chunk) => {
      result.stdout += chunk;
      const match = /is running at (http:\/\/\S+)/.exec(result.stdout);
      if (match && !result.url) {
        result.url = match[1]!.replace('localhost', '127.0.0.1');
        clearTimeout(timer);
        resolve(result);
      }
    });
    child.stderr?.on('data', (chunk) => (result.stderr += chunk));
    child.on('exit', (code) => {
      result.code = code;
      clearTimeout(timer);
      resolve(result);
    });
  });
}
