// Identity service costs, measured side by side in one run (compare figures of the same run only):
//  1. token verification per request — the authenticate hook (Bearer parsing, the token
//     verified before: expiry only; revocation check answered from the in-process cache) —
//     against a bare HMAC-SHA256 verify of the same token, printed as a ratio; and the first
//     sight of a token (header allow-list, HS256 signature, claims schema) beside it;
//  2. login throughput, argon2id-bound: hashes/s and verifications/s, and logins/s through HTTP;
//  3. timing of a failed login for an unknown e-mail versus a wrong password (should be ~1.0).
// Run: npx tsx bench/auth.ts   (BENCH_SECONDS=3; starts an embedded PostgreSQL under .data-bench-auth)
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { rmSync } from 'node:fs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createAuthenticate } from '../server/src/auth/authenticate.ts';
import { identityFeature } from '../server/src/auth/feature.ts';
import { hashPassword, verifyPassword } from '../server/src/auth/passwords.ts';
import { RevocationCache } from '../server/src/auth/revocation.ts';
import { signAccessToken, type TokenSettings } from '../server/src/auth/tokens.ts';
import { benchSeconds, percentile, printTable, recordRatio, timeLoop } from './lib/measure.ts';
import { BENCH_SECRET, startBenchServer } from './lib/server.ts';

const seconds = benchSeconds(3);
const { config, db, app, log, dataDir } = await startBenchServer('auth', {
  features: [identityFeature],
  allowDatabaseUrl: false,
});

// ---------------------------------------------------------------- 1. token verification
const settings: TokenSettings = {
  secret: BENCH_SECRET,
  issuer: config.tokenIssuer,
  audience: config.tokenAudience,
  accessTokenTtl: 900,
};
const registered = await app.inject({
  method: 'POST',
  url: '/auth/register',
  payload: {
    email: `bench-${randomUUID().slice(0, 8)}@example.test`,
    password: 'bench password',
    organization_name: 'Bench',
  },
});
const { user, access_token: token } = registered.json();
const revocation = new RevocationCache(db, log);
await revocation.start();
const authenticate = createAuthenticate(settings, revocation.isRevoked);
const request = {
  headers: { authorization: `Bearer ${token}` },
  auth: undefined,
} as unknown as FastifyRequest;
const reply = {} as FastifyReply;
await authenticate.call(app, request, reply); // warm the revocation cache (one database check)
if (request.auth?.userId !== user.id) throw new Error('authenticate did not verify the bench token');

