// The snapshot queue: its share of connections, fairness between organisations (round-robin),
// its bounds, and its wait limit. Work is controlled by hand (deferred promises), no timing.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SnapshotQueue, SnapshotQueueFull, type SnapshotQueueOptions } from './snapshot-queue.ts';

type Job = { org: string; n: number; finish: () => void };

/** A queue whose work only ends when the test says so; `started` records the order of starts. */
function harness(options: Partial<SnapshotQueueOptions> = {}) {
  const started: Job[] = [];
  const queue = new SnapshotQueue({
    connections: 2,
    perOrgQueued: 50,
    maxQueued: 100,
    maxWaitMs: 60_000,
    ...options,
  });
  const submit = (org: string, n: number) =>
    queue.run(
      org,
      () =>
        new Promise<string>((resolve) => {
          started.push({ org, n, finish: () => resolve(`${org}${n}`) });
        }),
    );
  const finishOldest = async () => {
    const job = started.find((j) => !(j as { done?: boolean }).done) as Job & { done?: boolean };
    job.done = true;
    job.finish();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { queue, started, submit, finishOldest };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('SnapshotQueue', () => {
  it('runs at most its share of connections at once, and one organisation at most half of it', async () => {
    const { queue, started, submit } = harness({ connections: 4 });
    for (let i = 0; i < 6; i++) void submit('attacker', i);
    expect(started.map((j) => j.org)).toEqual(['attacker', 'attacker']);
    expect(queue.depth).toBe(4);
    void submit('victim', 0);
    // A connection is still free for another organisation: the victim starts at once.
    expect(started.map((j) => j.org)).toEqual(['attacker', 'attacker', 'victim']);
    expect(queue.active).toBe(3);
  });

  it("serves organisations in turn: one organisation's twenty never stand ahead of another's one", async () => {
    const { started, submit, finishOldest } = harness({ connections: 1 });
    for (let i = 0; i < 20; i++) void submit('attacker', i);
    void submit('victim', 0);
    void submit('third', 0);
    expect(started.map((j) => `${j.org}${j.n}`)).toEqual(['attacker0']);
    await finishOldest();
    await finishOldest();
    await finishOldest();
    await finishOldest();
    expect(started.map((j) => `${j.org}${j.n}`)).toEqual([
      'attacker0',
      'victim0',
      'third0',
      'attacker1',
      'attacker2',
    ]);
  });

  it('gives each organisation its turn even when it queued last', async () => {
    const { started, submit, finishOldest } = harness({ connections: 1 });
    void submit('a', 0);
    for (let i = 1; i < 4; i++) void submit('a', i);
    for (let i = 0; i < 3; i++) void submit('b', i);
    for (let k = 0; k < 6; k++) await finishOldest();
    expect(started.map((j) => `${j.org}${j.n}`)).toEqual(['a0', 'b0', 'a1', 'b1', 'a2', 'b2', 'a3']);
  });

  it('refuses at once past the per-organisation bound, while another organisation still queues', async () => {
    const { queue, submit } = harness({ connections: 1, perOrgQueued: 3 });
    void submit('attacker', 0); // running
    for (let i = 1; i <= 3; i++) void submit('attacker', i); // waiting
    expect(queue.refusal('attacker')).toBeInstanceOf(SnapshotQueueFull);
    await expect(submit('attacker', 4)).rejects.toMatchObject({ scope: 'organisation' });
    expect(queue.refusal('victim')).toBeUndefined();
    void submit('victim', 0);
    expect(queue.depth).toBe(4);
  });

  it('refuses at once past the global bound', async () => {
    const { queue, submit } = harness({ connections: 1, perOrgQueued: 10, maxQueued: 3 });
    void submit('a', 0);
    void submit('a', 1);
    void submit('b', 0);
    void submit('c', 0);
    expect(queue.depth).toBe(3);
    await expect(submit('d', 0)).rejects.toMatchObject({ scope: 'global' });
  });

  it('a failed snapshot frees its connection for the next one', async () => {
    const queue = new SnapshotQueue({ connections: 1, perOrgQueued: 5, maxQueued: 5, maxWaitMs: 60_000 });
    const failing = queue.run('a', async () => {
      throw new Error('canceling statement due to statement timeout');
    });
    const next = queue.run('b', async () => 'done');
    await expect(failing).rejects.toThrow(/statement timeout/);
    await expect(next).resolves.toBe('done');
    expect(queue.active).toBe(0);
  });

  it('a snapshot that waits longer than maxWaitMs gives up and leaves the queue', async () => {
    vi.useFakeTimers();
    const { queue, submit } = harness({ connections: 1, maxWaitMs: 1_000 });
    void submit('a', 0);
    const waiting = submit('b', 0);
    expect(queue.depth).toBe(1);
    vi.advanceTimersByTime(1_001);
    await expect(waiting).rejects.toMatchObject({ scope: 'wait' });
    expect(queue.depth).toBe(0);
  });

  it('reports how long each snapshot waited', async () => {
    const waits: number[] = [];
    const queue = new SnapshotQueue(
      { connections: 1, perOrgQueued: 5, maxQueued: 5, maxWaitMs: 60_000 },
      { waited: (seconds) => waits.push(seconds) },
    );
    let release = () => {};
    const first = queue.run('a', () => new Promise<void>((resolve) => (release = resolve)));
    const second = queue.run('b', async () => {});
    release();
    await first;
    await second;
    expect(waits).toHaveLength(2);
    expect(waits[0]).toBe(0);
    expect(waits[1]).toBeGreaterThanOrEqual(0);
  });
});
