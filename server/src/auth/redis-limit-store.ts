// Owns the Redis implementation of the LimitStore contract (limit-store.ts), used when REDIS_URL
// is set: the same token buckets and failure backoffs, with the same arithmetic as the
// PostgreSQL functions of migration 071, each kept in one Redis hash per key and changed by one
// Lua script (atomic per key, like the row lock in PostgreSQL). Every key carries a TTL equal to
// the time after which it restricts nothing, so Redis forgets on its own and sweep has nothing to
// do. Times come from the app's clock (in ms) and expiry is also checked against it, so tests
// that move the clock see what production sees. The scripts are written here by hand: the
// token-bucket libraries for Redis count requests in fixed windows and know no failure backoff.
import { Redis } from 'ioredis';
import type { Clock } from '../clock.ts';
import { upstreamUnavailable } from '../http/errors.ts';
import type { BucketSettings } from '../limit-settings.ts';
import type { BackoffSettings, BackoffState, LimitStore, LimitVerdict } from './limit-store.ts';

const PREFIX = 'sertantai:limit:';

/** Returns 0 when a token was taken, else the seconds until one is available. */
const TAKE = `
local limit = tonumber(ARGV[1])
local per_ms = limit / (tonumber(ARGV[2]) * 1000)
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'last_at')
local tokens = tonumber(state[1]) or limit
local last = tonumber(state[2]) or now
tokens = math.min(limit, tokens + math.max(0, now - last) * per_ms)
local retry = 0
if tokens < 1 then
  retry = math.max(1, math.ceil((1 - tokens) / per_ms / 1000))
else
  tokens = tokens - 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'last_at', tostring(math.max(last, now)))
redis.call('PEXPIRE', KEYS[1], math.max(1, math.ceil((limit - tokens) / per_ms)))
return retry`;

/** Returns {seconds still locked, failures counted}; an expired key counts as nothing. */
const BACKOFF = `
local now = tonumber(ARGV[1])
local state = redis.call('HMGET', KEYS[1], 'failures', 'locked_until', 'expires_at')
if (tonumber(state[3]) or 0) <= now then return {0, 0} end
local locked = tonumber(state[2])
local retry = 0
if locked and locked > now then retry = math.max(1, math.ceil((locked - now) / 1000)) end
return {retry, tonumber(state[1]) or 0}`;

/** Counts one failure (locks past the free ones, doubling); returns the failures counted. */
const FAIL = `
local free = tonumber(ARGV[1])
local base = tonumber(ARGV[2])
local max = tonumber(ARGV[3])
local forget = tonumber(ARGV[4]) * 1000
local now = tonumber(ARGV[5])
local state = redis.call('HMGET', KEYS[1], 'failures', 'locked_until', 'expires_at')
local counted = 0
local lock_end = nil
if (tonumber(state[3]) or 0) > now then
  counted = tonumber(state[1]) or 0
  lock_end = tonumber(state[2])
end
counted = counted + 1
local over = counted - free
if over > 0 then
  local until_ms = now + math.min(max, base * 2 ^ math.min(over - 1, 30)) * 1000
  lock_end = math.max(lock_end or until_ms, until_ms)
end
local expires = math.max(lock_end or now, now) + forget
redis.call('HSET', KEYS[1], 'failures', counted, 'expires_at', tostring(expires))
if lock_end then
  redis.call('HSET', KEYS[1], 'locked_until', tostring(lock_end))
else
  redis.call('HDEL', KEYS[1], 'locked_until')
end
redis.call('PEXPIRE', KEYS[1], math.max(1, math.ceil(expires - now)))
return counted`;

export class RedisLimitStore implements LimitStore {
  private readonly redis: Redis;

  constructor(
    url: string,
    private readonly clock: Clock,
  ) {
    // One retry, then the request fails fast (503) instead of queueing behind a dead Redis.
    this.redis = new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 2_000 });
    this.redis.on('error', () => {}); // each command reports its own failure
  }

  async take(key: string, bucket: BucketSettings): Promise<LimitVerdict> {
    const retryAfter = Number(
      await this.run(() =>
        this.redis.eval(TAKE, 1, PREFIX + key, bucket.limit, bucket.windowSeconds, this.now()),
      ),
    );
    return retryAfter > 0 ? { ok: false, retryAfterSeconds: retryAfter } : { ok: true };
  }

  async takeAll(buckets: Array<{ key: string; bucket: BucketSettings }>): Promise<LimitVerdict[]> {
    const now = this.now();
    const results = await this.run(async () => {
      const pipeline = this.redis.pipeline();
      for (const { key, bucket } of buckets)
        pipeline.eval(TAKE, 1, PREFIX + key, bucket.limit, bucket.windowSeconds, now);
      return (await pipeline.exec()) ?? [];
    });
    return results.map(([error, retryAfter]) => {
      if (error)
        throw upstreamUnavailable('Live sync is briefly unavailable. Try again in a few seconds.', 2);
      return Number(retryAfter) > 0 ? { ok: false, retryAfterSeconds: Number(retryAfter) } : { ok: true };
    });
  }

  async backoff(keys: string[]): Promise<BackoffState[]> {
    const now = this.now();
    const states = await this.run(() =>
      Promise.all(keys.map((key) => this.redis.eval(BACKOFF, 1, PREFIX + key, now))),
    );
    return states.map((state) => {
      const [retryAfter, failures] = state as [number, number];
      return { retryAfterSeconds: retryAfter, failures };
    });
  }

  async fail(key: string, settings: BackoffSettings): Promise<number> {
    const counted = await this.run(() =>
      this.redis.eval(
        FAIL,
        1,
        PREFIX + key,
        settings.freeFailures,
        settings.baseSeconds,
        settings.maxSeconds,
        settings.forgetAfterSeconds,
        this.now(),
      ),
    );
    return Number(counted);
  }

  async clear(key: string): Promise<void> {
    await this.run(() => this.redis.del(PREFIX + key));
  }

  /** Nothing to do: every key expires when it stops restricting anything. */
  async sweep(): Promise<number> {
    return 0;
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private now(): number {
    return this.clock.now().getTime();
  }

  /** A Redis failure is the service's, not the client's: 503 with a short Retry-After. */
  private async run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch {
      throw upstreamUnavailable('Sign-in is briefly unavailable. Try again in a few seconds.', 2);
    }
  }
}
