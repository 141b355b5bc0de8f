// `npm run drill:cluster` (`-- --short` in CI): many processes, one service, with a crash.
// Three app processes on a fresh database of the machine's PostgreSQL (DRILL_ADMIN_URL, default
// postgres://postgres@127.0.0.1:5432/postgres), PgBouncer in transaction mode for request
// traffic (APP_DATABASE_URL) when installed, HAProxy round-robin on loopback; 20 organisations × 10 live shapes
// held by the official client while writes go in through every process. Phases, same load:
//   1. one process: clients and writes through a frontend that reaches only the leader;
//   2. three processes: clients and writes round-robin over all three (followers forward);
//   3. fail-over: the leader is killed (SIGKILL) mid-run while writes go on; the new leader
//      restores the persisted shape logs and resumes the slot, so no client refetches (409);
//      the killed process is restarted and rejoins;
//   4. API throughput headroom: as many reads as a fixed number of concurrent clients get
//      through one process, then through three (the live shapes closed first).
// Prints delivery, refetches per client, time to a new leader and to convergence, the API error
// rate during the fail-over, write-to-client p99 through 3 processes vs 1 and API throughput
// through 3 vs 1 as ratios. Stops everything it started; exits 1 if any acknowledged write did
// not reach its shape, if the clients did not converge, or if any client refetched.
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import pg from 'pg';
import { openDatabase } from '../server/src/db/database.ts';
import { ELECTION_LOCK_CLASS } from '../server/src/sync/engine/election.ts';
import {
  type AppProcess,
  DRILL_METRICS_TOKEN,
  freePort,
  freshDatabase,
  killHard,
  leaderOf,
  startApp,
  startHaproxy,
  startPgBouncer,
  stopAll,
  tool,
  waitHealthy,
} from './lib/cluster-processes.ts';
import {
  createTenants,
  DrillClient,
  latencies,
  missing,
  type Tenant,
  until,
  Writer,
} from './lib/drill-load.ts';
import { percentile } from './lib/measure.ts';

const SHORT = process.argv.includes('--short');
const ORGS = 20;
const SHAPES_PER_ORG = 10;
const PHASE_SECONDS = Number(process.env.DRILL_PHASE_SECONDS ?? (SHORT ? 6 : 20));
const WRITES_PER_SECOND = Number(process.env.DRILL_WRITES_PER_SECOND ?? (SHORT ? 5 : 10));
const ADMIN_URL = process.env.DRILL_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ms = (value: number) => `${Math.round(value)} ms`;

function openClients(base: string, tenants: Tenant[]): DrillClient[][] {
  return tenants.map((tenant) => tenant.memberTokens.map((token, k) => new DrillClient(base, token, k)));
}

async function allUpToDate(clients: DrillClient[][]) {
  const ok = await until(() => clients.flat().every((client) => client.upToDate), 180_000);
  if (!ok) {
    const all = clients.flat();
    const sum = (pick: (client: DrillClient) => number) => all.reduce((n, client) => n + pick(client), 0);
    throw new Error(
      `the live shapes did not all reach up-to-date within 180 s: ${all.filter((c) => c.upToDate).length} of ${all.length} did; ` +
        `5xx answers seen: ${sum((c) => c.serverErrors)}, 429s: ${sum((c) => c.throttled)}, 409s: ${sum((c) => c.refetches)}`,
    );
  }
}

async function phase(writer: Writer, base: () => string, seconds: number) {
  const stop = new AbortController();
  const running = writer.run(base, WRITES_PER_SECOND, SHAPES_PER_ORG, stop.signal);
  await sleep(seconds * 1000);
  stop.abort();
  await running;
}

