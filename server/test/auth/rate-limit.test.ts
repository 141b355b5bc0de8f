import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdentityFeature } from '../../src/auth/feature.ts';
import { type LimitStore, limitKey, PostgresLimitStore } from '../../src/auth/limit-store.ts';
import { ManualClock } from '../../src/clock.ts';
import type { Database } from '../../src/db/database.ts';
import { openTestDatabase, type TestApp } from '../helpers/app.ts';
import { createIdentityTestApp, freshIp, login, refresh, register, uniqueEmail } from './helpers.ts';
import { limitStoreContract } from './limit-store-contract.ts';

describe('shared limit store (PostgreSQL)', () => {
  let db: Database;
  let store: LimitStore;
  const clock = new ManualClock(new Date('2030-01-01T00:00:00Z'));
  const at = (seconds: number) => clock.set(new Date(Date.UTC(2030, 0, 1) + seconds * 1000));
  beforeAll(async () => {
    db = await openTestDatabase();
    store = new PostgresLimitStore(db.appPool, clock);
  });
  afterAll(() => db.close());

  limitStoreContract(() => store, at);

  // The spray tests run their clock in the year 2000: everything they add expires before what
  // other test files (on the same database, at today's date) hold, so the sweep's cap, which
  // deletes the rows closest to expiry first, takes theirs and never the others'.
  const past = new ManualClock(new Date('2000-01-01T00:00:00Z'));
  const pastAt = (seconds: number) => past.set(new Date(Date.UTC(2000, 0, 1) + seconds * 1000));
  const rowCount = async () =>
    (await db.ownerPool.query('SELECT count(*)::int AS n FROM rate_limit_state')).rows[0].n as number;
  const bucket = { limit: 5, windowSeconds: 60 };

  it('sweep: deletes what restricts nothing and caps the rows, whatever a client sprays', async () => {
    const sprayed = new PostgresLimitStore(db.appPool, past);
    pastAt(10_000);
    for (let i = 0; i < 30; i++) await sprayed.take(limitKey('test-spray', String(i)), bucket);
    pastAt(10_100); // every bucket full again
    expect(await sprayed.sweep(1_000_000)).toBeGreaterThanOrEqual(30);
    pastAt(20_000);
    const others = await rowCount();
    for (let i = 0; i < 30; i++) await sprayed.take(limitKey('test-spray', String(i)), bucket);
    await sprayed.sweep(others + 10);
    expect(await rowCount()).toBeLessThanOrEqual(others + 10);
  });

  it('a spray between two periodic sweeps is swept by the store itself after its write allowance', async () => {
    pastAt(30_000);
    const others = await rowCount();
    const sprayed = new PostgresLimitStore(db.appPool, past, {
      maxRows: others + 20,
      writesBetweenSweeps: 50,
    });
    let highest = 0;
    for (let i = 0; i < 300; i++) {
      await sprayed.take(limitKey('test-spray-many', `${i}`), bucket);
      if (i % 10 === 9) highest = Math.max(highest, await rowCount());
    }
    await expect.poll(rowCount).toBeLessThanOrEqual(others + 20 + 50);
    // Never more than the cap plus one allowance (and the sweep that was under way), not 300.
    expect(highest).toBeLessThanOrEqual(others + 20 + 2 * 50);
  });

  it("is out of the runtime role's reach except through its functions", async () => {
    await expect(db.appPool.query('SELECT * FROM rate_limit_state')).rejects.toThrow(/permission denied/);
    await expect(db.appPool.query('DELETE FROM rate_limit_state')).rejects.toThrow(/permission denied/);
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
            loginUnderAttack: {
              accountFailures: 3,
              forgetAfterSeconds: 900,
              lockSeconds: 60,
              maxSeconds: 900,
            },
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

  it('an account under attack from many addresses still lets the real user in from a non-failing one', async () => {
    const r = await register(t.app);
    const attackers = [freshIp(), freshIp(), freshIp(), freshIp()];
    for (const ip of attackers) expect((await login(t.app, r.email, 'guess', ip)).statusCode).toBe(401);
    // 4 failures > 3: under attack. Each failing address is now locked after one failure…
    const again = await login(t.app, r.email, 'guess again', attackers[3]);
    expect(again.statusCode).toBe(429);
    expect(Number(again.headers['retry-after'])).toBeLessThanOrEqual(60);
    // …while an address that has not failed goes to the password check.
    expect((await login(t.app, r.email, r.password, freshIp())).statusCode).toBe(200);
  });
});
