// The LimitStore contract, run against each implementation (PostgreSQL, Redis): the same
// bucket and backoff arithmetic, whatever keeps the counts.
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { type LimitStore, limitKey } from '../../src/auth/limit-store.ts';

/** `at(seconds)` sets the store's clock to 2030-01-01 plus that many seconds. */
export function limitStoreContract(store: () => LimitStore, at: (seconds: number) => void) {
  it('token bucket: allows `limit` requests, then answers with the wait until the next token', async () => {
    const bucket = { limit: 3, windowSeconds: 300 }; // one token per 100 s
    const key = limitKey('test-bucket', randomUUID());
    at(0);
    for (let i = 0; i < 3; i++) expect((await store().take(key, bucket)).ok).toBe(true);
    expect(await store().take(key, bucket)).toEqual({ ok: false, retryAfterSeconds: 100 });
    expect((await store().take(limitKey('test-bucket', randomUUID()), bucket)).ok).toBe(true);
    at(50);
    expect(await store().take(key, bucket)).toEqual({ ok: false, retryAfterSeconds: 50 });
    at(100);
    expect((await store().take(key, bucket)).ok).toBe(true);
  });

  it('takeAll: one token from each bucket, each answered as take would', async () => {
    const small = { key: limitKey('test-all', randomUUID()), bucket: { limit: 1, windowSeconds: 60 } };
    const large = { key: limitKey('test-all', randomUUID()), bucket: { limit: 3, windowSeconds: 60 } };
    at(0);
    expect(await store().takeAll([small, large])).toEqual([{ ok: true }, { ok: true }]);
    expect(await store().takeAll([small, large])).toEqual([
      { ok: false, retryAfterSeconds: 60 },
      { ok: true },
    ]);
    expect(await store().take(large.key, large.bucket)).toEqual({ ok: true });
    expect(await store().take(large.key, large.bucket)).toEqual({ ok: false, retryAfterSeconds: 20 });
  });

  const settings = { freeFailures: 5, baseSeconds: 1, maxSeconds: 900, forgetAfterSeconds: 900 };
  const lockOf = async (key: string) => (await store().backoff([key]))[0]!.retryAfterSeconds;

  it('backoff: free failures, then a doubling delay capped at the maximum', async () => {
    const key = limitKey('test-backoff', randomUUID());
    let now = 0;
    at(now);
    for (let i = 0; i < 5; i++) await store().fail(key, settings);
    expect(await lockOf(key)).toBe(0);
    const delays: number[] = [];
    for (let i = 0; i < 14; i++) {
      await store().fail(key, settings);
      const delay = await lockOf(key);
      delays.push(delay);
      now += delay; // the attacker waits it out
      at(now);
    }
    expect(delays.slice(0, 6)).toEqual([1, 2, 4, 8, 16, 32]);
    expect(Math.max(...delays)).toBe(900);
    expect(delays.at(-1)).toBe(900);
  });

  it('backoff: cleared on success, forgotten only after a quiet period following the lock', async () => {
    const key = limitKey('test-backoff', randomUUID());
    at(0);
    for (let i = 0; i < 7; i++) await store().fail(key, settings);
    expect(await lockOf(key)).toBe(2);
    await store().clear(key);
    expect(await lockOf(key)).toBe(0);

    const later = limitKey('test-backoff', randomUUID());
    for (let i = 0; i < 7; i++) await store().fail(later, settings);
    at(800);
    expect(await store().fail(later, settings)).toBe(8); // still remembered after the 2 s lock ended
    expect(await lockOf(later)).toBe(4);

    const quiet = limitKey('test-backoff', randomUUID());
    at(0);
    for (let i = 0; i < 7; i++) await store().fail(quiet, settings);
    at(902.001); // 15 min after the lock ended: forgotten, this is failure 1 of 5
    expect(await store().fail(quiet, settings)).toBe(1);
    expect(await lockOf(quiet)).toBe(0);
  });
}
