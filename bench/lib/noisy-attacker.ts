// The attacker of bench/noisy-neighbour.ts, in a process of its own: its client work (building
// requests, reading answers, parsing shape streams) must not run on the victim's event loop,
// and on a shared machine it runs at a lower CPU priority (nice 10) than the server, PostgreSQL
// and the victim, as an attacker on another machine would not take their CPU. Started by
// startAttacker(); runs one attack until told to stop, then reports what it sent and how the
// server answered (counts by status).
import { fork } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { setPriority } from 'node:os';
import { type Row, ShapeStream } from '@electric-sql/client';

export type AttackName = 'like' | 'snapshots' | 'shapes';
export type AttackReport = { requests: number; byStatus: Record<string, number> };
export type Attacker = { stop: () => Promise<AttackReport> };

/** The niceness the attacker runs at (0 = the server's); said in the bench's output. */
export const ATTACKER_NICE = 10;

/** Forks this file to run `attack` against `base` as the holder of `token`. */
export async function startAttacker(attack: AttackName, base: string, token: string): Promise<Attacker> {
  const child = fork(import.meta.filename, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, NOISY_ATTACKER_CHILD: '1' },
  });
  const kill = () => child.kill('SIGKILL');
  process.on('exit', kill);
  if (child.pid !== undefined) setPriority(child.pid, ATTACKER_NICE);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const report = new Promise<AttackReport>((resolve, reject) => {
    child.on('message', (message: { cmd: string; report?: AttackReport }) => {
      if (message.cmd === 'report' && message.report) resolve(message.report);
    });
    void exited.then(() => reject(new Error('attacker process exited without a report')));
  });
  await new Promise<void>((resolve, reject) => {
    child.on('message', (message: { cmd: string }) => message.cmd === 'started' && resolve());
    void exited.then(() => reject(new Error('attacker process exited before it started')));
    child.send({ cmd: 'start', attack, base, token });
  });
  return {
    stop: async () => {
      child.send({ cmd: 'stop' });
      const timer = setTimeout(kill, 15_000);
      const result = await report;
      await exited;
      clearTimeout(timer);
      process.off('exit', kill);
      return result;
    },
  };
}

// ── the child ─────────────────────────────────────────────────────────────────────────────────
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const longPattern = (n: number) => `%${'a'.repeat(2500)}b${n}%`;

function client(base: string, token: string, stop: AbortSignal) {
  const report: AttackReport = { requests: 0, byStatus: {} };
  const count = (status: string) => {
    report.requests++;
    report.byStatus[status] = (report.byStatus[status] ?? 0) + 1;
  };
  /** One request; its body is read and dropped; failures are counted, never thrown. */
  const send = async (url: string, init: RequestInit = {}): Promise<Response | undefined> => {
    try {
      const response = await fetch(`${base}${url}`, {
        ...init,
        headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) },
        signal: stop,
      });
      await response.arrayBuffer();
      count(String(response.status));
      return response;
    } catch {
      if (!stop.aborted) count('error');
      return undefined;
    }
  };
  const syncUrl = (params: Record<string, string>) =>
    `/api/electric/sync?${new URLSearchParams({ table: 'controls', offset: '-1', ...params })}`;
  return { report, count, send, syncUrl };
}

type Client = ReturnType<typeof client>;
const json = { 'content-type': 'application/json' };

/** Attack 1: a 5,000-character description, 20 live shapes ORing six LIKEs on it, PATCHes. */
async function likeAttack(c: Client, base: string, token: string, stop: AbortSignal) {
  const created = await fetch(`${base}/api/controls`, {
    method: 'POST',
    headers: { ...json, authorization: `Bearer ${token}` },
    body: JSON.stringify({
      name: `Long one ${Date.now()}`,
      control_type: 'technical',
      functional_range: 'narrow',
      description: 'a'.repeat(5000),
    }),
  });
  const { data } = (await created.json()) as { data: { id: string } };
  const params: Record<string, string> = {};
  for (let n = 1; n <= 6; n++) params[`params[${n}]`] = longPattern(n);
  const where = [1, 2, 3, 4, 5, 6].map((n) => `description LIKE $${n}`).join(' OR ');
  for (let s = 0; s < 20; s++) {
    const stream = new ShapeStream<Row>({
      url: `${base}/api/electric/sync`,
      params: { table: 'controls', where: `(${where}) AND name <> 's${s}'`, ...params } as never,
      headers: { authorization: `Bearer ${token}` },
      signal: stop,
      onError: (error) => {
        c.count(String((error as { status?: number }).status ?? 'error'));
        return undefined; // a refused shape (400 after the where limits) stays refused
      },
    });
    stream.subscribe(() => {});
  }
  for (let i = 0; !stop.aborted; i++) {
    await c.send(`/api/controls/${data.id}`, {
      method: 'PATCH',
      headers: json,
      body: JSON.stringify({ name: `Long one ${i}` }),
    });
    await sleep(200);
  }
}

/**
 * Attack 2: rounds of 20 costly snapshots at once over the 190 controls of 5 kB the bench
 * imported: the 2,500-character pattern (refused with 400 by the where limits) and one
 * just under the pattern limit, which PostgreSQL still matches in O(text × pattern) for every row.
 */
async function snapshotAttack(c: Client, stop: AbortSignal) {
  for (let round = 0; !stop.aborted; round++) {
    await Promise.all(
      Array.from({ length: 20 }, (_, n) => {
        const tag = `${process.pid}x${round * 100 + n}`;
        const pattern = n % 2 === 0 ? longPattern(round * 100 + n) : `%${'a'.repeat(480)}b${tag}%`;
        return c.send(c.syncUrl({ where: 'description LIKE $1', 'params[1]': pattern }));
      }),
    );
    await sleep(100);
  }
}

/** Attack 3: ten loops of distinct shapes over the attacker's megabyte of rows. */
async function manyShapesAttack(c: Client, stop: AbortSignal) {
  let n = 0;
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      while (!stop.aborted) await c.send(c.syncUrl({ where: `name <> 'k${process.pid}x${n++}'` }));
    }),
  );
}

if (process.env.NOISY_ATTACKER_CHILD === '1') {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal); // every attacker request listens on it
  process.on('message', (message: { cmd: string; attack: AttackName; base: string; token: string }) => {
    if (message.cmd === 'stop') {
      controller.abort();
      return;
    }
    if (message.cmd !== 'start') return;
    const { attack, base, token } = message;
    const stop = controller.signal;
    const c = client(base, token, stop);
    const running =
      attack === 'like'
        ? likeAttack(c, base, token, stop)
        : attack === 'snapshots'
          ? snapshotAttack(c, stop)
          : manyShapesAttack(c, stop);
    process.send?.({ cmd: 'started' });
    running
      .catch((error) => console.error(`attacker (${attack}): ${(error as Error).message}`))
      .then(async () => {
        await new Promise<void>((resolve) =>
          stop.aborted ? resolve() : stop.addEventListener('abort', () => resolve()),
        );
        process.send?.({ cmd: 'report', report: c.report }, () => process.exit(0));
      });
  });
}