/** Reads which backend holds the engine election lock of the drill's database. */
async function watchElection(databaseUrl: string) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  return {
    async pid(): Promise<number | undefined> {
      const { rows } = await client.query<{ pid: number }>(
        `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = $1::oid
           AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        [ELECTION_LOCK_CLASS],
      );
      return rows[0]?.pid;
    },
    close: () => client.end(),
  };
}

/** Successful API reads per second through `base` with `concurrency` clients for `seconds`. */
async function apiThroughput(base: string, token: string, seconds: number, concurrency: number) {
  let ok = 0;
  const end = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const response = await fetch(`${base}/api/controls?limit=20`, {
        headers: { authorization: `Bearer ${token}` },
      }).catch(() => undefined);
      await response?.arrayBuffer();
      if (response?.status === 200) ok++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return ok / seconds;
}

async function main() {
  if (!tool('haproxy')) throw new Error('haproxy is not installed (apt-get install haproxy)');
  const databaseUrl = await freshDatabase(ADMIN_URL);
  const tokenSecret = randomBytes(48).toString('base64url');
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    SHARED_TOKEN_SECRET: tokenSecret,
    INTERNAL_SYNC_SECRET: randomBytes(48).toString('base64url'),
    METRICS_TOKEN: DRILL_METRICS_TOKEN,
    SEED: 'false',
    LOG_LEVEL: 'warn',
  };
  const pooled = tool('pgbouncer') !== undefined;
  if (pooled) {
    env.APP_DATABASE_URL = await startPgBouncer(databaseUrl, randomBytes(24).toString('hex'));
    // PgBouncer 1.18 in transaction mode cannot keep protocol-level prepared statements.
    env.DB_PREPARED_STATEMENTS = 'false';
  }
  console.log(
    pooled
      ? 'request traffic through PgBouncer (transaction mode, APP_DATABASE_URL)'
      : 'request traffic direct to PostgreSQL (no pgbouncer installed)',
  );

  const ports = [await freePort(), await freePort(), await freePort()];
  const apps: AppProcess[] = [startApp(ports[0] as number, env)];
  await waitHealthy(apps[0] as AppProcess);
  // App 1 leads before the others start, so phase 1's single process is the engine.
  while ((await leaderOf(apps[0] as AppProcess))?.role !== 'leader') await sleep(100);
  for (const port of ports.slice(1)) apps.push(startApp(port, env));
  await Promise.all(apps.map((app) => waitHealthy(app)));
  const urls = await startHaproxy({ one: [ports[0] as number], all: ports });

  const db = await openDatabase({
    databaseUrl,
    appDatabaseUrl: env.APP_DATABASE_URL,
    dataDir: '',
    requireLogicalWal: false,
    appPoolSize: 2,
  });
  const tenants = await createTenants(db, tokenSecret, ORGS, SHAPES_PER_ORG);
  await db.close();
  const writer = new Writer(tenants);

  // 1. One process: clients and writes reach only app 1 (the leader).
  const single = openClients(urls.one as string, tenants);
  await allUpToDate(single);
  const t1 = performance.now();
  await phase(writer, () => urls.one as string, PHASE_SECONDS);
  const t1End = performance.now();
  await until(() => missing(writer.writes, single).length === 0, 15_000);
  const singleMissing = missing(writer.writes, single).length;
  const singleExpected = writer.writes.length;
  const singleLatency = latencies(writer.writes, single, t1, t1End);
  for (const client of single.flat()) client.stop();

  // 2. Three processes behind round-robin: followers forward shape requests to the leader.
  const clients = openClients(urls.all as string, tenants);
  await allUpToDate(clients);
  const t2 = performance.now();
  await phase(writer, () => urls.all as string, PHASE_SECONDS);
  const t2End = performance.now();
  const clusterLatency = latencies(writer.writes, clients, t2, t2End);

  // 3. Fail-over: kill the leader while writes go on through the balancer.
  const failover = new AbortController();
  const background = writer.run(() => urls.all as string, WRITES_PER_SECOND, SHAPES_PER_ORG, failover.signal);
  await sleep((PHASE_SECONDS * 1000) / 2);
  const roles = await Promise.all(apps.map((app) => leaderOf(app)));
  const leaderIndex = roles.findIndex((role) => role?.role === 'leader');
  if (leaderIndex < 0) throw new Error('no leader before the kill');
  const victim = apps[leaderIndex] as AppProcess;
  const lockHolder = await watchElection(databaseUrl);
  const oldHolder = await lockHolder.pid();
  const tKill = performance.now();
  await killHard(victim);
  // A new leader: another backend holds the election lock.
  let leaderAfterMs = Number.NaN;
  while (performance.now() - tKill < 60_000) {
    const pid = await lockHolder.pid();
    if (pid !== undefined && pid !== oldHolder) {
      leaderAfterMs = performance.now() - tKill;
      break;
    }
    await sleep(20);
  }
  await lockHolder.close();
  // Converged: every write acknowledged up to the new leader's election (those made while no
  // engine ran included) has reached its client, which kept its handle and offset.
  const tLeader = performance.now();
  const refetchesBefore = clients.flat().map((client) => client.refetches);
  const outage = () => writer.writes.filter((write) => (write.ackedAt ?? 0) <= tLeader);
  const converged = await until(() => missing(outage(), clients).length === 0, 120_000);
  const seenAt = outage()
    .filter((write) => (write.ackedAt ?? 0) >= tKill)
    .map((write) => clients[write.org]?.[write.k]?.seen.get(write.name) ?? tLeader);
  const tConverged = converged ? Math.max(tLeader, ...seenAt) : performance.now();
  const windowAttempts = writer.attempts.filter((a) => a.at >= tKill && a.at <= tConverged);
  const failedAttempts = windowAttempts.filter((a) => !a.ok);
  const outcomes = new Map<string, number>();
  for (const attempt of failedAttempts)
    outcomes.set(attempt.outcome, (outcomes.get(attempt.outcome) ?? 0) + 1);

  apps[leaderIndex] = startApp(victim.port, env);
  await waitHealthy(apps[leaderIndex] as AppProcess);
  const rejoined = await leaderOf(apps[leaderIndex] as AppProcess);
  await sleep((PHASE_SECONDS * 1000) / 2);
  failover.abort();
  await background;
  await until(() => missing(writer.writes, clients).length === 0, 20_000);

  const finalMissing = missing(writer.writes, clients).length;
  const expected = singleExpected + writer.writes.length;
  const delivered = expected - singleMissing - finalMissing;
  const refetches = clients.flat().map((client, i) => client.refetches - (refetchesBefore[i] ?? 0));
  for (const client of clients.flat()) client.stop();

  // 4. API throughput headroom: the same concurrent readers through one process, then three.
  const readerToken = (tenants[0] as Tenant).ownerToken;
  const readers = 24;
  const throughputSeconds = SHORT ? 4 : 10;
  const oneRps = await apiThroughput(urls.one as string, readerToken, throughputSeconds, readers);
  const threeRps = await apiThroughput(urls.all as string, readerToken, throughputSeconds, readers);
  const serverErrors = clients.flat().map((client) => client.serverErrors);
  const p99Single = percentile(singleLatency, 99);
  const p99Cluster = percentile(clusterLatency, 99);
  const lines = [
    '',
    `cluster drill (${SHORT ? 'short' : 'full'}): 3 app processes, HAProxy round-robin, ${pooled ? 'PgBouncer transaction mode' : 'no pooler'}; ${ORGS} organisations × ${SHAPES_PER_ORG} live shapes (official client); ${WRITES_PER_SECOND} writes/s; phases of ${PHASE_SECONDS} s`,
    `changes delivered / expected: ${delivered} / ${expected} (${((100 * delivered) / expected).toFixed(2)}%)`,
    `refetches per client (409) from the kill on: max ${Math.max(...refetches)}, mean ${(refetches.reduce((a, b) => a + b, 0) / refetches.length).toFixed(2)} (persisted shape logs: goal 0)`,
    `new leader after the kill: ${ms(leaderAfterMs)}; every write acknowledged until then reached its client (same handle): ${converged ? ms(tConverged - tKill) : 'NOT within 120 s'} after the kill`,
    `API error rate during the fail-over (kill → converged): ${failedAttempts.length} / ${windowAttempts.length} writes (${((100 * failedAttempts.length) / Math.max(1, windowAttempts.length)).toFixed(1)}%)${failedAttempts.length ? ` — ${[...outcomes].map(([outcome, n]) => `${outcome}: ${n}`).join(', ')}` : ''}`,
    `5xx answers per client over the run (each waited out with back-off): max ${Math.max(...serverErrors)}, mean ${(serverErrors.reduce((a, b) => a + b, 0) / serverErrors.length).toFixed(2)}`,
    `restarted process rejoined as: ${rejoined?.role ?? 'unknown'}`,
    `write → client latency p50/p99: 1 process ${ms(percentile(singleLatency, 50))} / ${ms(p99Single)} (${singleLatency.length} writes); 3 processes ${ms(percentile(clusterLatency, 50))} / ${ms(p99Cluster)} (${clusterLatency.length} writes)`,
    `p99 ratio 1 process / 3 processes: ${(p99Single / p99Cluster).toFixed(2)} (1.00 = no cost for forwarding; goal ≥ 0.9)`,
    `API throughput (GET /api/controls, ${readers} concurrent readers, ${throughputSeconds} s each): 1 process ${oneRps.toFixed(0)}/s, 3 processes ${threeRps.toFixed(0)}/s, ratio 3 / 1: ${(threeRps / Math.max(1, oneRps)).toFixed(2)} (goal 3.00 on 3 machines; here all share ${cpus().length} cores, so this is a lower bound)`,
  ];
  console.log(lines.join('\n'));
  const refetched = refetches.some((n) => n > 0);
  if (refetched)
    console.error(
      'cluster drill: a client refetched after the kill (persisted shape logs should prevent it)',
    );
  return delivered === expected && converged && !refetched;
}

let ok = false;
try {
  ok = await main();
} catch (error) {
  console.error(`cluster drill failed: ${(error as Error).message}`);
} finally {
  await stopAll(!ok);
}
process.exit(ok ? 0 : 1);
