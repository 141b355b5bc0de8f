import { describe, expect, it } from 'vitest';
import { followSyncPlan, type SyncPlan, syncPlanFor } from './sync-plan';

function memoryStorage() {
  const items = new Map<string, string>();
  return {
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, v: string) => void items.set(key, v),
  };
}

const failure = (status: number) => Object.assign(new Error('failed'), { status });

function source(answers: Array<SyncPlan | Error>, storage = memoryStorage()) {
  const waits: number[] = [];
  let calls = 0;
  return {
    waits,
    calls: () => calls,
    storage,
    fetchPlan: async () => {
      const answer = answers[Math.min(calls++, answers.length - 1)]!;
      if (answer instanceof Error) throw answer;
      return answer;
    },
    wait: async (ms: number) => void waits.push(ms),
  };
}

describe('syncPlanFor', () => {
  it('asks again after a refused or failed answer instead of loading a large register whole', async () => {
    const s = source([failure(429), failure(503), 'on-demand']);
    expect(await syncPlanFor('u1', s)).toBe('on-demand');
    expect(s.calls()).toBe(3);
    expect(s.waits).toEqual([250, 750]);
  });

  it('keeps the last plan the server gave when it keeps failing, or when offline', async () => {
    const storage = memoryStorage();
    expect(await syncPlanFor('u1', source(['on-demand'], storage))).toBe('on-demand');
    const failing = source([failure(503)], storage);
    expect(await syncPlanFor('u1', failing)).toBe('on-demand');
    expect(failing.calls()).toBe(4);
    const offline = source([failure(0)], storage);
    expect(await syncPlanFor('u1', offline)).toBe('on-demand');
    expect(offline.calls()).toBe(1);
  });

  it('remembers plans per user and assumes eager with nothing remembered', async () => {
    const storage = memoryStorage();
    await syncPlanFor('u1', source(['on-demand'], storage));
    expect(await syncPlanFor('u2', source([failure(0)], storage))).toBe('eager');
    expect(await syncPlanFor('u3', source([failure(500)]))).toBe('eager');
  });
});

describe('followSyncPlan', () => {
  it('with nothing remembered, waits for the server and uses its plan once', async () => {
    const server = source(['on-demand']);
    const used: SyncPlan[] = [];
    const pending = followSyncPlan('u1', server, (plan) => used.push(plan));
    expect(used).toEqual([]); // nothing to start with before the answer
    await pending;
    expect(used).toEqual(['on-demand']);
  });

  it('starts at once with the remembered plan and does not restart when the server agrees', async () => {
    const storage = memoryStorage();
    await syncPlanFor('u1', source(['on-demand'], storage));
    const server = source(['on-demand'], storage);
    const used: SyncPlan[] = [];
    const pending = followSyncPlan('u1', server, (plan) => used.push(plan));
    expect(used).toEqual(['on-demand']); // before the server answered
    await pending;
    expect(used).toEqual(['on-demand']);
    expect(server.calls()).toBe(1); // still asked, to notice a change
  });

  it('switches to the server plan when the register changed since it was remembered', async () => {
    const storage = memoryStorage();
    await syncPlanFor('u1', source(['eager'], storage));
    const used: SyncPlan[] = [];
    await followSyncPlan('u1', source(['on-demand'], storage), (plan) => used.push(plan));
    expect(used).toEqual(['eager', 'on-demand']);
    // …and the next start begins with the new one.
    const next: SyncPlan[] = [];
    followSyncPlan('u1', source(['on-demand'], storage), (plan) => next.push(plan));
    expect(next).toEqual(['on-demand']);
  });

  it('keeps the remembered plan when the server cannot be reached', async () => {
    const storage = memoryStorage();
    await syncPlanFor('u1', source(['on-demand'], storage));
    const used: SyncPlan[] = [];
    await followSyncPlan('u1', source([failure(0)], storage), (plan) => used.push(plan));
    expect(used).toEqual(['on-demand']);
  });

  it('remembers per user: another user of the browser waits for the server', async () => {
    const storage = memoryStorage();
    await syncPlanFor('u1', source(['on-demand'], storage));
    const used: SyncPlan[] = [];
    const pending = followSyncPlan('u2', source(['eager'], storage), (plan) => used.push(plan));
    expect(used).toEqual([]);
    await pending;
    expect(used).toEqual(['eager']);
  });
});
