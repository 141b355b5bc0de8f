// `npm run drill:faults`: injects each fault into a real stack (stack.ts), waits for the expected
// alert to reach Alertmanager's webhook as firing, recovers, waits for it to be resolved, and
// prints a table. Exits non-zero when an expected alert did not fire or did not resolve; ends
// with "N passed, N failed" (.ci/run counts it). DRILL_FAULTS=postgres,logins,… runs a subset.
import pg from 'pg';
import { type Stack, startStack, waitFor } from './stack.ts';

type Fault = {
  key: string;
  fault: string;
  alert: string;
  /** Why the fault cannot be injected yet (the table says so; it is not counted). */
  notInjectable?: string;
  /** Set-up that is not the fault itself (not timed). */
  prepare?: (stack: Stack) => Promise<void>;
  inject?: (stack: Stack) => Promise<void>;
  recover?: (stack: Stack) => Promise<void>;
};

type Outcome = { fault: Fault; firedAfter?: number; resolvedAfter?: number; also: string[]; error?: string };

const FIRE_TIMEOUT_MS = 90_000;
const RESOLVE_TIMEOUT_MS = 120_000;

/** A loop that runs `step` every `everyMs` until stopped (a sustained fault). */
function repeat(everyMs: number, step: () => Promise<unknown>) {
  let running = true;
  const done = (async () => {
    while (running) {
      await step().catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return async () => {
    running = false;
    await done;
  };
}

async function post(stack: Stack, url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${stack.appUrl}${url}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

async function registerUser(stack: Stack) {
  const email = `drill-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.test`;
  const answer = await post(stack, '/auth/register', {
    email,
    password: 'drill password long enough',
    organization_name: `Drill ${email.slice(6, 19)}`,
  });
  if (answer.status !== 201) throw new Error(`register answered ${answer.status}: ${await answer.text()}`);
  return (await answer.json()) as { access_token: string; refresh_token: string };
}

async function withOwner<T>(stack: Stack, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: stack.ownerUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

let stopLoop: (() => Promise<void>) | undefined;
let spentToken = '';
let burstToken = '';

const FAULTS: Fault[] = [
  {
    key: 'postgres',
    fault: 'PostgreSQL stopped',
    alert: 'DatabaseDown',
    inject: (stack) => stack.stopPostgres(),
    recover: async (stack) => {
      await stack.startPostgres();
      await waitFor('the app to be healthy again', 60_000, async () =>
        (await fetch(`${stack.appUrl}/health`)).ok ? true : undefined,
      );
    },
  },
  {
    key: 'logins',
    fault: 'a burst of bad logins',
    alert: 'AuthFailureSpike',
    inject: async (stack) => {
      stopLoop = repeat(100, () =>
        post(stack, '/auth/login', { email: 'nobody@example.test', password: 'guessing passwords' }),
      );
    },
    recover: async () => stopLoop?.(),
  },
  {
    key: 'replication',
    fault: 'replication connection killed (pg_terminate_backend of the walsender, repeatedly)',
    alert: 'SyncEngineDown',
    prepare: async (stack) => {
      const user = await registerUser(stack);
      const shape = await fetch(`${stack.appUrl}/api/electric/sync?table=controls&offset=-1`, {
        headers: { authorization: `Bearer ${user.access_token}` },
      });
      if (shape.status !== 200) throw new Error(`shape request answered ${shape.status}`);
      await waitFor('the sync engine walsender', 30_000, () =>
        withOwner(stack, async (owner) => {
          const { rowCount } = await owner.query(
            `SELECT 1 FROM pg_stat_replication WHERE application_name = 'sertantai-sync-engine'`,
          );
          return rowCount ? true : undefined;
        }),
      );
    },
    inject: async (stack) => {
      stopLoop = repeat(300, () =>
        withOwner(stack, (owner) =>
          owner.query(
            `SELECT pg_terminate_backend(pid) FROM pg_stat_replication WHERE application_name = 'sertantai-sync-engine'`,
          ),
        ),
      );
    },
    recover: async () => stopLoop?.(),
  },
  {
    key: 'snapshot',
    fault: 'snapshot queue filled (bursts of 15 new shapes from one organisation)',
    alert: 'SnapshotQueueFull',
    prepare: async (stack) => {
      burstToken = (await registerUser(stack)).access_token;
    },
    inject: async (stack) => {
      // Distinct shapes each burst (a known shape needs no snapshot); 4 bursts stay under the
      // per-user shape cap.
      let burst = 0;
      stopLoop = repeat(2_000, async () => {
        if (burst >= 4) return;
        burst++;
        await Promise.all(
          Array.from({ length: 15 }, (_, i) =>
            fetch(
              `${stack.appUrl}/api/electric/sync?table=controls&offset=-1&where=${encodeURIComponent(`name <> 'b${burst}-${i}'`)}`,
              { headers: { authorization: `Bearer ${burstToken}` } },
            ).then((answer) => answer.arrayBuffer()),
          ),
        );
      });
    },
    recover: async () => stopLoop?.(),
  },
  {
    key: 'reuse',
    fault: 'a refresh token reused',
    alert: 'RefreshTokenReused',
    prepare: async (stack) => {
      const user = await registerUser(stack);
      const first = await post(stack, '/auth/refresh', { refresh_token: user.refresh_token });
      if (first.status !== 200) throw new Error(`refresh answered ${first.status}`);
      spentToken = user.refresh_token;
      await new Promise((resolve) => setTimeout(resolve, 11_000)); // past the 10 s grace window
    },
    inject: async (stack) => {
      const replay = await post(stack, '/auth/refresh', { refresh_token: spentToken });
      const body = (await replay.json()) as { code?: string };
      if (body.code !== 'REFRESH_TOKEN_REUSED')
        throw new Error(`replay answered ${replay.status} ${body.code}`);
    },
    recover: async () => {},
  },
];

async function drill(stack: Stack, fault: Fault): Promise<Outcome> {
  const outcome: Outcome = { fault, also: [] };
  if (fault.notInjectable || !fault.inject || !fault.recover) return outcome;
  const seenFrom = stack.notifications.length;
  const notified = (status: 'firing' | 'resolved', after: number) => async () =>
    stack.notifications.find((n) => n.alertname === fault.alert && n.status === status && n.at >= after);
  try {
    await fault.prepare?.(stack);
    const injectedAt = Date.now();
    await fault.inject(stack);
    const fired = await waitFor(`${fault.alert} to fire`, FIRE_TIMEOUT_MS, notified('firing', injectedAt));
    outcome.firedAfter = (fired.at - injectedAt) / 1000;
    const recoveredAt = Date.now();
    await fault.recover(stack);
    const resolved = await waitFor(
      `${fault.alert} to resolve`,
      RESOLVE_TIMEOUT_MS,
      notified('resolved', recoveredAt),
    );
    outcome.resolvedAfter = (resolved.at - recoveredAt) / 1000;
  } catch (error) {
    outcome.error = (error as Error).message;
    await fault.recover(stack).catch(() => {});
  }
  outcome.also = [
    ...new Set(
      stack.notifications
        .slice(seenFrom)
        .filter((n) => n.status === 'firing' && n.alertname !== fault.alert)
        .map((n) => n.alertname),
    ),
  ];
  return outcome;
}

function printTable(outcomes: Outcome[]) {
  const rows = outcomes.map(({ fault, firedAfter, resolvedAfter, also, error }) => [
    fault.fault,
    fault.alert,
    fault.notInjectable ? '—' : firedAfter === undefined ? 'NO' : `${firedAfter.toFixed(1)} s`,
    fault.notInjectable
      ? fault.notInjectable
      : resolvedAfter === undefined
        ? `NO${error ? ` (${error})` : ''}`
        : `${resolvedAfter.toFixed(1)} s`,
    also.join(', ') || '—',
  ]);
  const header = ['fault', 'expected alert', 'fired after', 'resolved after recovery', 'also fired'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(['', line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line), ''].join('\n'));
}

async function main() {
  const wanted = process.env.DRILL_FAULTS?.split(',').map((key) => key.trim());
  const faults = FAULTS.filter((fault) => !wanted || wanted.includes(fault.key));
  console.log('drill: starting PostgreSQL, the app, Prometheus and Alertmanager on loopback…');
  const stack = await startStack({ forDuration: '2s', window: '15s' });
  const outcomes: Outcome[] = [];
  try {
    for (const fault of faults) {
      console.log(`drill: ${fault.fault} → expecting ${fault.alert}`);
      outcomes.push(await drill(stack, fault));
    }
  } finally {
    await stack.stop();
  }
  printTable(outcomes);
  const counted = outcomes.filter((o) => !o.fault.notInjectable);
  const passed = counted.filter((o) => o.firedAfter !== undefined && o.resolvedAfter !== undefined).length;
  console.log(`${passed} passed, ${counted.length - passed} failed`);
  process.exit(passed === counted.length ? 0 : 1);
}

main().catch((error) => {
  console.error(`drill failed: ${(error as Error).message}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
});
