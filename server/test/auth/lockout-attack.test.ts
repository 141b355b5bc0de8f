// Issue 11's lock-out finding, tried as the attacker did, against the real server over HTTP
// from several loopback source addresses (loopback accepts any 127/8 source): 20 failed logins
// from 4 addresses, then one failure a minute from a fresh address. The real user, with the
// correct password from their own address, must sign in throughout. And two app instances on
// one database share the limits (N processes must not mean N× the limits).
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdentityFeature } from '../../src/auth/feature.ts';
import { ManualClock } from '../../src/clock.ts';
import type { TestApp } from '../helpers/app.ts';
import { createIdentityTestApp, register } from './helpers.ts';

type Answer = { status: number; headers: Record<string, string | string[] | undefined>; body: string };

/** POST /auth/login to `base` from the loopback source address `from`. */
function loginFrom(base: string, from: string, email: string, password: string): Promise<Answer> {
  const url = new URL('/auth/login', base);
  const payload = JSON.stringify({ email, password });
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        localAddress: from,
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const clock = new ManualClock(new Date('2031-03-01T09:00:00Z'));
/** Each test runs dozens of argon2 verifications: generous on a loaded machine. */
const SLOW = 120_000;
const advanceSeconds = (seconds: number) => clock.set(new Date(clock.now().getTime() + seconds * 1000));

describe('lock-out under the issue 11 attack (real HTTP, 127.0.0.x sources)', () => {
  let first: TestApp;
  let second: TestApp;
  let firstBase: string;
  let secondBase: string;
  beforeAll(async () => {
    // Two app instances on one database, each with its own pools and limiters, one clock.
    first = await createIdentityTestApp({ clock, features: [createIdentityFeature()] });
    second = await createIdentityTestApp({ clock, features: [createIdentityFeature()] });
    firstBase = await first.app.listen({ port: 0, host: '127.0.0.1' });
    secondBase = await second.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await first?.close();
    await second?.close();
  }, SLOW);

  it(
    'the real user signs in from their own address while the attack goes on',
    async () => {
      const victim = await register(first.app);
      const realUser = '127.0.0.200';
      // 20 failures from 4 addresses (on one process, as on a plain `npm start`).
      for (let i = 0; i < 20; i++) {
        const answer = await loginFrom(firstBase, `127.0.0.${10 + (i % 4)}`, victim.email, `guess ${i}`);
        expect(answer.status).toBe(401);
      }
      // Then about one failure a minute from a fresh address, for ten minutes; the real user
      // tries right after each one, through either process.
      const attacker: number[] = [];
      const user: number[] = [];
      for (let minute = 0; minute < 10; minute++) {
        attacker.push((await loginFrom(firstBase, `127.0.0.${50 + minute}`, victim.email, 'guess')).status);
        const base = minute % 2 ? firstBase : secondBase;
        user.push((await loginFrom(base, realUser, victim.email, victim.password)).status);
        advanceSeconds(60);
      }
      expect(user).toEqual(Array(10).fill(200));
      expect(attacker).toEqual(Array(10).fill(401));
    },
    SLOW,
  );

  it(
    'an address that keeps failing is refused, on either process, for at most the promised time at first',
    async () => {
      const victim = await register(first.app);
      for (let i = 0; i < 21; i++) {
        await loginFrom(firstBase, `127.0.1.${i % 4}`, victim.email, `guess ${i}`);
      }
      // Under attack: a fresh address fails once and is locked for 60 s — on the other process too.
      expect((await loginFrom(firstBase, '127.0.1.99', victim.email, 'wrong')).status).toBe(401);
      const locked = await loginFrom(secondBase, '127.0.1.99', victim.email, victim.password);
      expect(locked.status).toBe(429);
      expect(JSON.parse(locked.body)).toMatchObject({ code: 'RATE_LIMITED' });
      expect(Number(locked.headers['retry-after'])).toBe(60);
      advanceSeconds(60);
      expect((await loginFrom(secondBase, '127.0.1.99', victim.email, victim.password)).status).toBe(200);
    },
    SLOW,
  );

  it(
    'two processes share the per-address lock-out: 5 free failures in total, not 5 each',
    async () => {
      const victim = await register(first.app);
      const attacker = '127.0.2.7';
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) {
        const base = i % 2 === 0 ? firstBase : secondBase;
        statuses.push((await loginFrom(base, attacker, victim.email, `guess ${i}`)).status);
      }
      // Failures 1–6 are checked (the 6th sets a 1 s lock); from then on both refuse.
      expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 429, 429]);
    },
    SLOW,
  );
});
