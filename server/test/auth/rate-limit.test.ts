import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdentityFeature } from '../../src/auth/feature.ts';
import { FailureBackoff, TokenBucketLimiter } from '../../src/auth/rate-limit.ts';
import type { TestApp } from '../helpers/app.ts';
import { createIdentityTestApp, freshIp, login, refresh, register, uniqueEmail } from './helpers.ts';

describe('TokenBucketLimiter', () => {
  it('allows `limit` requests, then answers with the wait until the next token', () => {
    const bucket = new TokenBucketLimiter(3, 300); // one token per 100 s
    const t0 = 1_000_000;
    expect(bucket.take('ip', t0).ok).toBe(true);
    expect(bucket.take('ip', t0).ok).toBe(true);
    expect(bucket.take('ip', t0).ok).toBe(true);
    expect(bucket.take('ip', t0)).toEqual({ ok: false, retryAfterSeconds: 100 });
    expect(bucket.take('other', t0).ok).toBe(true);
    expect(bucket.take('ip', t0 + 50_000)).toEqual({ ok: false, retryAfterSeconds: 50 });
    expect(bucket.take('ip', t0 + 100_000).ok).toBe(true);
    bucket.sweep(t0 + 1_000_000);
    expect(bucket.size).toBe(0);
  });
});

describe('FailureBackoff', () => {
  const settings = { freeFailures: 5, baseSeconds: 1, maxSeconds: 900, forgetAfterSeconds: 900 };

  it('gives free failures, then doubles the delay, capped at the maximum', () => {
    const backoff = new FailureBackoff(settings);
    let now = 0;
    for (let i = 0; i < 5; i++) backoff.fail('acct', now);
    expect(backoff.check('acct', now).ok).toBe(true);
    const delays: number[] = [];
    for (let i = 0; i < 14; i++) {
      backoff.fail('acct', now);
      const verdict = backoff.check('acct', now);
      expect(verdict.ok).toBe(false);
      if (!verdict.ok) delays.push(verdict.retryAfterSeconds);
      now += (verdict.ok ? 0 : verdict.retryAfterSeconds) * 1000; // the attacker waits it out
    }
    expect(delays.slice(0, 6)).toEqual([1, 2, 4, 8, 16, 32]);
    expect(Math.max(...delays)).toBe(900);
    expect(delays.at(-1)).toBe(900);
  });

  it('forgets on success, and only after a quiet period following the lock', () => {
    const backoff = new FailureBackoff(settings);
    for (let i = 0; i < 7; i++) backoff.fail('acct', 0);
    expect(backoff.check('acct', 0)).toEqual({ ok: false, retryAfterSeconds: 2 });
    backoff.succeed('acct');
    expect(backoff.check('acct', 0).ok).toBe(true);

    const later = new FailureBackoff(settings);
    for (let i = 0; i < 7; i++) later.fail('acct', 0);
    later.fail('acct', 800_000); // 8th failure, still remembered after the 2 s lock ended
    expect(later.check('acct', 800_000)).toEqual({ ok: false, retryAfterSeconds: 4 });

    const quiet = new FailureBackoff(settings);
    for (let i = 0; i < 7; i++) quiet.fail('acct', 0);
    quiet.fail('acct', 902_001); // 15 min after the lock ended: forgotten, this is failure 1 of 5
    expect(quiet.check('acct', 902_001).ok).toBe(true);
  });
});

describe('rate limits over HTTP (defaults)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createIdentityTestApp();
  });
  afterAll(() => t.close());

  it('locks one account from one IP after 5 failures with 429 + Retry-After; the real user elsewhere is not locked out', async () => {
    const r = await register(t.app);
    const attacker = freshIp();
    for (let i = 0; i < 5; i++) {
      expect((await login(t.app, r.email, `guess ${i}`, attacker)).statusCode).toBe(401);
    }
    expect((await login(t.app, r.email, 'guess 6', attacker)).statusCode).toBe(401); // 6th counted, now locked
    const limited = await login(t.app, r.email, r.password, attacker);
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toMatchObject({ code: 'RATE_LIMITED' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(900);
    // the owner, from their own address, signs in
    expect((await login(t.app, r.email, r.password, freshIp())).statusCode).toBe(200);
    // an unknown e-mail is limited the same way (no account enumeration through the limiter)
    const ghost = uniqueEmail('ghost');
    for (let i = 0; i < 6; i++) await login(t.app, ghost, 'guess', attacker);
    expect((await login(t.app, ghost, 'guess', attacker)).statusCode).toBe(429);
    const text = await t.metrics.registry.metrics();
    expect(text).toMatch(/logins_total\{result="rate_limited"\} [1-9]/);
  });
});

describe('rate limits over HTTP (small limits)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createIdentityTestApp({
      features: [
        createIdentityFeature({
          rateLimits: {
            tokenPerIp: { limit: 4, windowSeconds: 300 },
            registerPerIp: { limit: 2, windowSeconds: 300 },
            registerPerEmail: { limit: 1, windowSeconds: 3600 },
            refreshPerSession: { limit: 2, windowSeconds: 300 },
            loginPerAccount: { freeFailures: 3, baseSeconds: 1, maxSeconds: 60, forgetAfterSeconds: 900 },
          },
        }),
      ],
    });
  });
  afterAll(() => t.close());

  const registerFrom = (ip: string, email = uniqueEmail()) =>
    t.app.inject({
      method: 'POST',
      url: '/auth/register',
      remoteAddress: ip,
      payload: { email, password: 'long enough pw', organization_name: 'Limited' },
    });

  it('limits sign-ups per IP', async () => {
    const ip = freshIp();
    expect((await registerFrom(ip)).statusCode).toBe(201);
    expect((await registerFrom(ip)).statusCode).toBe(201);
    const third = await registerFrom(ip);
    expect(third.statusCode).toBe(429);
    expect(Number(third.headers['retry-after'])).toBe(150);
  });

  it('limits sign-up attempts per e-mail address across IPs', async () => {
    const email = uniqueEmail();
    expect((await registerFrom(freshIp(), email)).statusCode).toBe(201);
    expect((await registerFrom(freshIp(), email)).statusCode).toBe(429);
  });

  it('limits token requests (login + refresh) per IP', async () => {
    const ip = freshIp();
    const r = await register(t.app);
    for (let i = 0; i < 4; i++) await refresh(t.app, 'A'.repeat(43), ip);
    const limited = await login(t.app, r.email, r.password, ip);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('75');
  });

  it('limits refreshes per session', async () => {
    const r = await register(t.app);
    let token = r.refreshToken;
    for (let i = 0; i < 2; i++) {
      const response = await refresh(t.app, token);
      expect(response.statusCode).toBe(200);
      token = response.json().refresh_token;
    }
    const limited = await refresh(t.app, token);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();
  });

  it('slows a guesser spread over many IPs, for at most a minute', async () => {
    const r = await register(t.app);
    for (let i = 0; i < 4; i++)
      expect((await login(t.app, r.email, 'guess', freshIp())).statusCode).toBe(401);
    const limited = await login(t.app, r.email, r.password, freshIp());
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
  });
});
