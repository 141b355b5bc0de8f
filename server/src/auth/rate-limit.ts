// Owns the identity service's rate limits: token buckets per IP (and per e-mail for sign-ups,
// per session for refreshes) and exponential backoff on failed logins per account.
//
// Written by hand rather than with @fastify/rate-limit (11.x, not installed): that plugin counts
// every request in a fixed window keyed before the body is read, while the login rule here
// counts only *failures*, keys on the e-mail in the body combined with the IP, doubles the
// penalty on each further failure and forgets it on success — none of which it can express.
//
// State is in-process: each server process counts separately (documented in docs/api.md).
// Memory is bounded: entries that no longer restrict anything are swept periodically, and a
// table that still grows past its cap drops its oldest entries.

export type LimitVerdict = { ok: true } | { ok: false; retryAfterSeconds: number };

const MAX_ENTRIES = 100_000;

/** Token bucket: `limit` requests per `windowSeconds`, refilled continuously. */
export class TokenBucketLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly ratePerMs: number;

  constructor(
    readonly limit: number,
    readonly windowSeconds: number,
  ) {
    this.ratePerMs = limit / (windowSeconds * 1000);
  }

  /** Takes one token for `key`; when none is left, says how long until one is. */
  take(key: string, now = Date.now()): LimitVerdict {
    const bucket = this.buckets.get(key);
    let tokens = this.limit;
    if (bucket) {
      tokens = Math.min(this.limit, bucket.tokens + (now - bucket.at) * this.ratePerMs);
      this.buckets.delete(key); // re-insert below: Map order doubles as least-recently-used
    }
    if (tokens < 1) {
      this.buckets.set(key, { tokens, at: now });
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / this.ratePerMs / 1000)) };
    }
    this.buckets.set(key, { tokens: tokens - 1, at: now });
    trim(this.buckets);
    return { ok: true };
  }

  sweep(now = Date.now()) {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.at) * this.ratePerMs >= this.limit) this.buckets.delete(key);
    }
  }

  get size() {
    return this.buckets.size;
  }
}

export type BackoffSettings = {
  /** Failures allowed before any delay. */
  freeFailures: number;
  /** Delay after the first failure past the free ones; doubles with each further failure. */
  baseSeconds: number;
  /** The delay never exceeds this: an attacker cannot lock a real user out for longer. */
  maxSeconds: number;
  /** Failures are forgotten this long after the last failure (or the end of its lock). */
  forgetAfterSeconds: number;
};

/** Exponential backoff on failures: free attempts, then base·2^n seconds, capped at max. */
export class FailureBackoff {
  private readonly entries = new Map<
    string,
    { failures: number; lastFailure: number; lockedUntil: number }
  >();

  constructor(readonly settings: BackoffSettings) {}

  check(key: string, now = Date.now()): LimitVerdict {
    const entry = this.current(key, now);
    if (entry && entry.lockedUntil > now) {
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((entry.lockedUntil - now) / 1000)) };
    }
    return { ok: true };
  }

  fail(key: string, now = Date.now()) {
    const entry = this.current(key, now) ?? { failures: 0, lastFailure: now, lockedUntil: 0 };
    entry.failures += 1;
    entry.lastFailure = now;
    const over = entry.failures - this.settings.freeFailures;
    if (over > 0) {
      const delay = Math.min(
        this.settings.maxSeconds,
        this.settings.baseSeconds * 2 ** Math.min(over - 1, 30),
      );
      entry.lockedUntil = now + delay * 1000;
    }
    this.entries.delete(key);
    this.entries.set(key, entry);
    trim(this.entries);
  }

  succeed(key: string) {
    this.entries.delete(key);
  }

  sweep(now = Date.now()) {
    for (const key of this.entries.keys()) this.current(key, now);
  }

  private current(key: string, now: number) {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    // Remembered for the quiet period after the lock ends: waiting out the maximum delay does
    // not earn a fresh set of free attempts.
    const forgetAt = Math.max(entry.lockedUntil, entry.lastFailure) + this.settings.forgetAfterSeconds * 1000;
    if (now >= forgetAt) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }
}

function trim(map: Map<string, unknown>) {
  if (map.size <= MAX_ENTRIES) return;
  let excess = map.size - MAX_ENTRIES;
  for (const key of map.keys()) {
    if (excess-- <= 0) break;
    map.delete(key);
  }
}

export type RateLimitSettings = {
  /** Login, refresh and invitation acceptance per IP (GoTrue: 150 token requests / 5 min / IP). */
  tokenPerIp: { limit: number; windowSeconds: number };
  /** Sign-ups per IP (GoTrue: 30 / 5 min / IP). */
  registerPerIp: { limit: number; windowSeconds: number };
  /** Sign-up attempts per e-mail address. */
  registerPerEmail: { limit: number; windowSeconds: number };
  /** Refreshes per session. */
  refreshPerSession: { limit: number; windowSeconds: number };
  /** Failed logins per account from one IP: the attacker's own address only is slowed. */
  loginPerAccountAndIp: BackoffSettings;
  /** Failed logins per account from anywhere: slows a distributed guesser, capped short. */
  loginPerAccount: BackoffSettings;
};

export const DEFAULT_RATE_LIMITS: RateLimitSettings = {
  tokenPerIp: { limit: 150, windowSeconds: 300 },
  registerPerIp: { limit: 30, windowSeconds: 300 },
  registerPerEmail: { limit: 5, windowSeconds: 3600 },
  refreshPerSession: { limit: 30, windowSeconds: 300 },
  loginPerAccountAndIp: { freeFailures: 5, baseSeconds: 1, maxSeconds: 900, forgetAfterSeconds: 900 },
  loginPerAccount: { freeFailures: 20, baseSeconds: 1, maxSeconds: 60, forgetAfterSeconds: 900 },
};

/** The limiters of one identity service instance. */
export class AuthRateLimits {
  readonly tokenPerIp: TokenBucketLimiter;
  readonly registerPerIp: TokenBucketLimiter;
  readonly registerPerEmail: TokenBucketLimiter;
  readonly refreshPerSession: TokenBucketLimiter;
  readonly loginPerAccountAndIp: FailureBackoff;
  readonly loginPerAccount: FailureBackoff;
  private readonly timer: NodeJS.Timeout;

  constructor(settings: RateLimitSettings = DEFAULT_RATE_LIMITS) {
    const bucket = (s: { limit: number; windowSeconds: number }) =>
      new TokenBucketLimiter(s.limit, s.windowSeconds);
    this.tokenPerIp = bucket(settings.tokenPerIp);
    this.registerPerIp = bucket(settings.registerPerIp);
    this.registerPerEmail = bucket(settings.registerPerEmail);
    this.refreshPerSession = bucket(settings.refreshPerSession);
    this.loginPerAccountAndIp = new FailureBackoff(settings.loginPerAccountAndIp);
    this.loginPerAccount = new FailureBackoff(settings.loginPerAccount);
    this.timer = setInterval(() => this.sweep(), 60_000);
    this.timer.unref();
  }

  sweep(now = Date.now()) {
    this.tokenPerIp.sweep(now);
    this.registerPerIp.sweep(now);
    this.registerPerEmail.sweep(now);
    this.refreshPerSession.sweep(now);
    this.loginPerAccountAndIp.sweep(now);
    this.loginPerAccount.sweep(now);
  }

  stop() {
    clearInterval(this.timer);
  }
}