const key = Buffer.from(BENCH_SECRET);
function bareHmacVerify(jwt: string): boolean {
  const dot = jwt.lastIndexOf('.');
  const expected = createHmac('sha256', key).update(jwt.slice(0, dot)).digest();
  const given = Buffer.from(jwt.slice(dot + 1), 'base64url');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
if (!bareHmacVerify(token)) throw new Error('bare HMAC verify failed');

const BATCH = 2000;
const ROUNDS = 7;
// Distinct tokens of the same session, for the first sight of each (the full verification:
// signature, header and claims); a client then sends the same token with every request.
const claimsOfToken = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
const fresh: string[] = [];
for (let i = 0; i < (ROUNDS + 1) * BATCH; i++) {
  const signed = await signAccessToken(settings, {
    userId: user.id,
    orgId: claimsOfToken.org_id,
    role: claimsOfToken.role,
    sessionId: claimsOfToken.sid,
  });
  fresh.push(signed.token);
}
const freshRequests = fresh.map(
  (jwt) => ({ headers: { authorization: `Bearer ${jwt}` }, auth: undefined }) as unknown as FastifyRequest,
);
const bareUs: number[] = [];
const fullUs: number[] = [];
const firstUs: number[] = [];
for (let round = 0; round < ROUNDS + 1; round++) {
  let t0 = performance.now();
  for (let i = 0; i < BATCH; i++) bareHmacVerify(token);
  const bare = ((performance.now() - t0) * 1000) / BATCH;
  t0 = performance.now();
  for (let i = 0; i < BATCH; i++) await authenticate.call(app, request, reply);
  const full = ((performance.now() - t0) * 1000) / BATCH;
  t0 = performance.now();
  for (let i = 0; i < BATCH; i++) await authenticate.call(app, freshRequests[round * BATCH + i]!, reply);
  const first = ((performance.now() - t0) * 1000) / BATCH;
  if (round > 0) {
    // round 0 is warm-up
    bareUs.push(bare);
    fullUs.push(full);
    firstUs.push(first);
  }
}
bareUs.sort((a, b) => a - b);
fullUs.sort((a, b) => a - b);
firstUs.sort((a, b) => a - b);
const bareMedian = percentile(bareUs, 50);
const fullMedian = percentile(fullUs, 50);
const firstMedian = percentile(firstUs, 50);
console.log('\n1. access-token verification per request (median of 7 interleaved rounds of 2000)');
console.log(`   bare HMAC-SHA256 verify:                                   ${bareMedian.toFixed(2)} µs`);
console.log(`   authenticate, the token seen before (expiry + cached sid):  ${fullMedian.toFixed(2)} µs`);
console.log(`   authenticate, first sight (signature + claims + cached sid): ${firstMedian.toFixed(2)} µs`);
console.log(
  `   ratio authenticate / bare HMAC: ${(fullMedian / bareMedian).toFixed(1)}x per request (goal ≤ 2), ${(firstMedian / bareMedian).toFixed(1)}x at first sight`,
);
recordRatio('token verification incl. revocation check / bare HMAC (time)', fullMedian / bareMedian, {
  atMost: 2,
});
recordRatio('token verification at first sight / bare HMAC (time)', firstMedian / bareMedian);
console.log(
  `   revocation cache: ${revocation.stats.hits} hits, ${revocation.stats.misses} database checks, listening=${revocation.isListening}`,
);
await revocation.stop();

// ---------------------------------------------------------------- 2. login throughput
const stored = await hashPassword('bench password');
const results = [
  {
    name: 'argon2id hash, 1 at a time',
    ...(await timeLoop(() => hashPassword('bench password'), { seconds, concurrency: 1, warmupOps: 3 })),
  },
  {
    name: 'argon2id hash, 2 concurrent',
    ...(await timeLoop(() => hashPassword('bench password'), { seconds, concurrency: 2, warmupOps: 3 })),
  },
  {
    name: 'argon2id verify, 2 concurrent',
    ...(await timeLoop(() => verifyPassword(stored, 'bench password'), {
      seconds,
      concurrency: 2,
      warmupOps: 3,
    })),
  },
];
let n = 0;
const loginOnce = () =>
  app.inject({
    method: 'POST',
    url: '/auth/login',
    remoteAddress: `10.9.${(n >> 8) & 255}.${n++ & 255}`,
    payload: { email: user.email, password: 'bench password' },
  });
results.push({
  name: 'POST /auth/login (HTTP), 2 concurrent',
  ...(await timeLoop(loginOnce, { seconds, concurrency: 2, warmupOps: 3 })),
});
console.log('\n2. login throughput (argon2id m=19 MiB, t=2, p=1)');
printTable(results, [['POST /auth/login (HTTP), 2 concurrent', 'argon2id verify, 2 concurrent']]);

// ---------------------------------------------------------------- 3. failed-login timing
const failedLogin = (email: string) => async () => {
  const response = await app.inject({
    method: 'POST',
    url: '/auth/login',
    remoteAddress: `10.8.${(n >> 8) & 255}.${n++ & 255}`,
    payload: { email, password: `wrong ${n}` },
  });
  if (response.statusCode !== 401) throw new Error(`expected 401, got ${response.statusCode}`);
};
// Several accounts, so neither the per-account backoff nor its account-wide cap is reached.
const victims: string[] = [];
for (let i = 0; i < 8; i++) {
  const email = `victim-${i}-${randomUUID().slice(0, 6)}@example.test`;
  await app.inject({
    method: 'POST',
    url: '/auth/register',
    remoteAddress: `10.6.0.${i}`,
    payload: { email, password: 'bench password', organization_name: `Victim ${i}` },
  });
  victims.push(email);
}
const unknown: number[] = [];
const wrong: number[] = [];
for (let i = 0; i < 60; i++) {
  // interleaved, each with its own e-mail so the per-account backoff never triggers
  const pair = [
    [unknown, `nobody-${i}-${randomUUID().slice(0, 6)}@example.test`],
    [wrong, victims[i % victims.length]!],
  ] as const;
  // alternate which goes first, so neither always follows the other
  for (const [list, email] of i % 2 === 0 ? pair : [pair[1], pair[0]]) {
    const t0 = performance.now();
    await failedLogin(email)();
    if (i >= 4) list.push(performance.now() - t0);
  }
}
unknown.sort((a, b) => a - b);
wrong.sort((a, b) => a - b);
console.log('\n3. failed login timing (median of 56, interleaved)');
console.log(`   unknown e-mail:  ${percentile(unknown, 50).toFixed(1)} ms`);
console.log(`   wrong password:  ${percentile(wrong, 50).toFixed(1)} ms`);
const timingRatio = percentile(unknown, 50) / percentile(wrong, 50);
console.log(`   ratio unknown / wrong: ${timingRatio.toFixed(2)}`);
recordRatio('failed login: unknown e-mail / wrong password (time, ~1.0)', timingRatio);

await app.close();
await db.close();
rmSync(dataDir, { recursive: true, force: true });
