// Owns the fault drill's stack, all on loopback and in one temporary directory: an embedded
// PostgreSQL of its own on a fixed port (so it can be stopped and started again under the app),
// the app as a child process in development mode, Prometheus with a drill copy of the alert
// rules (short `for:` and windows, 1 s scrapes and evaluations), Alertmanager, and a webhook
// receiver that records each notification. stop() ends everything it started.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { reachableBinaries, reachableClusterDir, serverUser } from '../../server/src/db/embedded-access.ts';
import {
  initCluster,
  packagedBinaries,
  type RunningPostgres,
  startPostgres,
} from '../../server/src/db/embedded-process.ts';
import { drillRules, readRules } from '../ops/rules.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const PG_PASSWORD = 'drill-only-password';

export type Notification = { alertname: string; status: 'firing' | 'resolved'; at: number };

export type Stack = {
  appUrl: string;
  ownerUrl: string;
  prometheusUrl: string;
  notifications: Notification[];
  stopPostgres: () => Promise<void>;
  startPostgres: () => Promise<void>;
  stop: () => Promise<void>;
};

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Polls `check` every 250 ms until it returns a value other than undefined, or throws at the deadline. */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
}

function run(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    tail.push(...chunk.toString().split('\n').filter(Boolean));
    tail.splice(0, Math.max(0, tail.length - 20));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('exit', (code, signal) => {
    if (code !== 0 && code !== null && !stopping.has(child))
      console.error(`${name} exited with ${code ?? signal}:\n  ${tail.join('\n  ')}`);
  });
  return child;
}
const stopping = new Set<ChildProcess>();

async function end(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  stopping.add(child);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** A cluster of the drill's own, spawned the way the app spawns its embedded one, on a fixed port. */
async function ownPostgres(dir: string) {
  const runAs = serverUser();
  const { clusterDir } = reachableClusterDir(dir, runAs);
  const bin = reachableBinaries(await packagedBinaries(), runAs);
  await initCluster(bin, clusterDir, { name: 'postgres', password: PG_PASSWORD }, runAs, () => {});
  const port = await freePort();
  const settings = ['wal_level=logical', 'max_replication_slots=20', 'max_wal_senders=20'];
  settings.push('max_slot_wal_keep_size=1GB', 'listen_addresses=127.0.0.1', 'unix_socket_directories=');
  let running: RunningPostgres | undefined;
  const start = async () => {
    running = await startPostgres(bin, clusterDir, port, settings, runAs, () => {});
  };
  await start();
  const url = `postgres://postgres:${PG_PASSWORD}@127.0.0.1:${port}`;
  const admin = new pg.Client({ connectionString: `${url}/postgres` });
  await admin.connect();
  await admin.query('CREATE DATABASE sertantai_drill');
  await admin.end();
  return {
    url: `${url}/sertantai_drill`,
    start,
    stop: async () => {
      await running?.stop();
      running = undefined;
    },
  };
}

function receiveWebhooks(port: number, notifications: Notification[]): Server {
  type Payload = { alerts: Array<{ status: 'firing' | 'resolved'; labels: { alertname: string } }> };
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      const at = Date.now();
      try {
        for (const alert of (JSON.parse(body) as Payload).alerts)
          notifications.push({ alertname: alert.labels.alertname, status: alert.status, at });
      } catch {}
      response.end();
    });
  });
  server.listen(port, '127.0.0.1');
  return server;
}

export async function startStack(options: { forDuration: string; window: string }): Promise<Stack> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sertantai-drill-'));
  const children: ChildProcess[] = [];
  const notifications: Notification[] = [];
  let webhooks: Server | undefined;
  let postgres: Awaited<ReturnType<typeof ownPostgres>> | undefined;
  const stop = async () => {
    for (const child of children.reverse()) await end(child);
    webhooks?.close();
    await postgres?.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    postgres = await ownPostgres(dir);
    const [appPort, promPort, amPort, hookPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    webhooks = receiveWebhooks(hookPort, notifications);

    const appUrl = `http://127.0.0.1:${appPort}`;
    // Development mode: /metrics on the app port, without a token, for the drill's Prometheus.
    const { METRICS_PORT: _port, METRICS_TOKEN: _token, ...inherited } = process.env;
    const app = run('app', process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
      ...inherited,
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: String(appPort),
      DATABASE_URL: postgres.url,
      DATA_DIR: path.join(dir, 'data'),
      SEED: 'false',
      LOG_LEVEL: 'warn',
      // A small snapshot share, so the snapshot-queue fault can fill it with one burst.
      SYNC_SNAPSHOT_CONNECTIONS: '1',
      SYNC_SNAPSHOT_QUEUE_PER_ORG: '1',
    });
    children.push(app);
    await waitFor('the app to answer /health', 120_000, async () =>
      (await fetch(`${appUrl}/health`)).ok ? true : undefined,
    );

    mkdirSync(path.join(dir, 'am'));
    writeFileSync(
      path.join(dir, 'alertmanager.yml'),
      [
        'route:',
        '  receiver: drill',
        '  group_by: [alertname]',
        '  group_wait: 0s',
        '  group_interval: 1s',
        '  repeat_interval: 1h',
        'receivers:',
        '  - name: drill',
        '    webhook_configs:',
        `      - url: http://127.0.0.1:${hookPort}/`,
        '        send_resolved: true',
      ].join('\n'),
    );
    children.push(
      run('alertmanager', 'prometheus-alertmanager', [
        `--config.file=${path.join(dir, 'alertmanager.yml')}`,
        `--storage.path=${path.join(dir, 'am')}`,
        `--web.listen-address=127.0.0.1:${amPort}`,
        '--cluster.listen-address=',
        '--log.level=warn',
      ]),
    );

    writeFileSync(path.join(dir, 'rules.yml'), drillRules(readRules(), options.forDuration, options.window));
    writeFileSync(
      path.join(dir, 'prometheus.yml'),
      [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 1s',
        '  evaluation_interval: 1s',
        'rule_files: [rules.yml]',
        'alerting:',
        '  alertmanagers:',
        `    - static_configs: [{ targets: ['127.0.0.1:${amPort}'] }]`,
        'scrape_configs:',
        '  - job_name: sertantai',
        `    static_configs: [{ targets: ['127.0.0.1:${appPort}'] }]`,
      ].join('\n'),
    );
    const prometheusUrl = `http://127.0.0.1:${promPort}`;
    children.push(
      run('prometheus', 'prometheus', [
        `--config.file=${path.join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(dir, 'tsdb')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        '--log.level=warn',
      ]),
    );
    await waitFor('Alertmanager to be ready', 30_000, async () =>
      (await fetch(`http://127.0.0.1:${amPort}/-/ready`)).ok ? true : undefined,
    );
    await waitFor('Prometheus to scrape the app', 30_000, async () => {
      const answer = await fetch(`${prometheusUrl}/api/v1/query?query=up{job="sertantai"}`);
      const body = (await answer.json()) as { data: { result: Array<{ value: [number, string] }> } };
      return body.data.result[0]?.value[1] === '1' ? true : undefined;
    });

    const cluster = postgres;
    return {
      appUrl,
      ownerUrl: cluster.url,
      prometheusUrl,
      notifications,
      stopPostgres: cluster.stop,
      startPostgres: cluster.start,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
