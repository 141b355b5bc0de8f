import { describe, expect, it } from 'vitest';
import { SnapshotTimeBudget } from './snapshot-budget.ts';

function budget() {
  let now = 0;
  const b = new SnapshotTimeBudget(
    { perMinuteMs: 12_000, maxTimeoutMs: 30_000, minTimeoutMs: 250 },
    () => now,
  );
  return { b, advance: (ms: number) => (now += ms) };
}

describe('snapshot time budget', () => {
  it('gives half of what is left, a third of that again beside a running snapshot, and takes back what was unused', () => {
    const { b } = budget();
    expect(b.reserve('org')).toBe(6_000); // 12 s / 2
    expect(b.reserve('org')).toBe(1_000); // 6 s left / 6
    b.settle('org', 6_000, 100); // quick: 5.9 s back
    b.settle('org', 1_000, 1_000); // canceled at its timeout: nothing back
    expect(b.reserve('other')).toBe(6_000); // another organisation has its own share
    expect(b.reserve('org')).toBe(5_450); // (12 − 0.1 − 1) s / 2
  });

  it('refuses once too little is left, says when it will have refilled, and refills over the minute', () => {
    const { b, advance } = budget();
    const spent: number[] = [];
    for (let t = b.reserve('org'); t !== undefined; t = b.reserve('org')) {
      spent.push(t);
      b.settle('org', t, t); // each costly snapshot uses all it got
    }
    expect(spent[0]).toBe(6_000);
    expect(spent.at(-1)).toBeGreaterThanOrEqual(250);
    expect(spent.reduce((a, c) => a + c, 0)).toBeLessThanOrEqual(12_000);
    const wait = b.retryAfterSeconds('org');
    expect(wait).toBeGreaterThanOrEqual(1);
    advance(wait * 1000);
    expect(b.retryAfterSeconds('org')).toBe(0);
    expect(b.reserve('org')).toBeGreaterThanOrEqual(250);
  });

  it('admits a new snapshot while quick ones hold reservations, and refuses once the share is really spent', () => {
    const { b } = budget();
    const first = b.reserve('org')!; // 6 s, still running
    const second = b.reserve('org')!; // 1 s
    b.settle('org', second, second);
    const third = b.reserve('org')!; // 5 s left / 6, beside the first
    expect([first, second, third]).toEqual([6_000, 1_000, 833]);
    // 4.2 s left unreserved and 6.8 s held by the two running: not spent, a new one may queue.
    expect(b.retryAfterSeconds('org')).toBe(0);
    b.settle('org', first, first);
    b.settle('org', third, third);
    for (let t = b.reserve('org'); t !== undefined; t = b.reserve('org')) b.settle('org', t, t);
    expect(b.retryAfterSeconds('org')).toBeGreaterThanOrEqual(1);
  });
});
