// Rate limits in Redis (REDIS_URL): the LimitStore contract against a real Redis, and two app
// processes on one Redis sharing one lock-out. Needs Redis on TEST_REDIS_URL (default
// 127.0.0.1:6379, as on CI machines); without it these tests are skipped with a message.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAddressKey } from '../../src/auth/client-address.ts';
import { limitKey } from '../../src/auth/limit-store.ts';
import { RedisLimitStore } from '../../src/auth/redis-limit-store.ts';
import { ManualClock } from '../../src/clock.ts';
import type { TestApp } from '../helpers/app.ts';
import { createIdentityTestApp, freshIp, IDENTITY_ONLY, login, register } from './helpers.ts';
import { limitStoreContract } from './limit-store-contract.ts';

const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function redisAnswers(url: string): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1_000 });
  probe.on('error', () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

const redisUp = await redisAnswers(redisUrl);
if (!redisUp)
  console.warn(`Redis rate-limit tests skipped: no Redis answers at ${redisUrl} (set TEST_REDIS_URL)`);

describe.skipIf(!redisUp)('shared limit store (Redis)', () => {
  let store: RedisLimitStore;
  const clock = new ManualClock(new Date('2030-01-01T00:00:00Z'));
  const at = (seconds: number) => clock.set(new Date(Date.UTC(2030, 0, 1) + seconds * 1000));
  beforeAll(() => {
    store = new RedisLimitStore(redisUrl, clock);
  });
  afterAll(() => store.close());

  limitStoreContract(() => store, at);

  it('keys carry a TTL (Redis forgets them by itself) and hold a digest, never the subject', async () => {
    const redis = new Redis(redisUrl);
    try {
      at(0);
      const key = limitKey('test-ttl', 'someone@example.test');
      await store.take(key, { limit: 5, windowSeconds: 60 });
      const ttl = await redis.pttl(`sertantai:limit:${key}`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(12_000); // one token used: full again after 12 s
      expect(await redis.keys('sertantai:limit:*someone*')).toEqual([]);
    } finally {
      redis.disconnect();
    }
  });

  it('a Redis that does not answer is a 503 for the caller, never a hang or a 500', async () => {
    const dead = new RedisLimitStore('redis://127.0.0.1:1', clock);
    try {
      await expect(
        dead.take(limitKey('test-dead', 'x'), { limit: 1, windowSeconds: 1 }),
      ).rejects.toMatchObject({
        status: 503,
        code: 'UPSTREAM_UNAVAILABLE',
      });
    } finally {
      await dead.close();
    }
  });
});

describe.skipIf(!redisUp)('rate limits over HTTP with REDIS_URL', () => {
  let first: TestApp;
  let second: TestApp;
  beforeAll(async () => {
    const options = { ...IDENTITY_ONLY, env: { REDIS_URL: redisUrl } };
    first = await createIdentityTestApp(options);
    second = await createIdentityTestApp(options);
  });
  afterAll(async () => {
    await first?.close();
    await second?.close();
  });

  it('two processes share one lock-out through Redis, and PostgreSQL keeps none of it', async () => {
    const r = await register(first.app);
    const attacker = freshIp();
    // Failures alternate between the two processes: they count as one.
    for (let i = 0; i < 6; i++) {
      const app = i % 2 === 0 ? first.app : second.app;
      expect((await login(app, r.email, `guess ${i}`, attacker)).statusCode).toBe(401);
    }
    expect((await login(first.app, r.email, r.password, attacker)).statusCode).toBe(429);
    expect((await login(second.app, r.email, r.password, attacker)).statusCode).toBe(429);
    expect((await login(second.app, r.email, r.password, freshIp())).statusCode).toBe(200);
    const pairKey = limitKey('login-account-ip', `${r.email}\u0000${clientAddressKey(attacker)}`);
    const { rows } = await first.db.ownerPool.query('SELECT 1 FROM rate_limit_state WHERE key = $1', [
      pairKey,
    ]);
    expect(rows).toEqual([]);
  });
});
